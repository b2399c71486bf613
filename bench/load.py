"""Load: many concurrent gRPC clients, some serials asked for twice, against 1, 2 and 4 worker processes.

    .venv/bin/python bench/load.py -n 10000 --clients 64 --workers 1,2,4

Each run is a fresh many-process gateway (tests/process_cluster.py: the development
services, `--workers` `carbon-gateway worker` processes, one `carbon-gateway serve`) on a
throwaway PostgreSQL ledger. A share of the transfers (`--overlap`, 10 % by default) ask
for the very units another transfer of the run asks for, from the same account, so the
double-counting check must let one of each pair through and refuse the other. Prints
throughput, submit→final p50/p99 and rejections by reason per worker count; then checks
that no unit was made or lost (per unit class), no serial is live in two places, and no
two settled transfers share a unit. Figures also go to --json and --csv.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.measure import percentile, progress, write_csv, write_json
from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.faults.invariants import live_twice, sandbox_totals
from tests.postgres_cluster import throwaway_cluster
from tests.process_cluster import LocalCluster

_T = transfer_pb2
FINAL = {
    _T.TRANSFER_STATE_SETTLED,
    _T.TRANSFER_STATE_ANCHORED,
    _T.TRANSFER_STATE_REJECTED,
    _T.TRANSFER_STATE_COMPENSATED,
    _T.TRANSFER_STATE_NEEDS_INTERVENTION,
}
SETTLED = {_T.TRANSFER_STATE_SETTLED, _T.TRANSFER_STATE_ANCHORED}
SEED_CHUNK = 500


@dataclass
class Plan:
    """The run's transfers; `twin_of[i]` is the transfer whose units transfer i asks for too."""

    requests: list[transfer_pb2.SubmitTransferRequest]
    twin_of: dict[int, int]
    holdings: list[DemoHolding]


def plan(n: int, overlap: float, seed: int) -> Plan:
    run = uuid.uuid4().hex[:8]
    rng = random.Random(seed)
    twins = round(n * overlap)
    originals = n - twins
    holdings = [
        DemoHolding(
            registry_id="cn-ccer", account_id=f"load-{run}-{i}", serial=f"CCER-CN-{300_000 + i}-2024-1-1-100"
        )
        for i in range(originals)
    ]
    requests, twin_of = [], {}
    for i in range(n):
        j = i if i < originals else rng.randrange(originals)
        if i >= originals:
            twin_of[i] = j
        h = holdings[j]
        requests.append(
            _T.SubmitTransferRequest(
                transfer_id=f"load-{run}-{i}",
                source=_T.AccountRef(registry_id="cn-ccer", account_id=h.account_id),
                destination=_T.AccountRef(registry_id="cn-sz-ets", account_id=f"{h.account_id}-dest-{i}"),
                serial=h.serial,
            )
        )
    order = list(range(n))
    rng.shuffle(order)  # twins arrive among the others, not at the end
    shuffled = [requests[k] for k in order]
    where = {k: pos for pos, k in enumerate(order)}
    return Plan(shuffled, {where[i]: where[j] for i, j in twin_of.items()}, holdings)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    refused_at_submit: Counter[str] = field(default_factory=Counter)


async def _one(stub: transfer_pb2_grpc.TransferServiceStub, request: Any, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        await stub.SubmitTransfer(request, timeout=120)
    except grpc.aio.AioRpcError as refused:
        code = (refused.details() or "").partition(":")[0]  # the gateway's messages start "CODE: "
        outcome.refused_at_submit[f"{refused.code().name} {code}"] += 1
        outcome.states[request.transfer_id] = _T.TRANSFER_STATE_REJECTED
        return
    last = None
    async for watched in stub.WatchTransfer(_T.WatchTransferRequest(transfer_id=request.transfer_id)):
        last = watched.transfer
        if last.state in FINAL:
            break
    assert last is not None
    outcome.latencies.append(time.perf_counter() - started)
    outcome.states[request.transfer_id] = last.state
    if last.state not in SETTLED:
        code = last.reasons[0].code if last.reasons else "none given"
        outcome.reasons[f"{_T.TransferState.Name(last.state).removeprefix('TRANSFER_STATE_')} {code}"] += 1


async def drive(target: str, work: Plan, clients: int, label: str) -> tuple[Outcome, float]:
    """`clients` concurrent clients, each on its own channel, take transfers from one queue."""
    outcome = Outcome()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for request in work.requests:
        queue.put_nowait(request)
    total = len(work.requests)

    async def client() -> None:
        async with grpc.aio.insecure_channel(target) as channel:
            stub = transfer_pb2_grpc.TransferServiceStub(channel)
            while not queue.empty():
                await _one(stub, queue.get_nowait(), outcome)
                done = len(outcome.states)
                progress(f"{label}: {done}/{total} final", done=done == total)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return outcome, time.perf_counter() - started


async def seed(sandbox_url: str, work: Plan) -> None:
    for at in range(0, len(work.holdings), SEED_CHUNK):
        chunk = work.holdings[at : at + SEED_CHUNK]
        await post_seed(sandbox_url, seed_request(chunk, f"load-{uuid.uuid4().hex[:8]}"))
    destinations = [(r.destination.registry_id, r.destination.account_id) for r in work.requests]
    for at in range(0, len(destinations), SEED_CHUNK):
        await open_accounts(sandbox_url, destinations[at : at + SEED_CHUNK])


def settled_twice(work: Plan, outcome: Outcome) -> list[str]:
    """Pairs asking for the same units that both settled: double counting."""
    ids = [r.transfer_id for r in work.requests]
    return [
        f"{ids[i]} and {ids[j]}"
        for i, j in work.twin_of.items()
        if outcome.states.get(ids[i]) in SETTLED and outcome.states.get(ids[j]) in SETTLED
    ]


async def one_run(workers: int, args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    work = plan(args.n, args.overlap, args.seed)
    with tempfile.TemporaryDirectory() as data:
        async with LocalCluster(
            Path(data),
            workers=workers,
            servers=args.servers,
            ledger_url=database_url,
            anchor_interval_s=5.0,
            reconciliation_interval_s=0,
        ) as cluster:
            await seed(cluster.sandbox_url, work)
            before = await sandbox_totals(cluster.sandbox_url)
            label = f"{workers} worker{'s' if workers > 1 else ''}"
            outcome, wall = await drive(cluster.grpc_target, work, args.clients, label)
            after = await sandbox_totals(cluster.sandbox_url)
            twice = await live_twice(cluster.sandbox_url)
    settled = sum(1 for s in outcome.states.values() if s in SETTLED)
    conserved = all(after[k] == before[k] for k in set(before) | set(after))
    doubled = settled_twice(work, outcome)
    return {
        "workers": workers,
        "transfers": args.n,
        "clients": args.clients,
        "overlapping": len(work.twin_of),
        "settled": settled,
        "not_settled": args.n - settled,
        "per_second": args.n / wall,
        "p50_ms": percentile(outcome.latencies, 0.5) * 1000 if outcome.latencies else 0.0,
        "p99_ms": percentile(outcome.latencies, 0.99) * 1000 if outcome.latencies else 0.0,
        "rejections": dict(outcome.reasons)
        | {f"refused at submit {k}": v for k, v in outcome.refused_at_submit.items()},
        "conserved": conserved,
        "live_twice": len(twice),
        "settled_twice": len(doubled),
        "examples": (twice + doubled)[:5],
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=10_000, help="transfers per run")
    parser.add_argument("--clients", type=int, default=64, help="concurrent gRPC clients")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, one run each")
    parser.add_argument("--servers", type=int, default=1, help="carbon-gateway serve processes")
    parser.add_argument(
        "--overlap", type=float, default=0.1, help="share of transfers asking for taken units"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 transfers, 1 and 2 workers")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.n, args.workers = 200, "1,2"
    counts = [int(k) for k in args.workers.split(",")]
    rows = []
    with throwaway_cluster() as postgres:
        for workers in counts:
            rows.append(await one_run(workers, args, postgres.create_database()))
    print(f"{'workers':>7} {'n':>6} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'settled':>8}  checks")
    for row in rows:
        checks = (
            "conserved" if row["conserved"] else "UNITS MADE OR LOST",
            f"live twice {row['live_twice']}",
            f"settled twice {row['settled_twice']}",
        )
        print(
            f"{row['workers']:>7} {row['transfers']:>6} {row['per_second']:>7.1f} {row['p50_ms']:>8.0f} "
            f"{row['p99_ms']:>8.0f} {row['settled']:>8}  {', '.join(checks)}"
        )
        for reason, count in sorted(row["rejections"].items()):
            print(f"{'':>16}not settled: {count:>5}  {reason}")
    base = rows[0]["per_second"]
    print(
        "throughput vs 1 worker: " + ", ".join(f"{r['workers']}: {r['per_second'] / base:.2f}x" for r in rows)
    )
    write_json(args.json, {"runs": rows})
    write_csv(args.csv, [{k: v for k, v in r.items() if k not in ("rejections", "examples")} for r in rows])
    broken = [r for r in rows if not r["conserved"] or r["live_twice"] or r["settled_twice"]]
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
