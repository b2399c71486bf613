"""Latency of the double-counting check as the serial-block index grows: a lookup, not a scan.

Before serials move, the ledger asks which tracked blocks overlap them; rows of one
serial space never overlap, so that is two seeks on a (serial_space, start, end)
index whatever the table's size (ledger/serial_index.py). This benchmark holds the
ledger to that. It grows one ledger per database (SQLite, PostgreSQL) from 10
thousand to 1 million to 10 million settled blocks and, at each size, times

- `Ledger.location_of` for a probe block in a gap between tracked blocks (free) and
  for one overlapping a tracked block (hit);
- `reserve` then `release` of a fresh transfer whose block lies in a gap (granted),
  and of one whose block overlaps serials settled elsewhere (refused, DC-USE).

The figure to watch is p99 at the largest size over p99 at the smallest: near 1
means an index lookup. Blocks are bulk-loaded into the tables `Ledger.open`
migrated (executemany on SQLite, COPY on PostgreSQL) by a child process, so the
fill's memory is reported apart from the probing process's. Each settled block has
its own settled transfer, as a real settlement leaves; one block in a hundred is
being moved on (a reservation holds part of it). Transfer events are not loaded:
the check never reads them.

    .venv/bin/python bench/double_counting.py [--quick] [--sizes 10000,1000000,10000000]
        [--databases sqlite,postgresql] [--probes 1000] [--json PATH] [--csv PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from bench.measure import (
    Row,
    peak_rss_mb,
    percentile,
    print_table,
    progress,
    ratio,
    write_csv,
    write_json,
)
from domain.errors import DoubleCountingConflict
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger import Ledger
from ledger.database import open_engine
from ledger.models import Base, UtcDateTime
from tests.postgres_cluster import throwaway_cluster

DEFAULT_SIZES = (10_000, 1_000_000, 10_000_000)
QUICK_SIZES = (10_000, 100_000)
DATABASES = ("sqlite", "postgresql")
FILLERS = {"sqlite": 1, "postgresql": 2}  # processes bulk-loading the index; see `grow`

# The serial layout. Block b is written by lane b % LANES; one lane in VCS_EVERY writes
# into Verra's single global serial space, every other lane into a CCER space of its own
# (`CCER:{project}:{vintage}:{batch}`), so the index holds thousands of spaces and one huge one.
LANES = 4096
VCS_EVERY = 4
STRIDE = 1_000  # serials from one block's start to the next one's in the same space
MAX_QUANTITY = STRIDE // 2  # so at least half a stride of untracked serials follows every block
IN_FLIGHT_EVERY = 100
BATCH = 50_000  # blocks per bulk insert and commit
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PROBE_QUANTITY = 10
SEED = 20240101

TRANSFER_COLUMNS = (
    "transfer_id",
    "source_registry_id",
    "source_account_id",
    "destination_registry_id",
    "destination_account_id",
    "serial",
    "quantity",
    "purpose",
    "block",
    "serial_space",
    "start",
    "end",
    "state",
    "reasons",
    "created_at",
    "updated_at",
    "settled_at",
)
LOCATION_COLUMNS = (
    "serial_space",
    "start",
    "end",
    "block",
    "registry_id",
    "account_id",
    "transfer_id",
    "settled_at",
)
RESERVATION_COLUMNS = (
    "transfer_id",
    "serial_space",
    "start",
    "end",
    "block",
    "source_registry_id",
    "source_account_id",
    "reserved_at",
)


@dataclass(frozen=True)
class Lane:
    """One serial space's issuance: the block every range of the lane is cut from, and who holds it."""

    template: SerialBlock
    source: AccountRef  # the registry the units were issued in
    holder: AccountRef  # where a settlement moved them
    json_head: str  # the block's JSON up to its range: rows are formatted, not serialised
    json_tail: str

    def block_json(self, start: int, end: int) -> str:
        return f'{self.json_head}, "start": {start}, "end": {end}, "attributes": {self.json_tail}}}'


@cache
def lane(number: int) -> Lane:
    if number % VCS_EVERY == 0:
        template = SerialBlock(
            programme="VCS",
            serial_space="VCS",
            project_id=str(1_000 + number),
            vintage="01012019-31122019",
            unit_type="VCU",
            country="BR",
            start=1,
            end=1,
            attributes={"form": "13", "issuance_id": str(20_000 + number), "code": "001"},
        )
        source = AccountRef(registry_id="verra", account_id=f"developer-{number % 211}")
    else:
        project, vintage, batch = 100_000 + number // 3, 2019 + number % 3, 1 + number % 5
        template = SerialBlock(
            programme="CCER",
            serial_space=f"CCER:{project}:{vintage}:{batch}",
            project_id=str(project),
            vintage=str(vintage),
            unit_type="CCER",
            country="CN",
            start=1,
            end=1,
            attributes={"batch": str(batch)},
        )
        source = AccountRef(registry_id="cn-ccer", account_id=f"owner-{number % 509}")
    holder = AccountRef(
        registry_id=("hk-core-climate", "cn-sz-ets", "cn-gd-ets")[number % 3],
        account_id=f"holder-{number % 997}",
    )
    fields = template.model_dump(mode="json")
    head = {k: v for k, v in fields.items() if k not in ("start", "end", "attributes")}
    made = Lane(template, source, holder, json.dumps(head)[:-1], json.dumps(fields["attributes"]))
    if json.loads(made.block_json(3, 7)) != template.with_range(3, 7).model_dump(mode="json"):
        raise AssertionError(f"the JSON of lane {number} does not round-trip")
    return made


def block_range(b: int) -> tuple[int, int]:
    """Serials of block `b`: never overlapping another block, always followed by a gap."""
    number, slot = b % LANES, b // LANES
    position = slot * (LANES // VCS_EVERY) + number // VCS_EVERY if number % VCS_EVERY == 0 else slot
    start = position * STRIDE + 1
    return start, start + (b * 7_919) % MAX_QUANTITY


# Filling the index


@dataclass
class Batch:
    """The rows of a run of blocks, per table, in the tables' column order."""

    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    locations: list[tuple[Any, ...]] = field(default_factory=list)
    reservations: list[tuple[Any, ...]] = field(default_factory=list)


def settled_rows(blocks: range, stamp: Callable[[int], Any]) -> Batch:
    batch = Batch()
    for b in blocks:
        where, (start, end) = lane(b % LANES), block_range(b)
        at, block, space = stamp(b // LANES), where.block_json(start, end), where.template.serial_space
        settled = f"settle-{b:09d}"
        batch.transfers.append(
            _transfer_row(settled, where.source, where.holder, space, start, end, block, "settled", at)
        )
        batch.locations.append(
            (space, start, end, block, where.holder.registry_id, where.holder.account_id, settled, at)
        )
        if b % IN_FLIGHT_EVERY == IN_FLIGHT_EVERY // 2:
            moving, half = f"move-{b:09d}", start + (end - start) // 2
            part = where.block_json(start, half)
            onward = AccountRef(registry_id="cn-sz-ets", account_id="buyer-onward")
            batch.transfers.append(
                _transfer_row(moving, where.holder, onward, space, start, half, part, "source_locked", at)
            )
            batch.reservations.append(
                (moving, space, start, half, part, where.holder.registry_id, where.holder.account_id, at)
            )
    return batch


def _transfer_row(
    transfer_id: str,
    source: AccountRef,
    destination: AccountRef,
    serial_space: str,
    start: int,
    end: int,
    block: str,
    state: str,
    at: Any,
) -> tuple[Any, ...]:
    return (
        transfer_id,
        source.registry_id,
        source.account_id,
        destination.registry_id,
        destination.account_id,
        f"{serial_space} {start}-{end}",
        end - start + 1,
        "NDC",
        block,
        serial_space,
        start,
        end,
        state,
        "[]",
        at,
        at,
        at if state == "settled" else None,
    )


def write_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Bulk-insert `rows`: COPY on PostgreSQL, one executemany of the table's INSERT on SQLite."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        copy_sql = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    statement = insert(Base.metadata.tables[table]).compile(
        dialect=connection.dialect, column_keys=list(columns)
    )
    connection.exec_driver_sql(str(statement), rows)


def write_batch(connection: Connection, batch: Batch) -> None:
    # Transfers first: the other two tables refer to them.
    write_rows(connection, "transfers", TRANSFER_COLUMNS, batch.transfers)
    write_rows(connection, "serial_locations", LOCATION_COLUMNS, batch.locations)
    write_rows(connection, "serial_reservations", RESERVATION_COLUMNS, batch.reservations)


def stamper(connection: Connection) -> Callable[[int], Any]:
    """Settlement time per slot, already in the form the dialect stores (computed once per slot)."""
    encode = UtcDateTime().bind_processor(connection.dialect)

    @cache
    def stamp(slot: int) -> Any:
        moment = T0 + timedelta(minutes=slot)
        return encode(moment) if encode else moment

    return stamp


def fill_share(url: str, first: int, last: int, share: int, shares: int) -> float:
    """Add every `shares`-th batch of blocks first..last-1, starting at batch `share`; peak MiB.

    Runs in a child process. On SQLite the fill's own connection skips fsync and keeps a
    large page cache: the database is thrown away after the run, and the probes' connections
    keep the ledger's settings.
    """
    engine = open_engine(url, pool_size=1)
    started, done = time.perf_counter(), 0
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA synchronous = OFF")
                raw.execute("PRAGMA cache_size = -1048576")  # KiB: 1 GiB
            stamp = stamper(connection)
            for low in range(first + share * BATCH, last, shares * BATCH):
                blocks = range(low, min(last, low + BATCH))
                with connection.begin():
                    write_batch(connection, settled_rows(blocks, stamp))
                done += len(blocks)
                rate = done / (time.perf_counter() - started)
                progress(
                    f"{connection.dialect.name} filler {share + 1}/{shares}: {done:,} blocks ({rate:,.0f}/s)"
                )
    finally:
        engine.dispose()
    return peak_rss_mb()


def grow(url: str, database: str, first: int, last: int, probes: int) -> tuple[float, float]:
    """Grow the index from `first` to `last` blocks and add the probes' transfers; seconds and fill MiB.

    PostgreSQL spends the fill in its exclusion constraints' GiST inserts, one backend per
    core, so it gets one filler per core; SQLite has one writer at a time.
    """
    shares = FILLERS[database]
    started = time.perf_counter()
    # Fresh children per stage, so their peak memory is this stage's alone.
    with ProcessPoolExecutor(shares, mp_context=multiprocessing.get_context("spawn")) as pool:
        fillers = [pool.submit(fill_share, url, first, last, k, shares) for k in range(shares)]
        peaks = [filler.result() for filler in fillers]
    engine = open_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            rows = [probe_transfer_row(p, stamper(connection)(0)) for p in make_probes(last, probes)]
            write_rows(connection, "transfers", TRANSFER_COLUMNS, rows)
        if database == "postgresql":
            # What autovacuum would do after a bulk load, done now so plans do not depend on its timing.
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE transfers, serial_locations, serial_reservations")
    finally:
        engine.dispose()
    return time.perf_counter() - started, max(peaks)


# Probing it


@dataclass(frozen=True)
class Probe:
    transfer_id: str
    block: SerialBlock
    source: AccountRef
    collides: bool


def make_probes(size: int, count: int) -> list[Probe]:
    """`count` free and `count` colliding probes among the first `size` blocks (the same every run)."""
    rng = random.Random(f"{SEED}-{size}")
    probes = []
    for i in range(count):
        b = rng.randrange(size)
        where, (start, end) = lane(b % LANES), block_range(b)
        seller = AccountRef(registry_id=where.source.registry_id, account_id="probe-seller")
        gap = start + STRIDE - 1 - end  # untracked serials before the lane's next block
        low = end + 1 + rng.randrange(gap - PROBE_QUANTITY)
        free = where.template.with_range(low, low + PROBE_QUANTITY - 1)
        hit = where.template.with_range(max(start, end - PROBE_QUANTITY // 2), end + PROBE_QUANTITY // 2)
        probes.append(Probe(f"probe-{size}-free-{i}", free, seller, collides=False))
        probes.append(Probe(f"probe-{size}-hit-{i}", hit, seller, collides=True))
    return probes


def probe_transfer_row(probe: Probe, at: Any) -> tuple[Any, ...]:
    """A fresh transfer that has passed its rules and is about to reserve the probe's block."""
    block = probe.block
    buyer = AccountRef(registry_id="cn-sz-ets", account_id="probe-buyer")
    as_json = json.dumps(block.model_dump(mode="json"))
    return _transfer_row(
        probe.transfer_id,
        probe.source,
        buyer,
        block.serial_space,
        block.start,
        block.end,
        as_json,
        "checked",
        at,
    )


def look_up(ledger: Ledger, probe: Probe) -> None:
    found = ledger.location_of(probe.block)
    if bool(found) != probe.collides:
        raise AssertionError(f"{probe.transfer_id}: location_of found {found}")


def reserve_and_release(ledger: Ledger, probe: Probe) -> None:
    try:
        ledger.reserve(probe.transfer_id, probe.block, probe.source)
    except DoubleCountingConflict:
        if not probe.collides:
            raise
    else:
        if probe.collides:
            raise AssertionError(f"{probe.transfer_id}: a colliding reservation was granted")
    ledger.release(probe.transfer_id)


def timed(ledger: Ledger, probes: list[Probe], check: Callable[[Ledger, Probe], None]) -> list[float]:
    """Milliseconds per call, after an untimed warm-up over the first tenth."""
    for probe in probes[: max(1, len(probes) // 10)]:
        check(ledger, probe)
    samples = []
    for probe in probes:
        started = time.perf_counter_ns()
        check(ledger, probe)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def measure(url: str, size: int, count: int) -> dict[str, list[float]]:
    probes = make_probes(size, count)
    free = [p for p in probes if not p.collides]
    hit = [p for p in probes if p.collides]
    with Ledger.open(url) as ledger:
        return {
            "location_of free": timed(ledger, free, look_up),
            "location_of hit": timed(ledger, hit, look_up),
            "reserve+release granted": timed(ledger, free, reserve_and_release),
            "reserve+release refused": timed(ledger, hit, reserve_and_release),
        }


# The run


@contextmanager
def empty_ledger(database: str) -> Iterator[str]:
    """A URL of a fresh ledger on `database`, migrated to head; deleted afterwards."""
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-dc-") as folder:
            url = f"sqlite:///{Path(folder) / 'ledger.db'}"
            Ledger.open(url).close()
            yield url
        return
    with throwaway_cluster() as cluster:
        url = cluster.create_database()
        Ledger.open(url).close()
        yield url


def run_database(database: str, sizes: Sequence[int], count: int) -> tuple[list[Row], list[Row]]:
    checks: list[Row] = []
    fills: list[Row] = []
    with empty_ledger(database) as url:
        filled = 0
        for size in sizes:
            seconds, fill_rss = grow(url, database, filled, size, count)
            progress(f"{database}: {size:,} blocks in {seconds:.0f} s; probing")
            filled = size
            samples = measure(url, size, count)
            progress(f"{database}: {size:,} blocks measured", done=True)
            fills.append(
                {
                    "database": database,
                    "blocks": size,
                    "fill_s": seconds,
                    "fill_blocks_per_s": (size - (fills[-1]["blocks"] if fills else 0)) / seconds,
                    "fill_peak_rss_mb": fill_rss,
                    "probe_peak_rss_mb": peak_rss_mb(),
                }
            )
            for check, values in samples.items():
                checks.append(
                    {
                        "database": database,
                        "blocks": size,
                        "check": check,
                        "samples": len(values),
                        "p50_ms": percentile(values, 0.5),
                        "p99_ms": percentile(values, 0.99),
                    }
                )
    return checks, fills


def p99_ratios(checks: list[Row], sizes: Sequence[int]) -> list[Row]:
    smallest, largest = min(sizes), max(sizes)
    p99 = {(r["database"], r["blocks"], r["check"]): r["p99_ms"] for r in checks}
    return [
        {
            "database": database,
            "check": check,
            "ratio": ratio(p99[database, largest, check], p99[database, smallest, check]),
        }
        for database, blocks, check in p99
        if blocks == largest
    ]


def report(checks: list[Row], fills: list[Row], ratios: list[Row], sizes: Sequence[int]) -> None:
    print_table(
        checks,
        [
            ("database", "database", ""),
            ("blocks", "blocks", ","),
            ("check", "check", ""),
            ("samples", "n", ","),
            ("p50_ms", "p50 ms", ".3f"),
            ("p99_ms", "p99 ms", ".3f"),
        ],
    )
    print()
    print_table(
        fills,
        [
            ("database", "database", ""),
            ("blocks", "blocks", ","),
            ("fill_s", "fill s (this stage)", ".1f"),
            ("fill_blocks_per_s", "blocks/s", ",.0f"),
            ("fill_peak_rss_mb", "fill peak RSS MiB", ".0f"),
            ("probe_peak_rss_mb", "probe peak RSS MiB", ".0f"),
        ],
    )
    print()
    print(
        f"p99 at {max(sizes):,} blocks / p99 at {min(sizes):,} blocks (near 1: an index lookup, not a scan)"
    )
    for row in ratios:
        print(f"  {row['database']:<11} {row['check']:<26} {row['ratio']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", help="comma-separated index sizes, grown in order (default 10k,1M,10M)")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite, postgresql or both")
    parser.add_argument("--probes", type=int, help="probes per check and size (default 1000; quick 200)")
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {QUICK_SIZES}, 200 probes: under a minute"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--csv", type=Path, help="also write one row per check and size here as CSV")
    args = parser.parse_args()
    sizes = (
        sorted(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (list(QUICK_SIZES if args.quick else DEFAULT_SIZES))
    )
    count = args.probes or (200 if args.quick else 1000)
    databases = [d for d in args.databases.split(",") if d]
    if unknown := set(databases) - set(DATABASES):
        parser.error(f"unknown databases {sorted(unknown)}; choose from {DATABASES}")
    checks: list[Row] = []
    fills: list[Row] = []
    for database in databases:
        more_checks, more_fills = run_database(database, sizes, count)
        checks += more_checks
        fills += more_fills
    ratios = p99_ratios(checks, sizes)
    report(checks, fills, ratios, sizes)
    write_json(
        args.json, {"sizes": sizes, "probes": count, "checks": checks, "fills": fills, "p99_ratios": ratios}
    )
    write_csv(
        args.csv, [*({"table": "checks", **r} for r in checks), *({"table": "fills", **r} for r in fills)]
    )


if __name__ == "__main__":
    main()
