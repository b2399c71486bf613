"""The reconciliation's I/O: read every registry, compare with the ledger, gather trails and checks, report.

`reconcile` is one activity so the snapshot never crosses Temporal's history;
it records its progress in the ledger (the CLI's progress bar reads it) and
heartbeats between registries. Everything it stores is keyed by the run, so a
retry after a crash redoes the comparison and stores the report once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel
from temporalio import activity

from adapters import catalogue
from adapters.base import RegistryAdapter
from domain.reconciliation import Comparison, Finding, ResultState, Span, compare, registry_span, result_state
from domain.reconciliation_report import Flow, Progress, ReconciliationReport, RegistrySnapshot, Volume
from ledger import Ledger
from ledger.reconciliation_book import ReconciliationBook

_log = logging.getLogger(__name__)
SCHEDULED_BY = "schedule"
# Findings beyond this many get no audit trail of their own (each trail is a ledger query).
TRAILS_AT_MOST = 500


class ReconcileInput(BaseModel):
    """A run to make; an empty id (a scheduled run) takes the workflow's own id."""

    reconciliation_id: str = ""
    requested_by: str = SCHEDULED_BY
    # How long the comparison may take, and how long its holds last should the run never end.
    run_timeout_s: float = 1800.0
    attempts: int = 3


class ReconcileOutcome(BaseModel):
    reconciliation_id: str
    state: ResultState
    findings: int = 0


class LedgerChecks(Protocol):
    """The checks of the gateway's own record a run adds (gateway.reconciliation_checks builds them)."""

    def findings(self, since: datetime | None, now: datetime) -> list[Finding]: ...


@dataclass(frozen=True)
class ReconciliationParts:
    ledger: Ledger
    adapters: Mapping[str, RegistryAdapter]
    checks: LedgerChecks


def _jurisdiction(registry_id: str) -> str:
    try:
        return catalogue.profile(registry_id).info.jurisdiction
    except KeyError:
        return registry_id


class ReconciliationActivities:
    def __init__(self, parts: ReconciliationParts) -> None:
        self._ledger = parts.ledger
        self._adapters = parts.adapters
        self._checks = parts.checks

    @property
    def _book(self) -> ReconciliationBook:
        return self._ledger.reconciliations

    @activity.defn
    async def begin(self, run: ReconcileInput) -> None:
        """Record the run and hold every serial until it ends (or its timeout, should it never end)."""
        now = datetime.now(UTC)
        report = ReconciliationReport(
            reconciliation_id=run.reconciliation_id, requested_by=run.requested_by, started_at=now
        )
        await asyncio.to_thread(self._book.begin, report, now + timedelta(seconds=run.run_timeout_s))

    @activity.defn
    async def fail(self, run: ReconcileInput, why: str) -> None:
        _log.warning("reconciliation %s failed: %s", run.reconciliation_id, why)
        await asyncio.to_thread(self._book.fail, run.reconciliation_id, why, datetime.now(UTC))

    @activity.defn
    async def reconcile(self, run: ReconcileInput) -> ReconcileOutcome:
        run_id = run.reconciliation_id
        hold_until = datetime.now(UTC) + timedelta(seconds=run.run_timeout_s)
        started = await asyncio.to_thread(self._book.report, run_id)
        if started.finished_at is not None:  # a retry after the report was stored
            return ReconcileOutcome(
                reconciliation_id=run_id, state=started.state, findings=len(started.findings)
            )
        snapshot_at = datetime.now(UTC)
        moving = await asyncio.to_thread(self._book.in_flight)
        actual, snapshots = await self._snapshot(run_id)
        moving += await asyncio.to_thread(self._book.in_flight)  # reserved while the registries were read
        await self._progress(run_id, "totals")
        expected = await asyncio.to_thread(lambda: list(self._book.tracked()))
        comparison = await asyncio.to_thread(compare, expected, actual, moving)
        await asyncio.to_thread(self._book.narrow_hold, run_id, _held_blocks(comparison), hold_until)
        await self._progress(run_id, "trail")
        findings = await asyncio.to_thread(self._with_trails, comparison.findings)
        await self._progress(run_id, "checks")
        last = await asyncio.to_thread(self._book.last_finished)
        findings += await asyncio.to_thread(
            self._checks.findings, last.snapshot_at if last else None, snapshot_at
        )
        volumes, flows = await asyncio.to_thread(self._volumes)
        report = started.model_copy(
            update={
                "snapshot_at": snapshot_at,
                "finished_at": datetime.now(UTC),
                "state": result_state(findings),
                "progress": Progress(stage="done", done=len(snapshots), total=len(snapshots)),
                "compared_blocks": comparison.compared_blocks,
                "excluded_in_flight": len({(s.space, s.start, s.end) for s in moving}),
                "registries": _registry_rows(snapshots, comparison),
                "totals": sorted(comparison.totals, key=lambda t: t.consistent),
                "findings": findings,
                "volumes": volumes,
                "flows": flows,
            }
        )
        done = await asyncio.to_thread(self._book.finish, report)
        _log.info("reconciliation %s: %s, %d findings", run_id, done.state.value, len(done.findings))
        return ReconcileOutcome(reconciliation_id=run_id, state=done.state, findings=len(done.findings))

    async def _progress(self, run_id: str, stage: str, done: int = 0, total: int = 0) -> None:
        activity.heartbeat(stage, done)
        await asyncio.to_thread(self._book.progress, run_id, Progress(stage=stage, done=done, total=total))

    async def _snapshot(self, run_id: str) -> tuple[list[Span], dict[str, list[Span]]]:
        """Every registry's holdings now, as spans; one registry at a time, progress after each."""
        spans: list[Span] = []
        by_registry: dict[str, list[Span]] = {}
        registries = sorted(self._adapters)
        for done, registry_id in enumerate(registries):
            await self._progress(run_id, "snapshot", done, len(registries))
            holdings = await self._adapters[registry_id].holdings()
            shown = [
                span
                for h in holdings
                if (
                    span := registry_span(
                        h.block.serial_space,
                        h.block.start,
                        h.block.end,
                        h.registry_id,
                        h.account_id,
                        h.status,
                        str(h.block.unit_class),
                        h.block.vintage,
                    )
                )
                is not None
            ]
            by_registry[registry_id] = shown
            spans += shown
        return spans, by_registry

    def _with_trails(self, findings: list[Finding]) -> list[Finding]:
        """Each block finding with the serials in their grammar and the transfers that touched them."""
        dressed = []
        for i, f in enumerate(findings):
            if i >= TRAILS_AT_MOST or f.start is None or f.end is None:
                dressed.append(f)
                continue
            block = self._book.block_of(f.serial_space, f.start, f.end)
            if block is None:
                dressed.append(f)
                continue
            trail = self._book.trail(block)
            dressed.append(
                f.model_copy(
                    update={
                        "serial": catalogue.format_serial(block),
                        "trail": trail,
                        "occurred_at": trail[-1].at if trail else None,
                        "transfer_state": trail[-1].state if trail else "",
                    }
                )
            )
        return dressed

    def _volumes(self) -> tuple[list[Volume], list[Flow]]:
        volumes: dict[tuple[str, str], int] = defaultdict(int)
        flows: dict[tuple[str, str], int] = defaultdict(int)
        for source, destination, month, units in self._book.settled_volumes():
            volumes[(destination, month)] += units
            flows[(_jurisdiction(source), _jurisdiction(destination))] += units
        return (
            [Volume(registry_id=r, month=m, units=u) for (r, m), u in sorted(volumes.items())],
            [Flow(source=s, destination=d, units=u) for (s, d), u in sorted(flows.items())],
        )


def _held_blocks(comparison: Comparison) -> list[Span]:
    return [
        Span(f.serial_space, f.start, f.end, f.registry_id, f.account_id, "", "", "")
        for f in comparison.findings
        if f.start is not None and f.end is not None
    ]


def _registry_rows(snapshots: dict[str, list[Span]], comparison: Comparison) -> list[RegistrySnapshot]:
    compared: dict[str, int] = defaultdict(int)
    inconsistent: dict[str, int] = defaultdict(int)
    for row in comparison.totals:
        compared[row.registry_id] += 1
        inconsistent[row.registry_id] += 0 if row.consistent else 1
    return [
        RegistrySnapshot(
            registry_id=registry_id,
            jurisdiction=_jurisdiction(registry_id),
            rows=len(spans),
            units=sum(s.quantity for s in spans),
            totals_compared=compared[registry_id],
            totals_inconsistent=inconsistent[registry_id],
        )
        for registry_id, spans in sorted(snapshots.items())
    ]


def activities(parts: ReconciliationParts) -> list[Callable[..., object]]:
    acts = ReconciliationActivities(parts)
    return [acts.begin, acts.reconcile, acts.fail]
