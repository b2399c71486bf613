"""The Temporal server (a dev server persisting to SQLite, as `carbon-gateway up` runs it) is killed
while transfers are mid-saga and started again on the same file: every saga picks up where it stood.

The gateway is pointed at the server by `temporal_address`, so it registers the transfer search
attributes itself (`gateway.runtime.register_search_attributes`); they live in the SQLite file and
survive the restart. A transfer submitted while the server is down is recorded and started by the
orphan sweep once the server is back. After the restart, new transfers settle with no traceback
logged: the worker's and the client's connections recovered by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import grpc
import pytest

from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.harness import (
    Batch,
    TemporalDevServer,
    baseline,
    fault_settings,
    running,
    states,
    target,
    until,
)
from tests.faults.invariants import FINAL, assert_invariants, traced_records

pytestmark = pytest.mark.e2e
_MOVING = frozenset(
    {transfer_pb2.TRANSFER_STATE_SOURCE_LOCKED, transfer_pb2.TRANSFER_STATE_DESTINATION_CREDITED}
)


@pytest.mark.timeout(150)
async def test_sagas_in_flight_finish_after_the_temporal_server_restarts(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    server = TemporalDevServer(tmp_path)
    await server.start()
    try:
        settings = fault_settings(tmp_path / "gateway", temporal_address=server.address, step_timeout_s=5.0)
        async with running(settings) as gateway:
            batch = await Batch(gateway, "tr", count=4).seed()
            late = await Batch(gateway, "tr-late", count=1).seed()
            after = await Batch(gateway, "tr-after", count=2).seed()
            before = await baseline(gateway)
            admin = SandboxAdmin(gateway.sandbox_url)
            # Slow registries keep the sagas mid-step long enough to be caught there.
            for registry_id in ("cn-ccer", "cn-sz-ets"):
                await admin.fail(registry_id, latency_ms=400, operations=["lock", "credit", "finalise"])
            await batch.submit()

            async def moving() -> bool:
                found = await states(gateway, batch.ids)
                return any(s in _MOVING for s in found.values()) and not all(
                    s in FINAL for s in found.values()
                )

            await until(moving, 30, "a transfer between its lock and its settlement")
            server.kill()
            async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
                stub = transfer_pb2_grpc.TransferServiceStub(channel)
                with contextlib.suppress(grpc.aio.AioRpcError):  # recorded; its start may fail
                    await stub.SubmitTransfer(late.requests[0], timeout=2)
            await asyncio.sleep(1.0)
            await server.start()
            await admin.clear_all_faults()
            await admin.aclose()

            report = await assert_invariants(target(gateway), batch.ids + late.ids, before)
            assert report.settled == sorted(batch.ids + late.ids), report.state_names()

            mark = len(logs.records)
            await after.submit()
            report = await assert_invariants(target(gateway), after.ids, before, final_within_s=30)
            assert report.settled == sorted(after.ids), report.state_names()
            assert traced_records(logs.records[mark:]) == []
    finally:
        server.stop()
