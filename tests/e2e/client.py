"""What every end-to-end test does as a gRPC client: configure a gateway, build requests, wait for ends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from temporalio.client import WorkflowHandle

from gateway.settings import Settings
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc

# A settled transfer may already be anchored by the time a test looks.
SETTLED = (transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED)

Account = tuple[str, str]  # (registry id, account id)


def gateway_settings(data_dir: Path, **overrides: Any) -> Settings:
    """A gateway for tests: free ports, Temporal in memory, short retries and quick polls."""
    defaults: dict[str, Any] = {
        "data_dir": data_dir,
        "grpc_port": 0,
        "sandbox_port": 0,
        "temporal_port": 0,
        "temporal_ui_port": 0,
        "temporal_persist": False,
        "chain_rpc_port": 0,
        "metrics_port": 0,
        "public_port": 0,
        "chain_block_interval_s": 0.2,
        "watch_poll_s": 0.05,
        # Business behaviour is tested in development mode (one caller, every role); the
        # access tests (test_access.py) run a gateway with client certificates.
        "plaintext": True,
    }
    return Settings(**(defaults | overrides))


def transfer_request(
    transfer_id: str,
    source: Account,
    destination: Account,
    serial: str,
    *,
    quantity: int | None = None,
    purpose: transfer_pb2.Purpose = transfer_pb2.PURPOSE_UNSPECIFIED,
) -> transfer_pb2.SubmitTransferRequest:
    msg = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id=source[0], account_id=source[1]),
        destination=transfer_pb2.AccountRef(registry_id=destination[0], account_id=destination[1]),
        serial=serial,
        purpose=purpose,
    )
    if quantity is not None:
        msg.quantity = quantity
    return msg


async def final_state(
    transfers: transfer_pb2_grpc.TransferServiceStub, transfer_id: str, timeout_s: float = 120
) -> transfer_pb2.Transfer:
    """Follow WatchTransfer to its end; it must end on a final state."""
    watch = transfers.WatchTransfer(
        transfer_pb2.WatchTransferRequest(transfer_id=transfer_id), timeout=timeout_s
    )
    seen = [update.transfer async for update in watch]
    assert seen, "WatchTransfer sent nothing"
    return seen[-1]


async def until_scheduled(handle: WorkflowHandle[Any, Any], activity: str, *, tries: int = 200) -> None:
    """Wait until the saga itself has scheduled `activity`: the ledger's state moves as a step ends,
    a moment before the workflow learns of it, so a test that must act at a step waits for this."""
    for _ in range(tries):
        events = (await handle.fetch_history()).events
        if any(e.activity_task_scheduled_event_attributes.activity_type.name == activity for e in events):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the saga never scheduled {activity}")


async def every_page(
    call: Callable[[Any], Awaitable[Any]], request: Any, items: str, page_size: int = 500
) -> tuple[list[Any], int]:
    """Every item of a paged list RPC, following next_page_token to the end; and how many pages it took."""
    request.page_size = page_size
    found: list[Any] = []
    pages = 0
    while True:
        page = await call(request)
        pages += 1
        found += getattr(page, items)
        if not page.next_page_token:
            return found, pages
        request.page_token = page.next_page_token


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    """The one google.rpc.ErrorInfo every refusal carries (its `reason` is the stable code)."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    assert len(infos) == 1, status.details
    return infos[0]


def fields_named(error: grpc.aio.AioRpcError) -> list[str]:
    """The full paths of the fields a refusal's BadRequest and PreconditionFailure details name."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    named = []
    for detail in status.details:
        bad, failed = error_details_pb2.BadRequest(), error_details_pb2.PreconditionFailure()
        if detail.Unpack(bad):  # Unpack is False for a detail of another type
            named += [v.field for v in bad.field_violations]
        elif detail.Unpack(failed):
            named += [v.subject for v in failed.violations]
    return named
