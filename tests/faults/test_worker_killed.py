"""kill -9 the only worker process at each saga step; a new worker finishes every transfer whole.

The worker runs as `carbon-gateway worker`, apart from the gRPC server, as in a
deployment (docs/deploy.md). For each step a transfer is followed until Temporal
shows that step's activity started on the worker; the worker is then killed with
SIGKILL (no cleanup, a registry call possibly applied with its reply lost) and a
fresh one started. Temporal retries the step once its start-to-close timeout
lapses; the step's idempotency key makes the retry apply nothing twice.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import grpc
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.harness import until
from tests.faults.invariants import GatewayUnderTest, assert_invariants, sandbox_totals
from tests.process_cluster import LocalCluster
from workflows.inputs import transfer_workflow_id

pytestmark = pytest.mark.e2e
# Every step of an API-driven transfer, in the order the saga runs them.
STEPS = ["check", "reserve", "lock_source", "credit_destination", "finalise_source", "settle"]
# Registry calls slow enough that a kill lands while the worker is inside them.
SLOW_CALLS = {"latency_ms": 700, "operations": ["lock", "credit", "finalise"]}
_projects = itertools.count(640_001)


async def _started(client: Client, transfer_id: str, step: str) -> bool:
    """True once `step` is running (started, or for the ledger's quick steps at least scheduled)."""
    try:
        described = await client.get_workflow_handle(transfer_workflow_id(transfer_id)).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:  # the submit has not started it yet
            return False
        raise
    for pending in described.raw_description.pending_activities:
        if pending.activity_type.name == step and pending.state in (
            PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
            PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
        ):
            return True
    return False


@pytest.mark.timeout(240)
async def test_a_worker_killed_at_each_step_loses_nothing(tmp_path: Path):
    async with LocalCluster(
        tmp_path,
        workers=1,
        anchor_interval_s=1.0,
        anchor_confirmations=2,
        registry_timeout_s=2.0,
        step_timeout_s=3.0,  # how soon Temporal gives up on a step whose worker died
        step_initial_interval_s=0.1,
        step_max_interval_s=0.5,
        reconciliation_interval_s=0,
    ) as cluster:
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
                    await until(
                        lambda tid=transfer_id, s=step: _started(client, tid, s),
                        timeout_s=60,
                        what=f"{transfer_id} reaching {step}",
                        every_s=0.02,
                    )
                    killed = await cluster.kill_worker()
                    assert killed.process.returncode == -9
                    await cluster.add_worker()
                    await watching
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
