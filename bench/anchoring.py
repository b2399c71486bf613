"""What anchoring the settlement log's tree head costs on a chain, and what its proofs cost in the ledger.

The gateway commits many settlements with one `anchor(size, root)` transaction and
hands each settlement an inclusion proof instead. This puts figures on that trade:

- on the embedded py-evm chain, transactions and gas (from the receipts) to anchor N
  synthetic settlements once per batch of 1,000 and once per batch of 10,000, and for
  the naive design that anchors each transfer's leaf hash in a transaction of its own
  (`anchor(i, leaf_hash)` with the size growing by one), each on a freshly deployed contract;
- what the proofs cost instead, over a SQLite ledger holding a log of 10 thousand, 100
  thousand, 1 million and 10 million leaves, whose RFC 9162 tree the ledger keeps
  incrementally (`workflows.log_tree.LedgerTree`): p50 and p99 of an inclusion proof of a
  random leaf against the whole tree, of a consistency proof from a random older size, and
  of the root, each from a fresh `hasher` as every request builds one; the time an anchor
  run spends extending the stored tree by 1,000 new leaves; the measuring process's peak
  memory; and the proofs' size and a client's time to verify one. The target: p99 at 10
  million leaves at most twice p99 at 10 thousand, and memory that does not grow with the log.

Each log size gets a fresh ledger. A child process fills it (setup, timed apart): the
leaves `settlement(i)` encodes, byte for byte, with the settled transfer each belongs to
(the log's rows refer to it) and the log's size counter, then runs the one-off
`LedgerTree.extend()` that catches the stored tree up with the whole log (O(N), timed
and reported). Meanwhile a process of its own hashes the same leaves, from their
encodings alone, into an in-memory tree: the reference every proof is checked against
(`verify_inclusion`, `verify_consistency`); one that does not verify stops the run. Once
every size is set up, a fresh child per size opens its ledger and measures, one size
right after another: each peak memory is that size's own, and the sizes' measurements
share the machine's conditions (a busy machine inflates wall-clock p99s, so CPU-time
percentiles are reported beside them). The ledgers take about 12 GB of temporary disk.

    .venv/bin/python bench/anchoring.py [--quick] [--transfers 10000] [--batches 1000,10000]
        [--proof-sizes 10000,100000,1000000,10000000] [--probes 1000] [--no-chain] [--no-proofs]
        [--json PATH] [--csv PATH]
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import os
import random
import sqlite3
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, update

from bench.double_counting import TRANSFER_COLUMNS, _transfer_row, write_rows
from bench.measure import (
    Row,
    median,
    peak_rss_mb,
    percentile,
    print_table,
    progress,
    ratio,
    write_csv,
    write_json,
)
from bench.reconciliation import in_child
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger import Ledger
from ledger.database import open_engine
from ledger.models import SettlementLogSizeRow, UtcDateTime
from ledger_anchor.leaf import (
    LEAF_VERSION,
    SettlementRecord,
    encode_settlement,
    settled_at_micros,
    settlement_leaf_hash,
)
from ledger_anchor.merkle import (
    EMPTY_ROOT,
    Node,
    TreeHasher,
    extend,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from workflows.log_tree import LedgerTree

if TYPE_CHECKING:  # the chain's modules are imported where they are used: the proof probes do without
    from web3 import Web3

    from ledger_anchor.chain import GatewaySigner, TxFees
    from ledger_anchor.embedded_chain import EmbeddedChain

DEFAULT_TRANSFERS = 10_000
DEFAULT_BATCHES = (1_000, 10_000)
DEFAULT_PROOF_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_TRANSFERS = 500
QUICK_BATCHES = (100, 500)
QUICK_PROOF_SIZES = (10_000, 100_000)
DEFAULT_PROBES = 1_000
ANCHOR_LEAVES = 1_000  # new leaves per timed anchor run
ANCHOR_RUNS = 5  # timed anchor runs per log size
TARGET_P99_RATIO = 2.0  # p99 at the largest log over p99 at the smallest
TARGET_MEMORY_RATIO = 1.25  # "does not grow": peak RSS at the largest log within 25 % of the smallest's
CROWDED_CPU_SHARE = 0.9  # below this the probes spent time waiting, not computing: the report says so
CROSS_CHECK_UPTO = 100_000  # the reference's root is also rebuilt from all leaf hashes up to this size
FILL_BATCH = 50_000  # leaves (and transfers) per bulk insert and commit
T0 = datetime(2026, 1, 5, tzinfo=UTC)
SEED = 9162

# The synthetic settlements' layout: the i-th moves CCER block i from owner i % SOURCES to
# buyer i % BUYERS, in project i % PROJECTS.
SOURCES = 509
BUYERS = 211
PROJECTS = 3_000
STRIDE = 1_000  # serials from one block's start to the next one's
QUANTITY = 100

LOG_COLUMNS = ("leaf_index", "transfer_id", "leaf", "appended_at")
PROBE_KINDS = ("inclusion", "consistency", "root")


def settlement(i: int) -> SettlementRecord:
    """The i-th synthetic settled transfer: a CCER block moved to Hong Kong."""
    start = 1 + STRIDE * i
    return SettlementRecord(
        transfer_id=f"bench-{i:08d}",
        source=AccountRef(registry_id="cn-ccer", account_id=f"owner-{i % SOURCES}"),
        destination=AccountRef(registry_id="hk-core-climate", account_id=f"buyer-{i % BUYERS}"),
        serial_space=f"CCER:{100_000 + i % PROJECTS}:2024:1",
        programme="CCER",
        unit_type="CCER",
        project_id=str(100_000 + i % PROJECTS),
        vintage="2024",
        start=start,
        end=start + QUANTITY - 1,
        quantity=QUANTITY,
        settled_at=T0 + timedelta(seconds=i),
    )


# The chain


class Anchorer:
    """Sends anchor transactions from the gateway's key, tracking its nonce, and totals their receipts."""

    def __init__(self, w3: Web3, signer: GatewaySigner, contract: str, fees: TxFees) -> None:
        self.w3, self.signer, self.contract, self.fees = w3, signer, contract, fees
        self.nonce = int(w3.eth.get_transaction_count(signer.address))
        self.transactions = 0
        self.gas = 0

    def anchor(self, size: int, root: bytes) -> None:
        from hexbytes import HexBytes

        from ledger_anchor.chain import build_signed_anchor_tx, send_raw

        raw = build_signed_anchor_tx(
            self.w3, self.signer, self.contract, size, root, self.nonce, fees=self.fees
        )
        receipt = self.w3.eth.get_transaction_receipt(HexBytes(send_raw(self.w3, raw)))
        if receipt["status"] != 1:
            raise RuntimeError(f"anchoring tree size {size} reverted")
        self.nonce += 1
        self.transactions += 1
        self.gas += int(receipt["gasUsed"])


def anchor_run(chain: EmbeddedChain, design: str, leaves: list[bytes], batch: int | None) -> Row:
    """Anchor `leaves` on a fresh contract: every `batch` settlements, or one per transfer when None."""
    from ledger_anchor.chain import current_fees, deploy

    fees = current_fees(chain.w3)
    contract = deploy(chain.w3, chain.signer, fees=fees)
    anchorer = Anchorer(chain.w3, chain.signer, contract, fees)
    tree = TreeHasher(leaves)
    started = time.perf_counter()
    if batch is None:
        for i, leaf in enumerate(leaves, start=1):
            anchorer.anchor(i, leaf)
            if i % 100 == 0 or i == len(leaves):
                progress(f"{design}: {i:,}/{len(leaves):,} transactions")
    else:
        sizes = [*range(batch, len(leaves), batch), len(leaves)]
        for size in sizes:
            anchorer.anchor(size, tree.root(size))
        progress(f"{design}: {len(sizes):,} transactions")
    seconds = time.perf_counter() - started
    progress(f"{design}: done in {seconds:.0f} s", done=True)
    return {
        "design": design,
        "settlements": len(leaves),
        "transactions": anchorer.transactions,
        "gas": anchorer.gas,
        "gas_per_settlement": anchorer.gas / len(leaves),
        "seconds": seconds,
    }


def chain_costs(transfers: int, batches: Sequence[int]) -> tuple[list[Row], list[Row]]:
    """Each batched design and the naive one on the embedded chain; and naive over batched, per batch."""
    from ledger_anchor.embedded_chain import EmbeddedChain

    leaves = [settlement_leaf_hash(settlement(i)) for i in range(transfers)]
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as folder, EmbeddedChain(Path(folder)) as chain:
        batched = [anchor_run(chain, f"batch of {b:,}", leaves, b) for b in batches]
        naive = anchor_run(chain, "one per transfer", leaves, None)
    ratios = [
        {
            "design": row["design"],
            "transactions_ratio": ratio(naive["transactions"], row["transactions"]),
            "gas_ratio": ratio(naive["gas"], row["gas"]),
        }
        for row in batched
    ]
    return [*batched, naive], ratios


# Filling a ledger's settlement log


def own_peak_rss_mb() -> float:
    """This process's own peak resident memory since it started, in MiB (Linux's VmHWM).

    `peak_rss_mb` (getrusage) is no good in a spawned child: Linux carries the
    parent's peak across fork and exec into the child's ru_maxrss, so a child of a
    140 MiB parent never reports less than 140 MiB. Elsewhere it is the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return peak_rss_mb()


def _field(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


@cache
def _source_fields(k: int) -> bytes:
    return _field("cn-ccer") + _field(f"owner-{k}")


@cache
def _destination_fields(k: int) -> bytes:
    return _field("hk-core-climate") + _field(f"buyer-{k}")


@cache
def _project_fields(k: int) -> bytes:
    project = str(100_000 + k)
    return b"".join(_field(t) for t in (f"CCER:{project}:2024:1", "CCER", "CCER", project, "2024"))


_VERSION = bytes([LEAF_VERSION])
_NUMBERS = struct.Struct(">IQIQIQIq")  # start, end, quantity, settled_at: each behind its length, 8
_T0_MICROS = settled_at_micros(T0)


def settlement_leaf(i: int) -> bytes:
    """`encode_settlement(settlement(i))`, without building the record: ~1 µs rather than ~25.

    The text fields that repeat are encoded once per value; `check_leaf_encoding`
    holds the result to the encoder itself.
    """
    start = 1 + STRIDE * i
    return b"".join(
        (
            _VERSION,
            _field(f"bench-{i:08d}"),
            _source_fields(i % SOURCES),
            _destination_fields(i % BUYERS),
            _project_fields(i % PROJECTS),
            _NUMBERS.pack(8, start, 8, start + QUANTITY - 1, 8, QUANTITY, 8, _T0_MICROS + i * 1_000_000),
        )
    )


def check_leaf_encoding(last: int) -> None:
    """`settlement_leaf` must be the encoder's bytes: the first leaves and a spread up to `last`."""
    for i in {*range(min(last, 100)), *range(0, last, max(1, last // 200)), last - 1}:
        if settlement_leaf(i) != encode_settlement(settlement(i)):
            raise AssertionError(f"the fast encoding of settlement {i} is not encode_settlement's")


@cache
def _block_json(k: int) -> tuple[str, str]:
    """The head and tail of project k's `SerialBlock` JSON around its range: rows are formatted."""
    project = str(100_000 + k)
    template = SerialBlock(
        programme="CCER",
        serial_space=f"CCER:{project}:2024:1",
        project_id=project,
        vintage="2024",
        unit_type="CCER",
        country="CN",
        start=1,
        end=1,
        attributes={"batch": "1"},
    )
    fields = template.model_dump(mode="json")
    head = json.dumps({f: v for f, v in fields.items() if f not in ("start", "end", "attributes")})[:-1]
    tail = json.dumps(fields["attributes"])
    if json.loads(f'{head}, "start": 3, "end": 7, "attributes": {tail}}}') != template.with_range(
        3, 7
    ).model_dump(mode="json"):
        raise AssertionError(f"the block JSON of project {k} does not round-trip")
    return head, tail


@cache
def _account(registry: str, account: str) -> AccountRef:
    return AccountRef(registry_id=registry, account_id=account)


def log_rows(
    first: int, last: int, encode_time: Callable[[datetime], Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The settled transfers and the log's rows of settlements first..last-1, in their tables' column order."""
    transfers, log = [], []
    for i in range(first, last):
        record_at = encode_time(T0 + timedelta(seconds=i))
        start, project = 1 + STRIDE * i, i % PROJECTS
        head, tail = _block_json(project)
        block = f'{head}, "start": {start}, "end": {start + QUANTITY - 1}, "attributes": {tail}}}'
        transfer_id = f"bench-{i:08d}"
        transfers.append(
            _transfer_row(
                transfer_id,
                _account("cn-ccer", f"owner-{i % SOURCES}"),
                _account("hk-core-climate", f"buyer-{i % BUYERS}"),
                f"CCER:{100_000 + project}:2024:1",
                start,
                start + QUANTITY - 1,
                block,
                "settled",
                record_at,
            )
        )
        log.append((i, transfer_id, settlement_leaf(i), record_at))
    return transfers, log


class Reference:
    """The RFC 9162 tree over the settlements' leaves, in memory: a compact range, O(log n).

    It records its root at the sizes asked for (the consistency probes' older sizes) as
    it grows past them. Nothing of it comes from the ledger, so it checks what the
    ledger's stored subtrees answer.
    """

    def __init__(self, size: int = 0, frontier: Sequence[Node] = (), wanted: Sequence[int] = ()) -> None:
        self.size = size
        self.frontier = list(frontier)
        self.wanted = sorted(set(wanted))
        self.roots: dict[int, bytes] = {}

    def add(self, leaf_hashes: Sequence[bytes]) -> None:
        first, end = self.size, self.size + len(leaf_hashes)
        low, high = bisect.bisect_right(self.wanted, first), bisect.bisect_right(self.wanted, end)
        done = 0
        for stop in sorted({*(m - first for m in self.wanted[low:high]), len(leaf_hashes)}):
            _, self.frontier = extend(self.frontier, leaf_hashes[done:stop], first + done)
            done, self.size = stop, first + stop
            if self.size in self.wanted[low:high]:
                self.roots[self.size] = self.root()

    def root(self) -> bytes:
        """The tree head: the compact range's subtrees folded from the right, as the RFC splits."""
        if not self.frontier:
            return EMPTY_ROOT
        root = self.frontier[-1].hash
        for node in reversed(self.frontier[:-1]):
            root = node_hash(node.hash, root)
        return root

    def state(self) -> dict[str, Any]:
        """What crosses to another process: plain types."""
        return {"size": self.size, "frontier": [tuple(n) for n in self.frontier], "roots": self.roots}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Reference:
        made = cls(state["size"], [Node(*n) for n in state["frontier"]])
        made.roots = dict(state["roots"])
        return made


def fill_log(url: str, first: int, last: int, *, bulk: bool = True) -> None:
    """Append settlements first..last-1 to the ledger's log (with their transfers) and set its size.

    Raw inserts on the bench's own connection, one transaction per batch; transfers
    first, since the log's rows refer to them and the ledger's SQLite connections
    enforce foreign keys. That connection skips fsync (the database is thrown away
    after the run; the measured connections keep the ledger's settings) and, for a
    `bulk` fill, keeps a large page cache.
    """
    engine = open_engine(url, pool_size=1)
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA synchronous = OFF")
            if bulk:
                raw.execute("PRAGMA cache_size = -1048576")  # KiB: 1 GiB
            encode_time = _time_encoder(connection)
            for low in range(first, last, FILL_BATCH):
                high = min(last, low + FILL_BATCH)
                transfers, log = log_rows(low, high, encode_time)
                with connection.begin():
                    write_rows(connection, "transfers", TRANSFER_COLUMNS, transfers)
                    write_rows(connection, "settlement_log", LOG_COLUMNS, log)
                    connection.execute(
                        update(SettlementLogSizeRow)
                        .where(SettlementLogSizeRow.singleton == 1)
                        .values(size=high)
                    )
                if last - first > FILL_BATCH:
                    rate = (high - first) / (time.perf_counter() - started)
                    progress(f"{last:,} leaves: filled {high:,} ({rate:,.0f}/s)")
    finally:
        engine.dispose()


def _time_encoder(connection: Connection) -> Callable[[datetime], Any]:
    """A settlement time as the insert binds it: the column type's processing, then the driver's adapter.

    Done once per row rather than by the driver for each of a row's four time columns.
    """
    bind = UtcDateTime().bind_processor(connection.dialect)
    adapt = (
        sqlite3.adapters.get((datetime, sqlite3.PrepareProtocol))
        if connection.dialect.name == "sqlite"
        else None
    )

    def encode(moment: datetime) -> Any:
        value = bind(moment) if bind is not None else moment
        return adapt(value) if adapt is not None and isinstance(value, datetime) else value

    return encode


def reference_tree(size: int, old_sizes: Sequence[int]) -> dict[str, Any]:
    """The reference over settlements 0..size-1, from their encodings alone. In a process of its own.

    Up to CROSS_CHECK_UPTO leaves, its root is also held to a full rebuild from every leaf hash.
    """
    reference = Reference(wanted=old_sizes)
    every_hash: list[bytes] = []
    for low in range(0, size, FILL_BATCH):
        hashes = [leaf_hash(settlement_leaf(i)) for i in range(low, min(size, low + FILL_BATCH))]
        reference.add(hashes)
        if size <= CROSS_CHECK_UPTO:
            every_hash += hashes
    if size <= CROSS_CHECK_UPTO and tree_root(every_hash) != reference.root():
        raise AssertionError(f"the reference tree of {size:,} leaves disagrees with a full rebuild")
    return reference.state()


def set_up(url: str, size: int, old_sizes: Sequence[int]) -> Row:
    """Fill a fresh ledger with `size` leaves, then catch its stored tree up once. In a child process.

    The reference tree is hashed meanwhile on the other core: it needs the leaves, not the ledger.
    """
    Ledger.open(url).close()  # migrated to head
    check_leaf_encoding(size)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        hashing = pool.submit(reference_tree, size, old_sizes)
        started = time.perf_counter()
        fill_log(url, 0, size)
        fill_s = time.perf_counter() - started
        reference = hashing.result()
    progress(f"{size:,} leaves: filled in {fill_s:.1f} s; catching the stored tree up")
    with Ledger.open(url) as ledger:
        started = time.perf_counter()
        covered = LedgerTree(ledger).extend()
        catch_up_s = time.perf_counter() - started
    if covered != size:
        raise AssertionError(f"the catch-up covered {covered:,} of {size:,} leaves")
    progress(f"{size:,} leaves: filled in {fill_s:.1f} s, caught up in {catch_up_s:.1f} s", done=True)
    return {
        "fill_s": fill_s,
        "fill_leaves_per_s": size / fill_s,
        "catch_up_s": catch_up_s,
        "catch_up_leaves_per_s": size / catch_up_s,
        "setup_peak_rss_mb": own_peak_rss_mb(),
        "reference": reference,
    }


# Measuring proofs over it


def measure_proofs(url: str, size: int, probes: int, reference_state: dict[str, Any]) -> Row:
    """Proof probes, checked against the reference, then timed anchor runs. In a fresh child process."""
    reference = Reference.from_state(reference_state)
    head = reference.root()
    rng = random.Random(f"{SEED}-{size}")
    indices = [rng.randrange(size) for _ in range(probes)]
    old_sizes = _old_sizes(size, probes)
    inclusion: dict[int, list[bytes]] = {}
    consistency: dict[int, list[bytes]] = {}
    roots: list[bytes] = []

    def prove_inclusion(ledger: Ledger, index: int) -> None:
        with LedgerTree(ledger).reading(size) as tree:
            inclusion[index] = tree.inclusion_proof(index, size)

    def prove_consistency(ledger: Ledger, old_size: int) -> None:
        with LedgerTree(ledger).reading(size) as tree:
            consistency[old_size] = tree.consistency_proof(old_size, size)

    def root(ledger: Ledger, _: int) -> None:
        with LedgerTree(ledger).reading(size) as tree:
            roots.append(tree.root(size))

    with Ledger.open(url) as ledger:
        _check_transfers(ledger, indices[:10])
        progress(f"{size:,} leaves: inclusion proofs")
        samples = {"inclusion": timed_probes(ledger, indices, prove_inclusion)}
        progress(f"{size:,} leaves: consistency proofs")
        samples["consistency"] = timed_probes(ledger, old_sizes, prove_consistency)
        progress(f"{size:,} leaves: roots")
        samples["root"] = timed_probes(ledger, list(range(probes)), root)
        verify_us = _verify_all(size, head, inclusion, consistency, roots, reference.roots)
        progress(f"{size:,} leaves: anchor runs")
        anchor_ms = _anchor_runs(url, ledger, reference)
    lengths = [32 * len(proof) for proof in inclusion.values()]
    return {
        "leaves": size,
        "samples": samples,
        "anchor_run_median_ms": median(anchor_ms),
        "anchor_run_max_ms": max(anchor_ms),
        "proof_bytes_min": min(lengths),
        "proof_bytes_max": max(lengths),
        "verify_median_us": median(verify_us),
        "peak_rss_mb": own_peak_rss_mb(),
        # The probes' CPU time over their wall time: well under 1, they waited (other processes, the disk).
        "probe_cpu_share": sum(sum(c) for _, c in samples.values())
        / sum(sum(w) for w, _ in samples.values()),
        "load_average_1min": os.getloadavg()[0],
    }


def timed_probes(
    ledger: Ledger, probes: Sequence[int], probe: Callable[[Ledger, int], None]
) -> tuple[list[float], list[float]]:
    """Milliseconds per call, wall clock and this process's CPU time, after an untimed warm-up.

    The CPU time leaves out what the wall clock adds while the process waits: for a
    core another process holds, or for the disk. A p99 that grows in wall time but not
    in CPU time was a busy machine, not a slower ledger.
    """
    for value in probes[: max(1, len(probes) // 10)]:
        probe(ledger, value)
    wall, cpu = [], []
    for value in probes:
        wall_started, cpu_started = time.perf_counter_ns(), time.process_time_ns()
        probe(ledger, value)
        cpu.append((time.process_time_ns() - cpu_started) / 1e6)
        wall.append((time.perf_counter_ns() - wall_started) / 1e6)
    return wall, cpu


def _old_sizes(size: int, probes: int) -> list[int]:
    """The consistency probes' older tree sizes (the same every run, so the fill can record their roots)."""
    rng = random.Random(f"{SEED}-{size}-old")
    return [rng.randrange(1, size) for _ in range(probes)]


def _check_transfers(ledger: Ledger, indices: Sequence[int]) -> None:
    """A few logged leaves must be what their transfers, as the ledger holds them, encode to."""
    for i in indices:
        entry = ledger.log_entry(f"bench-{i:08d}")
        transfer = ledger.get(f"bench-{i:08d}")
        if entry is None or transfer is None or transfer.settled_at is None:
            raise AssertionError(f"settlement {i} is not in the ledger as a settled, logged transfer")
        leaf = encode_settlement(SettlementRecord.from_transfer(transfer, transfer.settled_at))
        if entry.leaf_index != i or entry.leaf != leaf:
            raise AssertionError(f"leaf {entry.leaf_index} is not the encoding of transfer {i}")


def _verify_all(
    size: int,
    head: bytes,
    inclusion: dict[int, list[bytes]],
    consistency: dict[int, list[bytes]],
    roots: list[bytes],
    old_roots: dict[int, bytes],
) -> list[float]:
    """Every proof against the reference's roots; microseconds per inclusion verification."""
    if any(r != head for r in roots):
        raise AssertionError(f"the ledger's root of {size:,} leaves is not the reference's")
    verify_us = []
    for index, proof in inclusion.items():
        started = time.perf_counter_ns()
        ok = verify_inclusion(leaf_hash(settlement_leaf(index)), index, size, proof, head)
        verify_us.append((time.perf_counter_ns() - started) / 1_000)
        if not ok:
            raise AssertionError(f"the inclusion proof of leaf {index} in {size:,} leaves did not verify")
    for old_size, proof in consistency.items():
        if not verify_consistency(old_size, size, old_roots[old_size], head, proof):
            raise AssertionError(f"the consistency proof from {old_size:,} to {size:,} did not verify")
    return verify_us


def _anchor_runs(url: str, ledger: Ledger, reference: Reference) -> list[float]:
    """Milliseconds of `extend()` after each of ANCHOR_RUNS appends of ANCHOR_LEAVES leaves (untimed)."""
    times = []
    for _ in range(ANCHOR_RUNS):
        first = reference.size
        fill_log(url, first, first + ANCHOR_LEAVES, bulk=False)
        reference.add([leaf_hash(settlement_leaf(i)) for i in range(first, first + ANCHOR_LEAVES)])
        started = time.perf_counter_ns()
        covered = LedgerTree(ledger).extend()
        times.append((time.perf_counter_ns() - started) / 1e6)
        with LedgerTree(ledger).reading(covered) as tree:
            kept_root = tree.root(covered)
        if covered != reference.size or kept_root != reference.root():
            raise AssertionError(
                f"after the anchor run at {covered:,} leaves the root is not the reference's"
            )
    return times


def proof_costs(sizes: Sequence[int], probes: int) -> tuple[list[Row], list[Row]]:
    """Per log size: one row per probe kind, and one of setup, anchor run, proof size and memory.

    Every ledger is set up first, then all are measured back to back: the measurements
    then share the machine's conditions, where setting up the next log would put many
    minutes between them.
    """
    probe_rows: list[Row] = []
    size_rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-proofs-") as folder:
        urls = {size: f"sqlite:///{Path(folder) / f'ledger-{size}.db'}" for size in sizes}
        setups = {size: in_child(set_up, urls[size], size, _old_sizes(size, probes)) for size in sizes}
        for size in sizes:
            measured = in_child(measure_proofs, urls[size], size, probes, setups[size].pop("reference"))
            samples = measured.pop("samples")
            for kind in PROBE_KINDS:
                wall, cpu = samples[kind]
                probe_rows.append(
                    {
                        "leaves": size,
                        "probe": kind,
                        "samples": len(wall),
                        "p50_ms": percentile(wall, 0.5),
                        "p99_ms": percentile(wall, 0.99),
                        "cpu_p50_ms": percentile(cpu, 0.5),
                        "cpu_p99_ms": percentile(cpu, 0.99),
                    }
                )
            size_rows.append({**measured, **setups[size]})
            progress(
                f"{size:,} leaves: inclusion p99 {probe_rows[-3]['p99_ms']:.2f} ms, "
                f"peak {measured['peak_rss_mb']:.0f} MiB",
                done=True,
            )
    smallest = {r["probe"]: r for r in probe_rows if r["leaves"] == sizes[0]}
    for row in probe_rows:
        row["p99_ratio"] = ratio(row["p99_ms"], smallest[row["probe"]]["p99_ms"])
        row["cpu_p99_ratio"] = ratio(row["cpu_p99_ms"], smallest[row["probe"]]["cpu_p99_ms"])
    for row in size_rows:
        row["anchor_run_ratio"] = ratio(row["anchor_run_median_ms"], size_rows[0]["anchor_run_median_ms"])
        row["memory_ratio"] = ratio(row["peak_rss_mb"], size_rows[0]["peak_rss_mb"])
    return probe_rows, size_rows


def proof_targets(probe_rows: Sequence[Row], size_rows: Sequence[Row]) -> Row:
    """The targets, at the largest log against the smallest: p99 at most 2x, memory flat."""
    largest = size_rows[-1]
    at_largest = [r for r in probe_rows if r["leaves"] == largest["leaves"]]
    p99 = {r["probe"]: r["p99_ratio"] for r in at_largest}
    return {
        "smallest": size_rows[0]["leaves"],
        "largest": largest["leaves"],
        "p99_ratios": p99,
        "cpu_p99_ratios": {r["probe"]: r["cpu_p99_ratio"] for r in at_largest},
        "p99_met": all(v <= TARGET_P99_RATIO for v in p99.values()),
        "memory_ratio": largest["memory_ratio"],
        "memory_met": largest["memory_ratio"] <= TARGET_MEMORY_RATIO,
        "anchor_run_ratio": largest["anchor_run_ratio"],
    }


# Output


def report(anchoring: list[Row], ratios: list[Row], probe_rows: list[Row], size_rows: list[Row]) -> None:
    if anchoring:
        print_table(
            anchoring,
            [
                ("design", "design", ""),
                ("settlements", "settlements", ","),
                ("transactions", "transactions", ","),
                ("gas", "gas", ","),
                ("gas_per_settlement", "gas/settlement", ",.0f"),
                ("seconds", "chain s", ".1f"),
            ],
        )
        print()
        for row in ratios:
            print(
                f"naive / {row['design']}: {row['transactions_ratio']:,.0f}x transactions, "
                f"{row['gas_ratio']:,.0f}x gas"
            )
        print()
    if not size_rows:
        return
    smallest = size_rows[0]["leaves"]
    print_table(
        probe_rows,
        [
            ("leaves", "log leaves", ","),
            ("probe", "probe", ""),
            ("samples", "n", ","),
            ("p50_ms", "p50 ms", ".3f"),
            ("p99_ms", "p99 ms", ".3f"),
            ("p99_ratio", f"p99 / p99 at {smallest:,}", ".2f"),
            ("cpu_p50_ms", "CPU p50 ms", ".3f"),
            ("cpu_p99_ms", "CPU p99 ms", ".3f"),
            ("cpu_p99_ratio", "CPU p99 x", ".2f"),
        ],
    )
    print()
    print_table(
        size_rows,
        [
            ("leaves", "log leaves", ","),
            ("fill_s", "fill s", ".1f"),
            ("catch_up_s", "catch-up s", ".1f"),
            ("anchor_run_median_ms", f"anchor run ({ANCHOR_LEAVES:,} new) ms", ".1f"),
            ("anchor_run_max_ms", "max ms", ".1f"),
            ("anchor_run_ratio", "x", ".2f"),
            ("proof_bytes_max", "proof bytes max", ","),
            ("verify_median_us", "verify median µs", ".1f"),
            ("peak_rss_mb", "peak RSS MiB", ".0f"),
            ("memory_ratio", "memory x", ".2f"),
            ("probe_cpu_share", "probe CPU share", ".2f"),
        ],
    )
    goal = proof_targets(probe_rows, size_rows)
    print()
    print(
        "fill s and catch-up s (the one-off LedgerTree.extend() over the whole log) are setup; "
        f"x: over the figure at {smallest:,} leaves; peak RSS: the measuring process's."
    )
    sizes = f"at {goal['largest']:,} leaves against {goal['smallest']:,}"
    shown = ", ".join(f"{kind} {value:.2f}x" for kind, value in goal["p99_ratios"].items())
    print(
        f"target p99 {sizes} at most {TARGET_P99_RATIO:.0f}x: {shown}: "
        f"{'met' if goal['p99_met'] else 'MISSED'}"
    )
    shown = ", ".join(f"{kind} {value:.2f}x" for kind, value in goal["cpu_p99_ratios"].items())
    print(f"  the same in CPU time (what waiting for a core or the disk does not inflate): {shown}")
    print(
        f"target memory not growing {sizes} (within {TARGET_MEMORY_RATIO:.2f}x): "
        f"{goal['memory_ratio']:.2f}x: {'met' if goal['memory_met'] else 'MISSED'}"
    )
    print(f"anchor run {sizes}: {goal['anchor_run_ratio']:.2f}x (O(new leaves): flat)")
    crowded = [r for r in size_rows if r["probe_cpu_share"] < CROWDED_CPU_SHARE]
    if crowded:
        shown = ", ".join(f"{r['leaves']:,} leaves ({r['probe_cpu_share']:.2f})" for r in crowded)
        print(
            f"warning: the probes ran on a core less than {CROWDED_CPU_SHARE:.0%} of their time at {shown}: "
            "they waited for a CPU other processes held, or for the disk; a quiet machine gives cleaner p99s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--transfers", type=int, help=f"settlements to anchor on the chain (default {DEFAULT_TRANSFERS:,})"
    )
    parser.add_argument("--batches", help="comma-separated settlements per anchor (default 1000,10000)")
    parser.add_argument(
        "--proof-sizes",
        "--tree-sizes",
        dest="proof_sizes",
        help="comma-separated log sizes for the proof probes (default 10k,100k,1M,10M; quick 10k,100k)",
    )
    parser.add_argument(
        "--probes", type=int, default=DEFAULT_PROBES, help="probes per kind and log size (default 1000)"
    )
    parser.add_argument("--no-chain", action="store_true", help="skip the chain's transactions and gas")
    parser.add_argument("--no-proofs", action="store_true", help="skip the proof costs over a ledger")
    parser.add_argument(
        "--quick", action="store_true", help="500 transfers, logs of 10k and 100k leaves: about a minute"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--csv", type=Path, help="also write one row per design, probe and log size as CSV")
    args = parser.parse_args()
    transfers = args.transfers or (QUICK_TRANSFERS if args.quick else DEFAULT_TRANSFERS)
    batches = _sizes(args.batches, QUICK_BATCHES if args.quick else DEFAULT_BATCHES)
    proof_sizes = sorted(_sizes(args.proof_sizes, QUICK_PROOF_SIZES if args.quick else DEFAULT_PROOF_SIZES))
    if proof_sizes and proof_sizes[0] < 2:
        parser.error("log sizes must be at least 2 (a consistency proof needs an older size)")
    if args.probes < 1:
        parser.error("--probes must be at least 1")

    anchoring, ratios = ([], []) if args.no_chain else chain_costs(transfers, batches)
    probe_rows, size_rows = ([], []) if args.no_proofs else proof_costs(proof_sizes, args.probes)
    report(anchoring, ratios, probe_rows, size_rows)
    write_json(
        args.json,
        {
            "anchoring": anchoring,
            "ratios": ratios,
            "probes_per_kind": args.probes,
            "proof_probes": probe_rows,
            "proof_sizes": size_rows,
            "proof_targets": proof_targets(probe_rows, size_rows) if size_rows else None,
            "peak_rss_mb": peak_rss_mb(),
        },
    )
    write_csv(
        args.csv,
        [
            *({"table": "anchoring", **r} for r in anchoring),
            *({"table": "proof_probes", **r} for r in probe_rows),
            *({"table": "proof_sizes", **r} for r in size_rows),
        ],
    )


def _sizes(text: str | None, default: Sequence[int]) -> list[int]:
    return [int(s) for s in text.split(",")] if text else list(default)


if __name__ == "__main__":
    main()
