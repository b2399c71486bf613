"""Reconciliation after the Kyoto ITL: every registry's holdings against the gateway's ledger.

A snapshot fixes what each registry shows and what the ledger says should be
there. The comparison runs in the ITL's three stages:

1. totals per registry, account, unit class, vintage and status;
2. for the totals that disagree, the unit blocks behind them, serial by serial;
3. for the blocks that disagree, the audit trail of the transfers that touched
   them (gathered by the caller from the ledger, attached to each finding).

Only serials the gateway tracks are compared: the ranges the ledger placed
somewhere by a settled transfer. A registry's other holdings are its own
business; serials reserved by a transfer in flight at the snapshot are left out
(they are moving, not wrong). Holdings arrive as `Span`s, small tuples, so a
million blocks fit in memory many times over; the engine is pure and sorts and
sweeps once per serial space.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from domain.transfers import RETIRED_ACCOUNT_ID
from domain.units import UnitStatus

LIVE = "live"
RETIRED = "retired"
# How the comparison reads a registry's statuses: a lock or a pledge is still the account's holding.
_READ_AS = {
    UnitStatus.HELD: LIVE,
    UnitStatus.LOCKED: LIVE,
    UnitStatus.PLEDGED: LIVE,
    UnitStatus.RETIRED: RETIRED,
    UnitStatus.CANCELLED: "cancelled",
    UnitStatus.EXPIRED: "expired",
}


def compared_status(status: UnitStatus) -> str | None:
    """The status the comparison reads a registry's row as; None for units that left (EXPORTED)."""
    return _READ_AS.get(status)


class Span(NamedTuple):
    """Serials `start..end` of one serial space at one holder, as the ledger or a registry has them.

    A retired span's account is `#retired`: registries keep retired units in the
    retiring holder's account, the ledger in its pseudo-account; both mean the same.
    """

    space: str
    start: int
    end: int
    registry: str
    account: str
    status: str
    unit_class: str
    vintage: str
    transfer_id: str = ""  # the ledger's: the settled transfer that put the serials there

    @property
    def key(self) -> TotalsKey:
        return TotalsKey(self.registry, self.account, self.unit_class, self.vintage, self.status)

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


def registry_span(
    space: str,
    start: int,
    end: int,
    registry: str,
    account: str,
    status: UnitStatus,
    unit_class: str,
    vintage: str,
) -> Span | None:
    """A registry's holdings row as a span to compare; None when the units left that registry."""
    read = compared_status(status)
    if read is None:
        return None
    holder = RETIRED_ACCOUNT_ID if read == RETIRED else account
    return shared_span(space, start, end, registry, holder, read, unit_class, vintage)


def shared_span(
    space: str,
    start: int,
    end: int,
    registry: str,
    account: str,
    status: str,
    unit_class: str,
    vintage: str,
    transfer_id: str = "",
) -> Span:
    """A span whose texts are shared with every other span naming the same space, holder or class.

    A million spans name a few dozen spaces and a few hundred accounts: one string
    each, not one per span, keeps a run's memory to the tuples themselves.
    """
    i = sys.intern
    return Span(
        i(space), start, end, i(registry), i(account), i(status), i(unit_class), i(vintage), transfer_id
    )


class TotalsKey(NamedTuple):
    registry: str
    account: str
    unit_class: str
    vintage: str
    status: str


class FindingCode(StrEnum):
    MISSING = "REC-MISSING"  # the ledger puts units in an account; the registry does not show them
    EXTRA = "REC-EXTRA"  # the registry shows tracked units where the ledger puts none
    STATUS = "REC-STATUS"  # the registry shows the units, under another status (retired, cancelled)
    QUANTITY = "REC-QUANTITY"  # the registry shows only part of a block the ledger puts there
    TOTALS = "REC-TOTALS"  # totals differ though every serial is where it should be (described otherwise)
    LIVE_TWICE = "REC-LIVE-TWICE"  # the same serials live (or retired) in two registries: double use
    STUCK = "REC-STUCK"  # a transfer past its deadline without reaching a final state, or waiting on a person
    DOUBLE_COUNTING = "REC-DC-ALERT"  # a transfer the double-counting checks refused since the last report
    UNADJUSTED = "REC-A6-UNADJUSTED"  # an Article 6 use abroad with no applied corresponding adjustment
    OFFSET_CAP = "REC-OFFSET-CAP"  # an entity's offset use in a year above a cap in force
    LOG = "REC-LOG"  # the anchored settlement log no longer agrees with the ledger (`cause`: audit's code)


class FindingClass(StrEnum):
    """The report's sections, after the UK registry's regulator reports."""

    DISCREPANT_TRANSACTION = "discrepant_transaction"
    RECONCILIATION = "reconciliation"
    INVALID_UNITS = "invalid_units"


CLASS_OF: dict[FindingCode, FindingClass] = {
    FindingCode.MISSING: FindingClass.RECONCILIATION,
    FindingCode.EXTRA: FindingClass.RECONCILIATION,
    FindingCode.STATUS: FindingClass.RECONCILIATION,
    FindingCode.QUANTITY: FindingClass.RECONCILIATION,
    FindingCode.TOTALS: FindingClass.RECONCILIATION,
    FindingCode.LOG: FindingClass.RECONCILIATION,
    FindingCode.LIVE_TWICE: FindingClass.INVALID_UNITS,
    FindingCode.STUCK: FindingClass.DISCREPANT_TRANSACTION,
    FindingCode.DOUBLE_COUNTING: FindingClass.DISCREPANT_TRANSACTION,
    FindingCode.UNADJUSTED: FindingClass.DISCREPANT_TRANSACTION,
    FindingCode.OFFSET_CAP: FindingClass.DISCREPANT_TRANSACTION,
}

# Registries correct these themselves (a re-run then reports consistent); the rest need a person.
_REGISTRY_SIDE = frozenset({FindingCode.MISSING, FindingCode.EXTRA, FindingCode.STATUS, FindingCode.QUANTITY})


class ResultState(StrEnum):
    """DOMAIN.md's result states; `running` and `failed` say a run has none yet."""

    RUNNING = "running"
    FAILED = "failed"
    CONSISTENT = "consistent"
    TOTALS_INCONSISTENT = "totals_inconsistent"
    UNIT_BLOCKS_INCONSISTENT = "unit_blocks_inconsistent"
    MANUAL_INTERVENTION_REQUIRED = "manual_intervention_required"
    COMPLETED_WITH_MANUAL_INTERVENTION = "completed_with_manual_intervention"


class TrailEntry(BaseModel):
    """One transfer that touched a discrepant block: the audit trail a regulator follows."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    at: datetime
    kind: str  # the transfer's purpose (trade, offset, retirement, ...)
    state: str  # where it stands now
    source: str  # registry/account
    destination: str
    quantity: int
    serial: str


class Resolution(BaseModel):
    model_config = ConfigDict(frozen=True)

    note: str
    resolved_by: str
    resolved_at: datetime
    reconciliation_id: str  # the run whose finding was resolved


class Finding(BaseModel):
    """One discrepancy: what, where, which serials and transfers, and how it was resolved, if it was."""

    model_config = ConfigDict(frozen=True)

    finding_id: str = ""  # <reconciliation id>-<seq>, given when the run's findings are stored
    fingerprint: str  # the same discrepancy has the same fingerprint in every run
    code: FindingCode
    finding_class: FindingClass
    message: str
    cause: str = ""  # a finer code, e.g. the settlement audit's SETTLED-ROW-CHANGED
    registry_id: str = ""
    account_id: str = ""
    serial_space: str = ""
    start: int | None = None
    end: int | None = None
    quantity: int = 0
    unit_class: str = ""
    vintage: str = ""
    serial: str = ""  # the range in its programme's grammar, for people
    transfer_ids: list[str] = Field(default_factory=list)
    transfer_state: str = ""
    occurred_at: datetime | None = None
    trail: list[TrailEntry] = Field(default_factory=list)
    resolution: Resolution | None = None  # this run's, or one carried from an earlier run
    earlier_resolution: Resolution | None = None  # the same discrepancy was resolved before and is back


def fingerprint(code: FindingCode, *parts: object) -> str:
    joined = "|".join([code.value, *(str(p) for p in parts)])
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def finding(code: FindingCode, message: str, *identity: object, **fields: object) -> Finding:
    """A finding whose fingerprint is its code and `identity` (what makes it the same next time)."""
    return Finding(
        fingerprint=fingerprint(code, *identity),
        code=code,
        finding_class=CLASS_OF[code],
        message=message,
        **fields,
    )


class TotalsRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_id: str
    account_id: str
    unit_class: str
    vintage: str
    status: str
    ledger_units: int
    registry_units: int

    @property
    def consistent(self) -> bool:
        return self.ledger_units == self.registry_units


class Comparison(BaseModel):
    """What the registry stages found: the totals, and the block findings behind those that disagree."""

    totals: list[TotalsRow]
    findings: list[Finding]
    compared_blocks: int  # tracked ledger blocks compared (in-flight ones left out)
    registry_blocks: int  # registry rows inside the tracked serials

    @property
    def inconsistent_totals(self) -> list[TotalsRow]:
        return [row for row in self.totals if not row.consistent]


def result_state(findings: Iterable[Finding]) -> ResultState:
    """The state a finished run stands in, from its findings and their resolutions.

    Nothing found: consistent. Every finding resolved by a regulator: completed
    with manual intervention. Otherwise the worst open kind: anything the gateway's
    own record shows (stuck, double counting, the log, double use) needs a person;
    registry-side block differences leave the unit blocks inconsistent; totals
    that differ with every block in place leave the totals inconsistent.
    """
    listed = list(findings)
    if not listed:
        return ResultState.CONSISTENT
    open_ = [f for f in listed if f.resolution is None]
    if not open_:
        return ResultState.COMPLETED_WITH_MANUAL_INTERVENTION
    codes = {f.code for f in open_}
    if codes - _REGISTRY_SIDE - {FindingCode.TOTALS}:
        return ResultState.MANUAL_INTERVENTION_REQUIRED
    if codes & _REGISTRY_SIDE:
        return ResultState.UNIT_BLOCKS_INCONSISTENT
    return ResultState.TOTALS_INCONSISTENT


# --- the engine -------------------------------------------------------------------------------


class _Ranges:
    """Sorted, non-overlapping ranges of one serial space, for clipping by bisection."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.ranges = merged
        self.starts = [r[0] for r in merged]

    def inside(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The parts of `start..end` these ranges cover."""
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        while i < len(self.ranges) and self.ranges[i][0] <= end:
            lo, hi = self.ranges[i]
            if hi >= start:
                yield max(lo, start), min(hi, end)
            i += 1

    def outside(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The parts of `start..end` these ranges do not cover."""
        cursor = start
        for lo, hi in self.inside(start, end):
            if lo > cursor:
                yield cursor, lo - 1
            cursor = hi + 1
        if cursor <= end:
            yield cursor, end


def _by_space(spans: Iterable[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[span.space].append(span)
    return grouped


def _cut(spans: dict[str, list[Span]], cuts: dict[str, _Ranges], keep: bool) -> dict[str, list[Span]]:
    """Each span's parts inside (`keep`) or outside the space's `cuts`."""
    result: dict[str, list[Span]] = {}
    for space, listed in spans.items():
        ranges = cuts.get(space)
        if ranges is None:
            if not keep:
                result[space] = listed
            continue
        pieces: list[Span] = []
        for span in listed:
            parts = ranges.inside(span.start, span.end) if keep else ranges.outside(span.start, span.end)
            for lo, hi in parts:  # most spans come through whole: keep them, build no copy
                pieces.append(span if (lo, hi) == (span.start, span.end) else span._replace(start=lo, end=hi))
        if pieces:
            result[space] = pieces
    return result


def _totals(spans: dict[str, list[Span]]) -> dict[TotalsKey, int]:
    counted: dict[TotalsKey, int] = defaultdict(int)
    for listed in spans.values():
        for span in listed:
            counted[span.key] += span.end - span.start + 1
    return counted


class _Segment(NamedTuple):
    start: int
    end: int
    expected: Span
    actual: tuple[Span, ...]


def _segments(expected: list[Span], actual: list[Span]) -> Iterator[_Segment]:
    """The space cut where any span starts or ends: each piece with its expected span and registry rows.

    Every actual span lies inside the expected ranges (clipped before), and
    expected spans never overlap, so each piece has exactly one expected span.
    """
    expected = sorted(expected, key=lambda s: s.start)
    actual = sorted(actual, key=lambda s: s.start)
    bounds = sorted(
        {s.start for s in expected}
        | {s.end + 1 for s in expected}
        | {s.start for s in actual}
        | {s.end + 1 for s in actual}
    )
    e_i = a_i = 0
    live: list[Span] = []
    for lo, nxt in itertools.pairwise(bounds):
        while e_i + 1 < len(expected) and expected[e_i].end < lo:
            e_i += 1
        current = expected[e_i]
        if not current.start <= lo <= current.end:
            continue
        while a_i < len(actual) and actual[a_i].start <= lo:
            live.append(actual[a_i])
            a_i += 1
        live = [s for s in live if s.end >= lo]
        yield _Segment(lo, nxt - 1, current, tuple(live))


class _Piece(NamedTuple):
    code: FindingCode
    at: Span  # the holder the finding names (registry side), with its unit class and vintage
    expected: Span
    start: int
    end: int


def _classify(segment: _Segment) -> Iterator[_Piece]:
    e = segment.expected
    here = [a for a in segment.actual if a.registry == e.registry]
    matched = any(a.account == e.account and a.status == e.status for a in here)
    other_status = next((a for a in here if a.status != e.status), None)
    if not matched:
        if other_status is not None:
            yield _Piece(FindingCode.STATUS, other_status, e, segment.start, segment.end)
        else:
            yield _Piece(FindingCode.MISSING, e, e, segment.start, segment.end)
    for a in segment.actual:
        if a.registry == e.registry and (a.status != e.status or (a.account == e.account)):
            continue  # the match itself, or the status mismatch named above
        code = FindingCode.LIVE_TWICE if matched and a.registry != e.registry else FindingCode.EXTRA
        yield _Piece(code, a, e, segment.start, segment.end)


def _merged(pieces: Iterable[_Piece]) -> list[_Piece]:
    """Adjacent pieces of one kind, holder and expected span, as one."""
    merged: list[_Piece] = []
    last: dict[tuple[object, ...], int] = {}
    for piece in pieces:
        ident = (piece.code, piece.at.registry, piece.at.account, piece.at.status, piece.expected)
        i = last.get(ident)
        if i is not None and merged[i].end + 1 == piece.start:
            merged[i] = merged[i]._replace(end=piece.end)
            continue
        last[ident] = len(merged)
        merged.append(piece)
    return merged


def _as_finding(piece: _Piece, partial: bool) -> Finding:
    e, at = piece.expected, piece.at
    units = piece.end - piece.start + 1
    span = f"{e.space} {piece.start}-{piece.end}"
    code = FindingCode.QUANTITY if piece.code is FindingCode.MISSING and partial else piece.code
    expected_at = f"{e.registry}/{e.account}"
    message = {
        FindingCode.MISSING: f"the ledger puts {units} units ({span}) in {expected_at}; "
        f"{e.registry} does not show them",
        FindingCode.QUANTITY: f"{e.registry} shows only part of the block the ledger puts in {expected_at}: "
        f"{units} units ({span}) are not there",
        FindingCode.STATUS: f"{e.registry} shows {units} units ({span}) as {at.status}; the ledger has them "
        f"{e.status} in {expected_at}",
        FindingCode.EXTRA: f"{at.registry} shows {units} units ({span}) {at.status} in {at.account}; "
        f"the ledger puts them in {expected_at}",
        FindingCode.LIVE_TWICE: f"{units} units ({span}) are {at.status} in {at.registry} ({at.account}) and "
        f"live in {expected_at}, where the ledger puts them",
    }[code]
    return finding(
        code,
        message,
        at.registry,
        at.account,
        e.space,
        piece.start,
        piece.end,
        registry_id=at.registry,
        account_id=at.account,
        serial_space=e.space,
        start=piece.start,
        end=piece.end,
        quantity=units,
        unit_class=at.unit_class,
        vintage=at.vintage,
        transfer_ids=[e.transfer_id] if e.transfer_id else [],
    )


def _block_findings(expected: list[Span], actual: list[Span]) -> tuple[list[Finding], set[TotalsKey]]:
    """Every block finding of a space with totals that disagree, and the totals they explain.

    The whole space is judged, not only the blocks of the disagreeing totals: a
    block missing from an account whose total another misplaced block happens to
    balance is found too.
    """
    pieces = [piece for segment in _segments(expected, actual) for piece in _classify(segment)]
    merged = _merged(pieces)
    short = {p.expected for p in merged if p.code is FindingCode.MISSING}
    # A block the registry shows part of is a quantity mismatch, not a missing block.
    missing_units: dict[Span, int] = defaultdict(int)
    for p in merged:
        if p.code is FindingCode.MISSING:
            missing_units[p.expected] += p.end - p.start + 1
    partial = {e for e in short if missing_units[e] < e.quantity}
    named = {p.at.key for p in merged} | {p.expected.key for p in merged}
    return [_as_finding(p, p.expected in partial) for p in merged], named


def compare(expected: Iterable[Span], actual: Iterable[Span], in_flight: Iterable[Span] = ()) -> Comparison:
    """The registry stages of a reconciliation: totals, then blocks behind the totals that disagree.

    `expected` are the ledger's spans (never overlapping within a space),
    `actual` every registry's holdings rows read through `registry_span`,
    `in_flight` ranges reserved by transfers still moving (left out on both sides).
    """
    flight = {
        space: _Ranges([(s.start, s.end) for s in listed]) for space, listed in _by_space(in_flight).items()
    }
    ours = _cut(_by_space(expected), flight, keep=False)
    tracked = {space: _Ranges([(s.start, s.end) for s in listed]) for space, listed in ours.items()}
    theirs_all = _by_space(actual)
    theirs = _cut(theirs_all, tracked, keep=True)  # `tracked` already leaves the in-flight serials out
    ledger_totals, registry_totals = _totals(ours), _totals(theirs)
    keys = sorted(set(ledger_totals) | set(registry_totals))
    totals = [
        TotalsRow(
            registry_id=k.registry,
            account_id=k.account,
            unit_class=k.unit_class,
            vintage=k.vintage,
            status=k.status,
            ledger_units=ledger_totals.get(k, 0),
            registry_units=registry_totals.get(k, 0),
        )
        for k in keys
    ]
    wanted = {k for k in keys if ledger_totals.get(k, 0) != registry_totals.get(k, 0)}
    spaces = {space for space, listed in ours.items() if any(s.key in wanted for s in listed)}
    spaces |= {space for space, listed in theirs.items() if any(s.key in wanted for s in listed)}
    findings: list[Finding] = []
    explained: set[TotalsKey] = set()
    for space in sorted(spaces):
        found, keys_named = _block_findings(ours.get(space, []), theirs.get(space, []))
        findings += found
        explained |= keys_named
    for k in sorted(wanted - explained):
        findings.append(_totals_finding(k, ledger_totals.get(k, 0), registry_totals.get(k, 0)))
    return Comparison(
        totals=totals,
        findings=findings,
        compared_blocks=sum(len(v) for v in ours.values()),
        registry_blocks=sum(len(v) for v in theirs.values()),
    )


def _totals_finding(key: TotalsKey, ledger_units: int, registry_units: int) -> Finding:
    return finding(
        FindingCode.TOTALS,
        f"{key.registry}/{key.account} holds {registry_units} {key.status} {key.unit_class} of vintage "
        f"{key.vintage}; the ledger counts {ledger_units}, though every tracked serial is where it should be "
        "(the registry describes the units otherwise)",
        *key,
        registry_id=key.registry,
        account_id=key.account,
        unit_class=key.unit_class,
        vintage=key.vintage,
        quantity=abs(registry_units - ledger_units),
    )
