"""A second `up` on the same data folder keeps every transfer and holding, and replays history."""

from __future__ import annotations

import os
from pathlib import Path

import grpc
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request
from gateway.runtime import EmbeddedGateway
from gateway.settings import Settings
from protos.carbon.gateway.v1 import registry_pb2, registry_pb2_grpc, transfer_pb2, transfer_pb2_grpc
from tests.e2e.client import gateway_settings
from workflows.inputs import transfer_workflow_id
from workflows.transfer import TransferWorkflow

pytestmark = pytest.mark.e2e
SERIAL = "CCER-CN-555001-2024-1-1-500"
HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def _settings(data_dir: Path) -> Settings:
    """The persisted Temporal server, as `carbon-gateway up` runs it: history must survive a restart."""
    return gateway_settings(data_dir, temporal_persist=True)


async def _holdings(port: int, registry_id: str, account_id: str) -> list[tuple[str, int]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        found = await registry_pb2_grpc.RegistryServiceStub(channel).ListHoldings(
            registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
        )
    return sorted((h.serial, h.status) for h in found.holdings)


async def test_a_restart_keeps_transfers_holdings_and_workflow_history(tmp_path: Path):
    first = await EmbeddedGateway(_settings(tmp_path)).start()
    try:
        holding = DemoHolding(registry_id="cn-ccer", account_id="owner", serial=SERIAL)
        await post_seed(first.sandbox_url, seed_request([holding], "restart-test"))
        await open_accounts(first.sandbox_url, [("cn-sz-ets", "emitter")])
        async with grpc.aio.insecure_channel(f"127.0.0.1:{first.grpc_port}") as channel:
            stub = transfer_pb2_grpc.TransferServiceStub(channel)
            request = transfer_pb2.SubmitTransferRequest(
                transfer_id="kept-1",
                source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id="owner"),
                destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id="emitter"),
                serial=SERIAL,
                quantity=200,
            )
            await stub.SubmitTransfer(request)
            watch = stub.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id="kept-1"), timeout=60)
            states = [update.transfer.state async for update in watch]
        assert states[-1] in (transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED)
        source_before = await _holdings(first.grpc_port, "cn-ccer", "owner")
        destination_before = await _holdings(first.grpc_port, "cn-sz-ets", "emitter")
        assert first.client is not None
        handle = first.client.get_workflow_handle(transfer_workflow_id("kept-1"))
        await handle.result()  # the ledger says settled a moment before the workflow closes
        history = await handle.fetch_history()
    finally:
        await first.stop()

    second = await EmbeddedGateway(_settings(tmp_path)).start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{second.grpc_port}") as channel:
            kept = await transfer_pb2_grpc.TransferServiceStub(channel).GetTransfer(
                transfer_pb2.GetTransferRequest(transfer_id="kept-1")
            )
        assert kept.state in (transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED)
        assert kept.quantity == 200
        assert await _holdings(second.grpc_port, "cn-ccer", "owner") == source_before
        assert await _holdings(second.grpc_port, "cn-sz-ets", "emitter") == destination_before
        assert second.client is not None
        # Temporal kept the run too: the same history is still there after the restart.
        again = await second.client.get_workflow_handle(transfer_workflow_id("kept-1")).fetch_history()
        assert len(again.events) == len(history.events)
    finally:
        await second.stop()

    # The recorded history replays on today's workflow code: a change that would break
    # running transfers fails here.
    replayer = Replayer(workflows=[TransferWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / "transfer_settled.json").write_text(history.to_json())
