"""Reconciliation runs in the ledger: the side of the comparison the gateway keeps, and the reports.

A run starts by holding every serial (`begin`), so no transfer reserves while
the registries are read; once the totals are compared the hold narrows to the
blocks behind the totals that disagree, and it ends with the run (or at its
expiry, should the run never end). Transfers wait on it in the saga, before
they reserve (`held_by`).

Findings are stored with the run; a regulator's resolution is kept on the
finding, and the next run shows it (by fingerprint) beside the same
discrepancy found again, or in its "resolved since the last report" list.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists, NotFound, PreconditionFailed, UnderReview, quoted
from domain.reconciliation import (
    LIVE,
    RETIRED,
    Finding,
    Resolution,
    ResultState,
    Span,
    TrailEntry,
    result_state,
    shared_span,
)
from domain.reconciliation_report import FindingCounts, Progress, ReconciliationReport
from domain.serials import SerialBlock
from domain.transfers import FINAL_STATES, RETIRED_ACCOUNT_ID, Transfer, TransferState
from ledger import offset_rows, serial_index, serial_spans, transfer_rows
from ledger.book import Book
from ledger.models import (
    LocationRow,
    ReconciliationFindingRow,
    ReconciliationRow,
    ReservationRow,
    ReviewHoldRow,
    TransferRow,
)

EVERYTHING = "*"  # a hold's serial space that holds every serial
_READ_CHUNK = 20_000
_SETTLED = (TransferState.SETTLED.value, TransferState.ANCHORED.value)
_OPEN = [s.value for s in TransferState if s not in FINAL_STATES] + [TransferState.NEEDS_INTERVENTION.value]


def _no_run(reconciliation_id: str) -> NotFound:
    return NotFound(
        f"no reconciliation {quoted(reconciliation_id)}",
        field="reconciliation_id",
        resource_type="reconciliation",
        resource_name=reconciliation_id,
    )


class ReconciliationBook(Book):
    """The ledger's part for reconciliation runs."""

    # Runs

    def begin(self, report: ReconciliationReport, hold_until: datetime) -> tuple[ReconciliationReport, bool]:
        """Record the run and hold every serial (True); the same run again answers with the stored one."""

        def change(session: Session) -> tuple[ReconciliationReport, bool]:
            row = session.get(ReconciliationRow, report.reconciliation_id)
            if row is not None:
                return _report(session, row), False
            session.add(
                ReconciliationRow(
                    reconciliation_id=report.reconciliation_id,
                    requested_by=report.requested_by,
                    state=report.state.value,
                    started_at=report.started_at,
                    snapshot_at=report.snapshot_at,
                    finished_at=None,
                    report=_without_findings(report),
                )
            )
            session.flush()
            session.add(_hold(report.reconciliation_id, EVERYTHING, 0, 0, hold_until))
            return report, True

        return self._write(change)

    def progress(self, reconciliation_id: str, progress: Progress) -> None:
        def change(session: Session) -> None:
            row = _run_row(session, reconciliation_id)
            row.report = {**row.report, "progress": progress.model_dump(mode="json")}

        self._write(change)

    def narrow_hold(self, reconciliation_id: str, blocks: Iterable[Span], hold_until: datetime) -> None:
        """Hold only `blocks` from now on (the ones behind the totals that disagree)."""
        holds = [_hold(reconciliation_id, b.space, b.start, b.end, hold_until) for b in blocks]

        def change(session: Session) -> None:
            session.execute(delete(ReviewHoldRow).where(ReviewHoldRow.reconciliation_id == reconciliation_id))
            session.add_all(holds)

        self._write(change)

    def finish(self, report: ReconciliationReport) -> ReconciliationReport:
        """Store the finished run with its findings and let go of its serials; a retry changes nothing."""

        def change(session: Session) -> ReconciliationReport:
            row = _run_row(session, report.reconciliation_id)
            session.execute(
                delete(ReviewHoldRow).where(ReviewHoldRow.reconciliation_id == report.reconciliation_id)
            )
            if row.finished_at is not None:
                return _report(session, row)
            earlier = _last_resolutions(session, {f.fingerprint for f in report.findings})
            findings = [
                f.model_copy(
                    update={
                        "finding_id": f"{report.reconciliation_id}-{seq:05d}",
                        "earlier_resolution": earlier.get(f.fingerprint),
                    }
                )
                for seq, f in enumerate(report.findings, start=1)
            ]
            session.add_all(
                ReconciliationFindingRow(
                    reconciliation_id=report.reconciliation_id,
                    seq=seq,
                    fingerprint=f.fingerprint,
                    code=f.code.value,
                    finding=f.model_dump(mode="json"),
                )
                for seq, f in enumerate(findings, start=1)
            )
            done = report.model_copy(
                update={
                    "findings": findings,
                    "counts": FindingCounts.of(findings),
                    "resolved_earlier": _resolved_since(session, row, {f.fingerprint for f in findings}),
                }
            )
            row.state, row.finished_at, row.snapshot_at = done.state.value, done.finished_at, done.snapshot_at
            row.report = _without_findings(done)
            return done

        return self._write(change)

    def fail(self, reconciliation_id: str, why: str, at: datetime) -> None:
        """A run that could not finish: FAILED, with why, and its serials let go."""

        def change(session: Session) -> None:
            session.execute(delete(ReviewHoldRow).where(ReviewHoldRow.reconciliation_id == reconciliation_id))
            row = session.get(ReconciliationRow, reconciliation_id)
            if row is None or row.finished_at is not None:
                return
            row.state, row.finished_at = ResultState.FAILED.value, at
            row.report = {**row.report, "state": ResultState.FAILED.value, "failure": why}

        self._write(change)

    def report(self, reconciliation_id: str) -> ReconciliationReport:
        return self._read(lambda s: _report(s, _run_row(s, reconciliation_id)))

    def summary(self, reconciliation_id: str) -> ReconciliationReport:
        """The run without its findings (their stored counts say enough): what a progress poll reads."""
        return self._read(
            lambda s: ReconciliationReport.model_validate(_run_row(s, reconciliation_id).report)
        )

    def runs(self, after: tuple[datetime, str] | None, limit: int) -> list[ReconciliationReport]:
        """Runs newest first, without their findings (a listing), after the position `after`."""
        query = select(ReconciliationRow).order_by(
            ReconciliationRow.started_at.desc(), ReconciliationRow.reconciliation_id.desc()
        )
        if after is not None:
            at, run_id = after
            query = query.where(
                or_(
                    ReconciliationRow.started_at < at,
                    (ReconciliationRow.started_at == at) & (ReconciliationRow.reconciliation_id < run_id),
                )
            )
        return self._read(
            lambda s: [ReconciliationReport.model_validate(r.report) for r in s.scalars(query.limit(limit))]
        )

    def resolve(self, reconciliation_id: str, finding_id: str, resolution: Resolution) -> Finding:
        """Mark a finding resolved with the regulator's note; the same note again changes nothing."""

        def change(session: Session) -> Finding:
            row = _run_row(session, reconciliation_id)
            if row.finished_at is None:
                raise PreconditionFailed(
                    f"reconciliation {reconciliation_id} is still running: its findings are not final yet",
                    field="reconciliation_id",
                )
            found = session.scalars(
                select(ReconciliationFindingRow).where(
                    ReconciliationFindingRow.reconciliation_id == reconciliation_id,
                    ReconciliationFindingRow.finding["finding_id"].as_string() == finding_id,
                )
            ).one_or_none()
            if found is None:
                raise NotFound(
                    f"reconciliation {reconciliation_id} has no finding {quoted(finding_id)}",
                    field="finding_id",
                    resource_type="finding",
                    resource_name=finding_id,
                )
            if found.resolved_at is not None:
                if found.resolution_note != resolution.note:
                    raise AlreadyExists(
                        f"finding {finding_id} was already resolved by {found.resolved_by} with another note",
                        field="finding_id",
                    )
                return _finding(found)
            found.resolution_note, found.resolved_by = resolution.note, resolution.resolved_by
            found.resolved_at = resolution.resolved_at
            session.flush()
            findings = [_finding(f) for f in _finding_rows(session, reconciliation_id)]
            row.state = _state_after_resolution(row.state, findings).value
            counts = FindingCounts.of(findings).model_dump(mode="json")
            row.report = {**row.report, "state": row.state, "counts": counts}
            return _finding(found)

        return self._write(change)

    # What the comparison reads

    def tracked(self) -> Iterator[Span]:
        """Where the ledger puts every tracked serial, as spans, read in chunks of the index's order."""
        columns = (
            LocationRow.location_id,
            LocationRow.serial_space,
            LocationRow.start,
            LocationRow.end,
            LocationRow.registry_id,
            LocationRow.account_id,
            LocationRow.block["programme"].as_string(),
            LocationRow.block["unit_type"].as_string(),
            LocationRow.block["vintage"].as_string(),
            LocationRow.transfer_id,
        )
        after = -1
        while True:
            query = select(*columns).where(LocationRow.location_id > after)
            query = query.order_by(LocationRow.location_id).limit(_READ_CHUNK)
            rows = self._read(functools.partial(_rows, query))
            for _, space, start, end, registry, account, programme, unit_type, vintage, transfer_id in rows:
                status = RETIRED if account == RETIRED_ACCOUNT_ID else LIVE
                unit_class = f"{programme}/{unit_type}"
                yield shared_span(
                    space, start, end, registry, account, status, unit_class, vintage, transfer_id
                )
            if len(rows) < _READ_CHUNK:
                return
            after = rows[-1][0]

    def in_flight(self) -> list[Span]:
        """Serials reserved by transfers still moving: neither side of the comparison judges them."""
        query = select(
            ReservationRow.serial_space, ReservationRow.start, ReservationRow.end, ReservationRow.transfer_id
        )
        return self._read(
            lambda s: [Span(sp, a, b, "", "", "", "", "", tid) for sp, a, b, tid in s.execute(query)]
        )

    def block_of(self, space: str, start: int, end: int) -> SerialBlock | None:
        """Serials `start..end` as a block of the issuance the ledger tracks them under, if it does."""
        probe = SerialBlock.model_construct(
            programme="",
            serial_space=space,
            project_id="",
            vintage="",
            unit_type="",
            country="",
            start=start,
            end=end,
        )

        def read(session: Session) -> SerialBlock | None:
            rows = serial_index.overlapping(session, LocationRow, probe)
            if not rows:
                return None
            tracked = SerialBlock.model_validate(rows[0].block)
            return tracked.model_copy(update={"start": start, "end": end})

        return self._read(read)

    def trail(self, block: SerialBlock, limit: int = 50) -> list[TrailEntry]:
        """Every transfer that touched serials of `block`, oldest first: the audit trail of a finding."""
        query = (
            select(TransferRow)
            .where(serial_spans.overlapping(TransferRow, block))
            .order_by(TransferRow.created_at, TransferRow.transfer_id)
            .limit(limit)
        )
        return self._read(lambda s: [_trail_entry(transfer_rows.from_row(r)) for r in s.scalars(query)])

    def open_transfers(self) -> list[Transfer]:
        """Transfers not final, or waiting for a person, oldest first."""
        query = (
            select(TransferRow)
            .where(TransferRow.state.in_(_OPEN))
            .order_by(TransferRow.created_at, TransferRow.transfer_id)
        )
        return self._read(lambda s: [transfer_rows.from_row(r) for r in s.scalars(query)])

    def refused_since(self, since: datetime | None, code_prefix: str) -> list[Transfer]:
        """Rejected transfers, changed since `since`, with a reason whose code starts with `code_prefix`."""
        query = select(TransferRow).where(TransferRow.state == TransferState.REJECTED.value)
        if since is not None:
            query = query.where(TransferRow.updated_at >= since)
        query = query.order_by(TransferRow.updated_at, TransferRow.transfer_id)
        return self._read(
            lambda s: [
                transfer_rows.from_row(r)
                for r in s.scalars(query)
                if any(reason.get("code", "").startswith(code_prefix) for reason in r.reasons)
            ]
        )

    def offset_years(self) -> list[tuple[str, int]]:
        return self._read(offset_rows.entity_years)

    def last_finished(self) -> ReconciliationReport | None:
        query = (
            select(ReconciliationRow)
            .where(
                ReconciliationRow.finished_at.is_not(None),
                ReconciliationRow.state != ResultState.FAILED.value,
            )
            .order_by(ReconciliationRow.finished_at.desc())
            .limit(1)
        )
        return self._read(
            lambda s: next((ReconciliationReport.model_validate(r.report) for r in s.scalars(query)), None)
        )

    def settled_volumes(self) -> list[tuple[str, str, str, int]]:
        """Units settled per (source registry, destination registry, month YYYY-MM), for the charts."""
        query = select(
            TransferRow.source_registry_id,
            TransferRow.destination_registry_id,
            TransferRow.settled_at,
            TransferRow.end - TransferRow.start + 1,
        ).where(TransferRow.state.in_(_SETTLED))

        def read(session: Session) -> list[tuple[str, str, str, int]]:
            volumes: dict[tuple[str, str, str], int] = defaultdict(int)
            for source, destination, at, units in session.execute(
                query.execution_options(yield_per=_READ_CHUNK)
            ):
                volumes[(source, destination, f"{at:%Y-%m}")] += int(units)
            return [(*key, units) for key, units in sorted(volumes.items())]

        return self._read(read)


def refuse_under_review(session: Session, block: SerialBlock, now: datetime) -> None:
    """UnderReview when a running reconciliation holds serials of `block`: its transfer waits.

    Called in the reserving transaction, so a reservation either lands before a
    run's hold (and the run leaves it out as in flight) or waits for it to lift.
    """
    query = (
        select(ReviewHoldRow.reconciliation_id)
        .where(
            ReviewHoldRow.expires_at > now,
            or_(
                ReviewHoldRow.serial_space == EVERYTHING,
                (ReviewHoldRow.serial_space == block.serial_space)
                & (ReviewHoldRow.start <= block.end)
                & (ReviewHoldRow.end >= block.start),
            ),
        )
        .limit(1)
    )
    run = session.scalar(query)
    if run is not None:
        raise UnderReview(
            f"reconciliation {run} is reviewing serials {block.serial_space} {block.start}-{block.end}",
            reconciliation_id=run,
        )


def _rows(query: Select[Any], session: Session) -> list[Any]:
    return list(session.execute(query))


def _hold(run_id: str, space: str, start: int, end: int, until: datetime) -> ReviewHoldRow:
    return ReviewHoldRow(reconciliation_id=run_id, serial_space=space, start=start, end=end, expires_at=until)


def _run_row(session: Session, reconciliation_id: str) -> ReconciliationRow:
    row = session.get(ReconciliationRow, reconciliation_id)
    if row is None:
        raise _no_run(reconciliation_id)
    return row


def _without_findings(report: ReconciliationReport) -> dict[str, Any]:
    return report.model_dump(mode="json", exclude={"findings"})


def _finding_rows(session: Session, reconciliation_id: str) -> list[ReconciliationFindingRow]:
    return list(
        session.scalars(
            select(ReconciliationFindingRow)
            .where(ReconciliationFindingRow.reconciliation_id == reconciliation_id)
            .order_by(ReconciliationFindingRow.seq)
        )
    )


def _resolution(row: ReconciliationFindingRow) -> Resolution | None:
    if row.resolved_at is None or row.resolution_note is None or row.resolved_by is None:
        return None
    return Resolution(
        note=row.resolution_note,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        reconciliation_id=row.reconciliation_id,
    )


def _finding(row: ReconciliationFindingRow) -> Finding:
    return Finding.model_validate(row.finding).model_copy(update={"resolution": _resolution(row)})


def _report(session: Session, row: ReconciliationRow) -> ReconciliationReport:
    stored = ReconciliationReport.model_validate(row.report)
    return stored.model_copy(
        update={"findings": [_finding(f) for f in _finding_rows(session, row.reconciliation_id)]}
    )


def _last_resolutions(session: Session, fingerprints: set[str]) -> dict[str, Resolution]:
    """The latest resolution of each fingerprint, from any earlier run."""
    if not fingerprints:
        return {}
    rows = session.scalars(
        select(ReconciliationFindingRow)
        .where(
            ReconciliationFindingRow.fingerprint.in_(fingerprints),
            ReconciliationFindingRow.resolved_at.is_not(None),
        )
        .order_by(ReconciliationFindingRow.resolved_at)
    )
    found: dict[str, Resolution] = {}
    for row in rows:
        resolution = _resolution(row)
        if resolution is not None:
            found[row.fingerprint] = resolution
    return found


def _resolved_since(session: Session, run: ReconciliationRow, recurring: set[str]) -> list[Finding]:
    """The previous finished run's resolved findings that did not come back in this one."""
    previous = session.scalars(
        select(ReconciliationRow)
        .where(
            ReconciliationRow.finished_at.is_not(None),
            ReconciliationRow.reconciliation_id != run.reconciliation_id,
            ReconciliationRow.state != ResultState.FAILED.value,
        )
        .order_by(ReconciliationRow.finished_at.desc())
        .limit(1)
    ).first()
    if previous is None:
        return []
    return [
        _finding(f)
        for f in _finding_rows(session, previous.reconciliation_id)
        if f.resolved_at is not None and f.fingerprint not in recurring
    ]


def _state_after_resolution(state: str, findings: list[Finding]) -> ResultState:
    current = ResultState(state)
    if current in (ResultState.RUNNING, ResultState.FAILED):
        return current
    return result_state(findings)


def _trail_entry(t: Transfer) -> TrailEntry:
    r = t.request
    return TrailEntry(
        transfer_id=t.transfer_id,
        at=t.settled_at or t.updated_at,
        kind=r.purpose.value or "transfer",
        state=t.state.value,
        source=f"{r.source.registry_id}/{r.source.account_id}",
        destination=f"{r.destination.registry_id}/{r.destination.account_id}",
        quantity=t.block.quantity,
        serial=r.serial,
    )
