"""Seeded random fault schedules against a many-process gateway, the invariants checked after each.

    .venv/bin/python bench/chaos.py --seed 7 --schedules 1000
    .venv/bin/python bench/chaos.py --seed 7 --schedules 1 --first 412   # replay schedule 412 alone

Schedule `i` of seed `s` is drawn from `random.Random(f"{s}/{i}")` alone, so it is the
same on every run and a failing one replays by its number. A schedule is a list of
events, each keyed to the saga's progress rather than to the clock: transfers (some
asking for units another one asks for), registry faults at the source and destination
(errors, time-outs, lost replies; the sandbox draws them from the schedule's own seed,
request by request), kill -9 of the worker when a given transfer reaches a given step,
and a kill -9 of the gRPC server between submits. After each schedule the faults are
lifted and the invariants of tests/faults/invariants.py are checked: every transfer
final, no unit made or lost per unit class, no serial live in two places, the anchored
log verifying; and of two transfers asking for one block, at most one settled.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from bench.measure import progress, write_csv, write_json
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.invariants import ACCEPTED, GatewayUnderTest, check_invariants, sandbox_totals
from tests.process_cluster import LocalCluster
from workflows.inputs import transfer_workflow_id

_T = transfer_pb2
STEPS = ("check", "reserve", "lock_source", "credit_destination", "finalise_source", "settle")
FAULT_KINDS = ("error_rate", "timeout_rate", "lost_reply_rate")
SETTLED = {_T.TRANSFER_STATE_SETTLED, _T.TRANSFER_STATE_ANCHORED}
# Every block a schedule moves is new: project numbers far from the tests' own.
_PROJECTS = itertools.count(500_001)
CLUSTER_SETTINGS: dict[str, Any] = {
    "anchor_interval_s": 1.0,
    "anchor_confirmations": 2,
    "registry_timeout_s": 1.0,
    "registry_attempts": 2,
    "step_timeout_s": 3.0,  # a killed worker's step is retried this soon
    "step_attempts": 10,
    "step_initial_interval_s": 0.1,
    "step_max_interval_s": 0.5,
    "orphan_sweep_interval_s": 1.0,
    "orphan_grace_s": 1.0,
    "reconciliation_interval_s": 0,
}


@dataclass(frozen=True)
class Fault:
    registry_id: str
    kind: str
    rate: float
    seed: int


@dataclass(frozen=True)
class Kill:
    transfer: int  # the index of the transfer whose step triggers it
    step: str


@dataclass
class Schedule:
    seed: int
    index: int
    transfers: int
    twins: dict[int, int]  # transfer index -> the transfer whose block it asks for too
    faults: list[Fault]
    kills: list[Kill]
    server_kill_after: int | None  # kill -9 the gRPC server after this many submits

    def describe(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def make_schedule(seed: int, index: int) -> Schedule:
    """Schedule `index` of `seed`: a pure function of the two."""
    rng = random.Random(f"{seed}/{index}")
    n = rng.randint(2, 5)
    twins = {n: rng.randrange(n)} if rng.random() < 0.3 else {}
    total = n + len(twins)
    faults = [
        Fault(registry_id, rng.choice(FAULT_KINDS), round(rng.uniform(0.1, 0.4), 2), rng.randrange(1 << 30))
        for registry_id in ("cn-ccer", "cn-sz-ets")
        if rng.random() < 0.5
    ]
    kills = sorted(
        {Kill(rng.randrange(total), rng.choice(STEPS)) for _ in range(rng.choice((0, 1, 1, 2)))},
        key=lambda k: (k.transfer, STEPS.index(k.step)),
    )
    server_kill_after = rng.randrange(1, total) if rng.random() < 0.2 and total > 1 else None
    return Schedule(seed, index, total, twins, faults, kills, server_kill_after)


@dataclass
class Result:
    seed: int
    index: int
    seconds: float
    states: dict[str, str] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


async def running_on(client: Client, transfer_id: str, step: str) -> str | None:
    """Once the transfer runs `step`, the identity of the worker running it ("" if none yet); else None."""
    try:
        described = await client.get_workflow_handle(transfer_workflow_id(transfer_id)).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    if described.status is not None and described.status.name != "RUNNING":
        return ""  # it ended before reaching the step: kill any worker
    for p in described.raw_description.pending_activities:
        if p.activity_type.name == step:
            if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
                return p.last_worker_identity
            if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED:
                return ""
    return None


async def _submit(cluster: LocalCluster, request: Any) -> None:
    """Submit until accepted or refused for good; a dead server or a faulty registry is asked again."""
    for _ in range(100):
        try:
            async with grpc.aio.insecure_channel(cluster.grpc_target) as channel:
                await transfer_pb2_grpc.TransferServiceStub(channel).SubmitTransfer(request, timeout=20)
            return
        except grpc.aio.AioRpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                return  # refused for good (a twin whose units are taken): nothing started
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{request.transfer_id} was never accepted")


async def run_schedule(cluster: LocalCluster, client: Client, schedule: Schedule) -> Result:
    started = time.monotonic()
    name = f"chaos-{schedule.seed}-{schedule.index}"
    admin = SandboxAdmin(cluster.sandbox_url)
    replacements: list[asyncio.Future[Any]] = []
    try:
        blocks = {i: f"CCER-CN-{next(_PROJECTS)}-2024-1-1-100" for i in range(schedule.transfers)}
        for twin, original in schedule.twins.items():
            blocks[twin] = blocks[original]
        for i, serial in blocks.items():
            if i not in schedule.twins:
                await admin.seed("cn-ccer", f"{name}-owner", serial)
        await admin.open_account("cn-sz-ets", f"{name}-dest")
        before = await sandbox_totals(cluster.sandbox_url)
        for fault in schedule.faults:
            await admin.fail(
                fault.registry_id, **{fault.kind: fault.rate, "seed": fault.seed, "timeout_s": 1.5}
            )
        requests = [
            _T.SubmitTransferRequest(
                transfer_id=f"{name}-{i}",
                source=_T.AccountRef(registry_id="cn-ccer", account_id=f"{name}-owner"),
                destination=_T.AccountRef(registry_id="cn-sz-ets", account_id=f"{name}-dest"),
                serial=blocks[i],
            )
            for i in range(schedule.transfers)
        ]
        kills = {i: [k for k in schedule.kills if k.transfer == i] for i in range(schedule.transfers)}
        for i, request in enumerate(requests):
            submitting = asyncio.ensure_future(_submit(cluster, request))
            for kill in kills[i]:
                deadline = time.monotonic() + 60
                identity = await running_on(client, request.transfer_id, kill.step)
                while identity is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                    identity = await running_on(client, request.transfer_id, kill.step)
                await cluster.kill_worker(identity or "")
                # With another worker left, the replacement starts while that one goes on.
                replacing = asyncio.ensure_future(cluster.add_worker())
                if not cluster.workers:
                    await replacing
                replacements.append(replacing)
            await submitting
            if schedule.server_kill_after == i + 1:
                await cluster.kill_server()
                await cluster.add_server()
        await asyncio.gather(*replacements)
        await admin.clear_all_faults()
        report = await check_invariants(
            GatewayUnderTest(
                cluster.grpc_target, cluster.sandbox_url, cluster.ledger_url, cluster.chain_rpc_url
            ),
            [r.transfer_id for r in requests if await _exists(client, r.transfer_id)],
            before,
            accept=ACCEPTED,
        )
        violations = list(report.violations)
        for twin, original in schedule.twins.items():
            pair = (requests[twin].transfer_id, requests[original].transfer_id)
            if all(report.outcomes.get(tid) and report.outcomes[tid].state in SETTLED for tid in pair):
                violations.append(f"{pair[0]} and {pair[1]} both settled one block")
        return Result(
            schedule.seed, schedule.index, time.monotonic() - started, report.state_names(), violations
        )
    finally:
        await asyncio.gather(*replacements, return_exceptions=True)
        await admin.clear_all_faults()
        await admin.aclose()


async def _exists(client: Client, transfer_id: str) -> bool:
    """Whether the gateway started the transfer (a refused twin never is)."""
    try:
        await client.get_workflow_handle(transfer_workflow_id(transfer_id)).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def run(
    seed: int,
    schedules: int,
    first: int,
    data_dir: Path,
    workers: int = 2,
    written: Callable[[list[Result]], None] = lambda _: None,
) -> list[Result]:
    """Run the schedules in order; `written` gets the results so far after each one, so a long run
    stopped part way keeps what it found (and goes on later with `--first`)."""
    results: list[Result] = []
    async with LocalCluster(data_dir, workers=workers, **CLUSTER_SETTINGS) as cluster:
        client = await Client.connect(cluster.temporal_address, data_converter=pydantic_data_converter)
        for index in range(first, first + schedules):
            schedule = make_schedule(seed, index)
            result = await run_schedule(cluster, client, schedule)
            results.append(result)
            written(results)
            failed = sum(1 for r in results if r.violations)
            progress(
                f"seed {seed}: {len(results)}/{schedules} schedules, {failed} broke an invariant",
                done=len(results) == schedules,
            )
            if result.violations:
                print(f"schedule {index} broke an invariant: {schedule.describe()}")
                for violation in result.violations:
                    print(f"  {violation}")
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--first", type=int, default=0, help="the first schedule's number (to replay one)")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes (a kill takes the one running the step)"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args()
    wall = time.monotonic()

    def written(results: list[Result]) -> None:
        write_json(args.json, {"seed": args.seed, "results": [asdict(r) for r in results]})
        write_csv(
            args.csv,
            [
                {
                    "seed": r.seed,
                    "schedule": r.index,
                    "seconds": round(r.seconds, 1),
                    "transfers": len(r.states),
                    "violations": len(r.violations),
                }
                for r in results
            ],
        )

    with tempfile.TemporaryDirectory() as data:
        results = await run(args.seed, args.schedules, args.first, Path(data), args.workers, written)
    broken = [r for r in results if r.violations]
    minutes = (time.monotonic() - wall) / 60
    print(
        f"seed {args.seed}: {len(results)} schedules in {minutes:.1f} min, "
        f"{sum(len(r.states) for r in results)} transfers, {len(broken)} broke an invariant"
        + (f" (replay: --seed {args.seed} --schedules 1 --first {broken[0].index})" if broken else "")
    )
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
