"""Time and peak memory of reconciling N tracked blocks against 10 registries, and how both grow.

A reconciliation reads where the ledger puts every tracked serial
(`ReconciliationBook.tracked`, in chunks of the location index), takes what the
registries show, and compares the two (`domain.reconciliation.compare`): totals
first, then the blocks behind the totals that disagree, one sort and sweep per
serial space. The target is under 60 s and under 1 GiB for 1 million tracked
blocks on the 2-core machine, growing linearly.

For each size, one child process grows a SQLite ledger to that many settled
blocks (a settled transfer and a location row each) spread over 10 registries of
the catalogue, 500 accounts and 4 serial spaces per registry, some blocks held
outside their issuing registry and some retired. A fresh child then builds
what the registries would answer: every block's holdings row through
`registry_span`, some split in two, some shown locked, a known 0.1 % of them
wrong (missing, shortened, also live in another registry, retired, in another
account), plus 20 % more rows the gateway does not track (between tracked blocks
and in serial spaces of their own). A few blocks are being moved on: the ledger
reserves their first half, which the seller's registry already shows
transferred out and the buyer's credited. It times

- the ledger side: `tracked()` read into a list, and the in-flight reservations;
- `compare(expected, actual, in_flight)`;

checks that the findings are exactly the injected discrepancies (it refuses to
report the speed of a wrong answer), and reports its peak resident memory: the
child's own, so each size's figure is its own. Filling the ledger and building
the registries' answers are setup (in the real run the second is network I/O):
timed apart, not counted.

    .venv/bin/python bench/reconciliation.py [--quick] [--sizes 100000,250000,500000,1000000]
        [--json PATH] [--csv PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from adapters.catalogue import all_profiles
from bench.double_counting import (
    LOCATION_COLUMNS,
    RESERVATION_COLUMNS,
    TRANSFER_COLUMNS,
    Batch,
    stamper,
    write_rows,
)
from bench.measure import Row, peak_rss_mb, print_table, progress, ratio, write_csv, write_json
from domain.reconciliation import Comparison, FindingCode, Span, compare, registry_span
from domain.serials import SerialBlock
from domain.transfers import RETIRED_ACCOUNT_ID
from domain.units import UnitClass, UnitStatus
from ledger import Ledger
from ledger.database import open_engine

T = TypeVar("T")

DEFAULT_SIZES = (100_000, 250_000, 500_000, 1_000_000)
QUICK_SIZES = (10_000, 50_000)
TARGET_BLOCKS = 1_000_000
TARGET_S = 60.0
TARGET_MIB = 1024.0

# The layout. Block b lies in serial space b % SPACES, at slot b // SPACES of it.
REGISTRIES = 10
SPACES_PER_REGISTRY = 4
SPACES = REGISTRIES * SPACES_PER_REGISTRY
ACCOUNTS = 50  # per registry, holding tracked blocks: 500 in all
SPARE_ACCOUNTS = 5  # per registry, holding no tracked block: where the injected wrong rows go
STRIDE = 1_000  # serials from one block's start to the next one's in the same space
MAX_QUANTITY = 600  # so at least 400 untracked serials follow every block
# Which blocks are special: b modulo a period, each prime to SPACES so every space has its share.
# A discrepancy comes first, then a transfer in flight; only plain blocks are retired or split.
ABROAD = (9, 4)  # held outside the space's issuing registry, by another one accepting the programme
RETIRED_BY_HOLDER = (21, 7)  # the ledger's `#retired`; the registry keeps it in the holder's account
SPLIT = (23, 11)  # the registry shows it as two rows
LOCKED = (51, 13)  # the registry shows it locked (still the holder's)
WRONG = (1_001, 500)  # one of the injected discrepancies: 0.1 %
IN_FLIGHT = (4_999, 1_250)  # its first half reserved by a transfer moving it on
UNTRACKED = 5  # one registry row the gateway does not track per 5 slots of a space: 20 %
KINDS = ("missing", "shortened", "live twice", "retired", "wrong account")
BATCH = 50_000  # blocks per bulk insert and commit

# Unit types of the programmes the chosen registries issue or accept.
UNIT_TYPES = {"VCS": "VCU", "GS": "VER", "CCER": "CCER", "CEA": "CEA", "ITMO": "ITMO"}


def every(b: int, period: tuple[int, int]) -> bool:
    return b % period[0] == period[1]


# The layout


@dataclass(frozen=True)
class Space:
    """One tracked serial space: its issuing registry, who else may hold it, and its rows' JSON."""

    name: str
    issuer: str
    holders: tuple[str, ...]  # the other chosen registries accepting its programme
    unit_class: str  # as both sides spell it: programme/unit type
    vintage: str
    json_head: str  # a location's block JSON up to its range: rows are formatted, not serialised

    def block_json(self, start: int, end: int) -> str:
        return f'{self.json_head}, "start": {start}, "end": {end}}}'


@cache
def registries() -> tuple[str, ...]:
    return tuple(p.registry_id for p in all_profiles()[:REGISTRIES])


@cache
def spaces() -> tuple[Space, ...]:
    profiles = all_profiles()[:REGISTRIES]
    accepting = {p.registry_id: p.accepted_programmes or {p.grammar.programme} for p in profiles}
    made = []
    for i, p in enumerate(profiles):
        programmes = sorted(accepting[p.registry_id])
        for k in range(SPACES_PER_REGISTRY):
            programme = programmes[k % len(programmes)]
            unit_type = UNIT_TYPES.get(programme, programme)
            vintage = str(2016 + (i + k) % 8)
            name = f"{programme}:{p.registry_id}:{vintage}:{k + 1}"
            template = SerialBlock(
                programme=programme,
                serial_space=name,
                project_id=str(1_000 + SPACES_PER_REGISTRY * i + k),
                vintage=vintage,
                unit_type=unit_type,
                country="CN" if p.registry_id.startswith("cn-") else "BR",
                start=1,
                end=1,
                attributes={"issuance": str(20_000 + SPACES_PER_REGISTRY * i + k)},
            )
            fields = {f: v for f, v in template.model_dump(mode="json").items() if f not in ("start", "end")}
            space = Space(
                name=name,
                issuer=p.registry_id,
                holders=tuple(r for r in accepting if r != p.registry_id and programme in accepting[r]),
                unit_class=str(UnitClass(programme=programme, unit_type=unit_type)),
                vintage=vintage,
                json_head=json.dumps(fields)[:-1],
            )
            if SerialBlock.model_validate_json(space.block_json(3, 7)) != template.with_range(3, 7):
                raise AssertionError(f"the JSON of space {name} does not round-trip")
            made.append(space)
    return tuple(made)


@dataclass(frozen=True)
class Block:
    b: int
    space: Space
    start: int
    end: int
    registry: str
    account: str  # the holder's account, also for a retired block
    retired: bool

    @property
    def ledger_account(self) -> str:
        return RETIRED_ACCOUNT_ID if self.retired else self.account

    @property
    def half(self) -> int:
        return self.start + (self.end - self.start) // 2


def block(b: int) -> Block:
    space, slot = spaces()[b % SPACES], b // SPACES
    start = slot * STRIDE + 1
    end = start + (b * 7_919) % MAX_QUANTITY
    special = every(b, WRONG) or moving(b)
    if special:
        end = max(end, start + 1)  # something to shorten, or to leave after the reserved half
    registry = space.issuer
    if every(b, ABROAD) and space.holders:
        registry = space.holders[(b // ABROAD[0]) % len(space.holders)]
    account = f"acct-{(b * 31 + slot) % ACCOUNTS:03d}"
    return Block(b, space, start, end, registry, account, every(b, RETIRED_BY_HOLDER) and not special)


def moving(b: int) -> bool:
    """Whether block `b` is being moved on (a discrepancy takes its place)."""
    return every(b, IN_FLIGHT) and not every(b, WRONG)


def kind(b: int) -> str | None:
    """The discrepancy injected at block `b`, if any."""
    if not every(b, WRONG):
        return None
    # The nth discrepant block lies in space (nth + WRONG[1]) % SPACES; shifting the kinds by one
    # every lap over the spaces gives every space every kind.
    nth = b // WRONG[0]
    return KINDS[(nth + nth // SPACES) % len(KINDS)]


def other_registry(registry: str, b: int) -> str:
    others = [r for r in registries() if r != registry]
    return others[b % len(others)]


def spare_account(b: int) -> str:
    return f"spare-{ACCOUNTS + b % SPARE_ACCOUNTS:03d}"


# Filling the ledger


def ledger_rows(blocks: range, stamp: Callable[[int], Any]) -> Batch:
    """Each block's settled transfer and location; for a block moving on, its transfer and reservation."""
    batch = Batch()
    for b in blocks:
        where, at = block(b), stamp(b // SPACES)
        space = where.space
        settled = f"settle-{b:09d}"
        batch.transfers.append(
            transfer_row(
                settled,
                (space.issuer, f"issuer-{b % 7}"),
                (where.registry, where.ledger_account),
                space,
                where.start,
                where.end,
                "settled",
                at,
            )
        )
        batch.locations.append(
            (
                space.name,
                where.start,
                where.end,
                space.block_json(where.start, where.end),
                where.registry,
                where.ledger_account,
                settled,
                at,
            )
        )
        if moving(b):
            onward = f"move-{b:09d}"
            buyer = (other_registry(where.registry, b), "buyer")
            source = (where.registry, where.account)
            batch.transfers.append(
                transfer_row(onward, source, buyer, space, where.start, where.half, "source_locked", at)
            )
            batch.reservations.append(
                (
                    onward,
                    space.name,
                    where.start,
                    where.half,
                    space.block_json(where.start, where.half),
                    *source,
                    at,
                )
            )
    return batch


def transfer_row(
    transfer_id: str,
    source: tuple[str, str],
    destination: tuple[str, str],
    space: Space,
    start: int,
    end: int,
    state: str,
    at: Any,
) -> tuple[Any, ...]:
    """A transfers row in TRANSFER_COLUMNS' order."""
    return (
        transfer_id,
        *source,
        *destination,
        f"{space.name} {start}-{end}",
        end - start + 1,
        "voluntary",
        space.block_json(start, end),
        space.name,
        start,
        end,
        state,
        "[]",
        at,
        at,
        at if state == "settled" else None,
    )


def fill(url: str, first: int, last: int) -> tuple[float, float]:
    """Add blocks first..last-1 to the ledger; seconds and peak MiB. Runs in a child process.

    Transfers go in before the rows that refer to them: the ledger's SQLite
    connections enforce foreign keys. The fill's own connection skips fsync (the
    database is thrown away after the run); the measured reads keep the ledger's settings.
    """
    engine = open_engine(url, pool_size=1)
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA synchronous = OFF")
            stamp = stamper(connection)
            for low in range(first, last, BATCH):
                with connection.begin():
                    batch = ledger_rows(range(low, min(last, low + BATCH)), stamp)
                    write_rows(connection, "transfers", TRANSFER_COLUMNS, batch.transfers)
                    write_rows(connection, "serial_locations", LOCATION_COLUMNS, batch.locations)
                    write_rows(connection, "serial_reservations", RESERVATION_COLUMNS, batch.reservations)
                done = min(last, low + BATCH)
                progress(
                    f"filling: {done:,} blocks ({(done - first) / (time.perf_counter() - started):,.0f}/s)"
                )
    finally:
        engine.dispose()
    return time.perf_counter() - started, peak_rss_mb()


# What the registries answer


Expected = tuple[str, str, str, str, int, int]  # code, registry, account, space, start, end


@dataclass
class RegistrySide:
    spans: list[Span] = field(default_factory=list)
    wrong: Counter[str] = field(default_factory=Counter)  # discrepancies injected, by kind
    findings: set[Expected] = field(default_factory=set)  # the findings they must give

    def show(
        self, where: Block, start: int, end: int, registry: str, account: str, status: UnitStatus
    ) -> None:
        self.add(where.space.name, start, end, registry, account, status, where.space)

    def add(
        self, name: str, start: int, end: int, registry: str, account: str, status: UnitStatus, space: Space
    ) -> None:
        span = registry_span(name, start, end, registry, account, status, space.unit_class, space.vintage)
        if span is not None:  # None: the units left the registry (exported)
            self.spans.append(span)

    def expect(
        self, code: FindingCode, registry: str, account: str, where: Block, start: int, end: int
    ) -> None:
        self.findings.add((code.value, registry, account, where.space.name, start, end))


def registry_side(size: int) -> RegistrySide:
    """Every registry's holdings rows for the first `size` blocks, with the known discrepancies."""
    side = RegistrySide()
    for b in range(size):
        where = block(b)
        held = (
            UnitStatus.RETIRED
            if where.retired
            else UnitStatus.LOCKED
            if every(b, LOCKED)
            else UnitStatus.HELD
        )
        wrong = kind(b)
        if wrong is not None:
            side.wrong[wrong] += 1
            inject(side, where, wrong)
        elif moving(b):  # the moved half: transferred out here, credited at the buyer's registry
            side.show(where, where.start, where.half, where.registry, where.account, UnitStatus.EXPORTED)
            side.show(
                where, where.start, where.half, other_registry(where.registry, b), "buyer", UnitStatus.HELD
            )
            if where.half < where.end:
                side.show(where, where.half + 1, where.end, where.registry, where.account, held)
        elif every(b, SPLIT) and where.start < where.end and not where.retired:
            side.show(where, where.start, where.half, where.registry, where.account, held)
            side.show(where, where.half + 1, where.end, where.registry, where.account, held)
        else:
            side.show(where, where.start, where.end, where.registry, where.account, held)
        if (b // SPACES) % UNTRACKED == 0:
            untracked(side, where)
    return side


def inject(side: RegistrySide, where: Block, wrong: str) -> None:
    """The registry's row(s) for a block it shows wrongly, and the finding(s) that must name it."""
    if where.retired or where.start == where.end:
        raise AssertionError(f"block {where.b} cannot carry a discrepancy: the layout changed")
    b, s, e, registry, account = where.b, where.start, where.end, where.registry, where.account
    if wrong == "missing":
        side.expect(FindingCode.MISSING, registry, account, where, s, e)
    elif wrong == "shortened":
        side.show(where, s, where.half, registry, account, UnitStatus.HELD)
        side.expect(FindingCode.QUANTITY, registry, account, where, where.half + 1, e)
    elif wrong == "live twice":
        elsewhere, spare = other_registry(registry, b), spare_account(b)
        side.show(where, s, e, registry, account, UnitStatus.HELD)
        side.show(where, s, e, elsewhere, spare, UnitStatus.HELD)
        side.expect(FindingCode.LIVE_TWICE, elsewhere, spare, where, s, e)
    elif wrong == "retired":
        side.show(where, s, e, registry, account, UnitStatus.RETIRED)
        side.expect(FindingCode.STATUS, registry, RETIRED_ACCOUNT_ID, where, s, e)
    elif wrong == "wrong account":
        side.show(where, s, e, registry, spare_account(b), UnitStatus.HELD)
        side.expect(FindingCode.MISSING, registry, account, where, s, e)
        side.expect(FindingCode.EXTRA, registry, spare_account(b), where, s, e)
    else:
        raise ValueError(wrong)


def untracked(side: RegistrySide, where: Block) -> None:
    """A holding the gateway does not track: between two tracked blocks, or in a space of its own."""
    b, space = where.b, where.space
    status = (UnitStatus.HELD, UnitStatus.LOCKED, UnitStatus.RETIRED, UnitStatus.PLEDGED)[b % 4]
    if b % 2 == 0:  # in the gap after the block: at least STRIDE - MAX_QUANTITY serials
        low = where.end + 1 + (b % 97)
        side.show(where, low, low + (b % 211), other_registry(where.registry, b), where.account, status)
    else:
        name = f"{space.name}:untracked"
        side.add(name, where.start, where.end, where.registry, where.account, status, space)


# Reconciling


def check(comparison: Comparison, side: RegistrySide, size: int) -> None:
    """The findings must be exactly the injected discrepancies, and every block must have been compared."""
    found = {
        (f.code.value, f.registry_id, f.account_id, f.serial_space, f.start, f.end)
        for f in comparison.findings
        if f.start is not None and f.end is not None
    }
    problems = []
    if len(comparison.findings) != len(side.findings):
        problems.append(f"{len(comparison.findings)} findings for {len(side.findings)} expected")
    if comparison.compared_blocks != size:
        problems.append(f"{comparison.compared_blocks:,} blocks compared of {size:,}")
    missed, spurious = sorted(side.findings - found), sorted(found - side.findings)
    if missed:
        problems.append(f"{len(missed)} expected findings not given, e.g. {missed[:3]}")
    if spurious:
        problems.append(f"{len(spurious)} findings not injected, e.g. {spurious[:3]}")
    other = [f for f in comparison.findings if f.start is None or f.end is None]
    if other:
        problems.append(f"{len(other)} findings without serials, e.g. {[f.message for f in other[:3]]}")
    if problems:
        raise AssertionError(f"reconciling {size:,} blocks gave a wrong answer: " + "; ".join(problems))


def reconcile(url: str, size: int) -> Row:
    """Build the registries' answers, read the ledger, compare, check; seconds and peak MiB."""
    started = time.perf_counter()
    progress(f"{size:,} blocks: building the registries' answers")
    side = registry_side(size)
    built = time.perf_counter() - started
    with Ledger.open(url, pool_size=1) as ledger:
        progress(f"{size:,} blocks: reading the ledger")
        started = time.perf_counter()
        expected = list(ledger.reconciliations.tracked())
        in_flight = ledger.reconciliations.in_flight()
        read = time.perf_counter() - started
    progress(f"{size:,} blocks: comparing")
    started = time.perf_counter()
    comparison = compare(expected, side.spans, in_flight)
    compared = time.perf_counter() - started
    check(comparison, side, size)
    return {
        "blocks": size,
        "registry_rows": len(side.spans),
        "in_flight": len(in_flight),
        "injected": sum(side.wrong.values()),
        "findings": len(comparison.findings),
        "finding_codes": dict(sorted(Counter(f.code.value for f in comparison.findings).items())),
        "registry_s": built,
        "read_s": read,
        "compare_s": compared,
        "total_s": read + compared,
        "peak_rss_mb": peak_rss_mb(),
    }


def in_child(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a fresh process, so its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def run(sizes: Sequence[int]) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-rec-") as folder:
        url = f"sqlite:///{Path(folder) / 'ledger.db'}"
        Ledger.open(url).close()
        filled = 0
        for size in sizes:
            fill_s, fill_rss = in_child(fill, url, filled, size)
            filled = size
            row = in_child(reconcile, url, size)
            rows.append({**row, "fill_s": fill_s, "fill_peak_rss_mb": fill_rss})
            progress(
                f"{size:,} blocks: {row['total_s']:.1f} s, {row['peak_rss_mb']:.0f} MiB, "
                f"{row['findings']} findings as injected",
                done=True,
            )
    smallest = rows[0]
    for row in rows:
        size_ratio = row["blocks"] / smallest["blocks"]
        for stage in ("read", "compare", "total"):
            row[f"{stage}_growth"] = ratio(row[f"{stage}_s"] / smallest[f"{stage}_s"], size_ratio)
        row["memory_ratio"] = ratio(row["peak_rss_mb"], smallest["peak_rss_mb"])
        row["size_ratio"] = size_ratio
    return rows


def targets(rows: Sequence[Row]) -> Row:
    """The 1 M targets: measured if 1 M was run, else on the line through the two largest sizes."""
    measured = next((r for r in rows if r["blocks"] == TARGET_BLOCKS), None)
    if measured is not None:
        seconds, mib = measured["total_s"], measured["peak_rss_mb"]
    else:
        low, high = rows[0] if len(rows) == 1 else rows[-2], rows[-1]

        def at_target(key: str) -> float:
            if low is high:  # one size: proportional
                return float(high[key] * TARGET_BLOCKS / high["blocks"])
            slope = (high[key] - low[key]) / (high["blocks"] - low["blocks"])
            return float(high[key] + slope * (TARGET_BLOCKS - high["blocks"]))

        seconds, mib = at_target("total_s"), at_target("peak_rss_mb")
    return {
        "blocks": TARGET_BLOCKS,
        "measured": measured is not None,
        "total_s": seconds,
        "peak_rss_mb": mib,
        "time_met": seconds < TARGET_S,
        "memory_met": mib < TARGET_MIB,
    }


def report(rows: Sequence[Row], goal: Row) -> None:
    print_table(
        rows,
        [
            ("blocks", "blocks", ","),
            ("fill_s", "fill s", ".1f"),
            ("registry_s", "registry s", ".1f"),
            ("registry_rows", "registry rows", ","),
            ("read_s", "ledger read s", ".2f"),
            ("compare_s", "compare s", ".2f"),
            ("total_s", "total s", ".2f"),
            ("peak_rss_mb", "peak MiB", ".0f"),
            ("findings", "findings", ","),
            ("read_growth", "read x", ".2f"),
            ("compare_growth", "compare x", ".2f"),
            ("total_growth", "total x", ".2f"),
            ("memory_ratio", "memory x", ".2f"),
        ],
    )
    smallest = rows[0]["blocks"]
    print()
    print(
        f"x: time ratio over size ratio against {smallest:,} blocks (1.0 is linear); "
        f"memory x: peak MiB over peak MiB at {smallest:,}. fill s (this stage) and registry s are setup."
    )
    how = "measured" if goal["measured"] else "extrapolated linearly from the two largest sizes"
    print(
        f"1 M targets ({how}): total {goal['total_s']:.1f} s < {TARGET_S:.0f} s "
        f"{'met' if goal['time_met'] else 'MISSED'}; peak {goal['peak_rss_mb']:.0f} MiB < {TARGET_MIB:.0f} MiB "
        f"{'met' if goal['memory_met'] else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", help="comma-separated numbers of tracked blocks (default 100k,250k,500k,1M)"
    )
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}: under a minute")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--csv", type=Path, help="also write one row per size here as CSV")
    args = parser.parse_args()
    sizes = (
        sorted({int(s) for s in args.sizes.split(",")})
        if args.sizes
        else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    )
    if sizes[0] <= 0:
        parser.error("sizes must be positive")
    rows = run(sizes)
    goal = targets(rows)
    report(rows, goal)
    write_json(args.json, {"sizes": sizes, "rows": rows, "target": goal})
    write_csv(args.csv, [{k: v for k, v in r.items() if k != "finding_codes"} for r in rows])


if __name__ == "__main__":
    main()
