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

from protos.carbon.gateway.v1 import transfer_pb2_grpc
from tests.faults.harness import Batch, TemporalDevServer, fault_settings, outage_mid_saga, running

pytestmark = pytest.mark.e2e


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

            async def outage() -> None:
                server.kill()
                async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
                    stub = transfer_pb2_grpc.TransferServiceStub(channel)
                    with contextlib.suppress(grpc.aio.AioRpcError):  # recorded; its start may fail
                        await stub.SubmitTransfer(late.requests[0], timeout=2)
                await asyncio.sleep(1.0)
                await server.start()

            await outage_mid_saga(gateway, batch, outage, after=after, logs=logs, during=late.ids)
    finally:
        server.stop()
