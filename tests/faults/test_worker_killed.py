"""kill -9 the worker process running each saga step; the others finish every transfer whole.

Workers run as `carbon-gateway worker`, apart from the gRPC server, as in a deployment
(docs/deploy.md). For each step a transfer is followed until Temporal shows that step's
activity started on a worker; that worker is then killed with SIGKILL (no cleanup, a
registry call possibly applied with its reply lost) and a fresh one started while the
other goes on. Temporal retries the step once its start-to-close timeout lapses; the
step's idempotency key makes the retry apply nothing twice.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import NamedTuple

import grpc
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.chaos import CLUSTER_SETTINGS, make_schedule, run_schedule, running_on
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.harness import until
from tests.faults.invariants import GatewayUnderTest, assert_invariants, sandbox_totals
from tests.process_cluster import LocalCluster

pytestmark = pytest.mark.e2e
# Every step of an API-driven transfer, in the order the saga runs them.
STEPS = ["check", "reserve", "lock_source", "credit_destination", "finalise_source", "settle"]
# Registry calls slow enough that a kill lands while the worker is inside them.
SLOW_CALLS = {"latency_ms": 700, "operations": ["lock", "credit", "finalise"]}
_projects = itertools.count(640_001)
CHAOS = (23, 12)  # seed and schedule number of bench/chaos.py


class _Found(NamedTuple):
    value: str  # truthy even when the identity is "" (only scheduled)


async def _identity(client: Client, transfer_id: str, step: str) -> _Found | None:
    found = await running_on(client, transfer_id, step)
    return None if found is None else _Found(found)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalCluster]:
    """Two workers (the one running the step is killed; the other goes on while a third starts)."""
    async with LocalCluster(tmp_path_factory.mktemp("cluster"), workers=2, **CLUSTER_SETTINGS) as running:
        yield running


@pytest.mark.timeout(240)
async def test_a_worker_killed_at_each_step_loses_nothing(cluster: LocalCluster):
    admin = SandboxAdmin(cluster.sandbox_url)
    client = await Client.connect(cluster.temporal_address, data_converter=pydantic_data_converter)
    try:
        serials = {step: f"CCER-CN-{next(_projects)}-2024-1-1-100" for step in STEPS}
        for serial in serials.values():
            await admin.seed("cn-ccer", "killed-owner", serial)
        await admin.open_account("cn-sz-ets", "killed-dest")
        before = await sandbox_totals(cluster.sandbox_url)
        for registry_id in ("cn-ccer", "cn-sz-ets"):
            await admin.fail(registry_id, **SLOW_CALLS)
        ids = []
        replacements: list[asyncio.Future[object]] = []
        async with grpc.aio.insecure_channel(cluster.grpc_target) as channel:
            stub = transfer_pb2_grpc.TransferServiceStub(channel)
            for step, serial in serials.items():
                transfer_id = f"killed-at-{step}"
                ids.append(transfer_id)
                submitted = stub.SubmitTransfer(
                    transfer_pb2.SubmitTransferRequest(
                        transfer_id=transfer_id,
                        source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id="killed-owner"),
                        destination=transfer_pb2.AccountRef(
                            registry_id="cn-sz-ets", account_id="killed-dest"
                        ),
                        serial=serial,
                    ),
                    timeout=30,
                )
                watching = asyncio.ensure_future(submitted)
                identity = await until(
                    lambda tid=transfer_id, s=step: _identity(client, tid, s),
                    timeout_s=60,
                    what=f"{transfer_id} reaching {step}",
                    every_s=0.02,
                )
                while not cluster.workers:  # every worker killed: the next kill waits for one to start
                    await replacements.pop(0)
                killed = await cluster.kill_worker(identity.value)
                assert killed.process.returncode == -9
                replacements.append(asyncio.ensure_future(cluster.add_worker()))
                await watching
            await asyncio.gather(*replacements)
        await admin.clear_all_faults()
        await assert_invariants(
            GatewayUnderTest(
                grpc_target=cluster.grpc_target,
                sandbox_url=cluster.sandbox_url,
                ledger_url=cluster.ledger_url,
                chain_rpc_url=cluster.chain_rpc_url,
            ),
            ids,
            before,
            accept={transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED},
        )
    finally:
        await admin.aclose()


def test_a_chaos_schedule_is_a_function_of_its_seed_and_number_alone():
    assert make_schedule(*CHAOS) == make_schedule(*CHAOS)
    assert make_schedule(CHAOS[0] + 1, CHAOS[1]) != make_schedule(*CHAOS)
    drawn = make_schedule(*CHAOS)
    assert drawn.kills and drawn.twins and drawn.faults and drawn.server_kill_after, drawn.describe()


@pytest.mark.timeout(180)
async def test_a_chaos_schedule_keeps_every_invariant(cluster: LocalCluster):
    """A short run of bench/chaos.py: one schedule holding every kind of event (a twin asking for
    taken units, a registry timing out, the worker killed mid-step, the gRPC server killed)."""
    client = await Client.connect(cluster.temporal_address, data_converter=pydantic_data_converter)
    result = await run_schedule(cluster, client, make_schedule(*CHAOS))
    assert not result.violations, "\n".join(result.violations)
    assert len(result.states) >= make_schedule(*CHAOS).transfers - 1  # a refused twin never starts
