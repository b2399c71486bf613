"""Under every fault a registry can show, transfers end in a final state and no unit is made or lost.

The faults hit both the source and the destination (and, for evidence-based
sources, the public read API). The conservation check wraps each test (see
conftest); here each test also checks that no step was applied twice.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import grpc
import pytest

from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, final_state
from tests.e2e.sandbox_admin import SandboxAdmin

pytestmark = pytest.mark.e2e
UNDONE = (transfer_pb2.TRANSFER_STATE_COMPENSATED, transfer_pb2.TRANSFER_STATE_REJECTED)
_n = itertools.count(1)

FAULTS = {
    "latency": {"latency_ms": 150},
    "errors": {"error_rate": 0.3},
    "timeouts": {"timeout_rate": 0.25, "timeout_s": 1.5},
    "lost-replies": {"lost_reply_rate": 0.4},
    "dropped-connections": {"lost_reply_rate": 0.4, "lost_reply_mode": "disconnect"},
    "refusals": {"refusal_rate": 0.3},
    "rate-limits": {"rate_limit_rate": 0.3, "retry_after_s": 0},
}


async def live(registries, registry_id: str, account_id: str) -> list[tuple[str, int]]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sorted((h.serial, h.quantity) for h in found.holdings if h.status == registry_pb2.UNIT_STATUS_HELD)


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
async def test_api_driven_transfers_stay_whole_under_faults(
    transfers, registries, sandbox: SandboxAdmin, account, fault
):
    project = 900_000 + next(_n)
    blocks = [f"CCER-CN-{project}-2024-1-{i * 100 + 1}-{i * 100 + 100}" for i in range(3)]
    for block in blocks:
        await sandbox.seed("cn-ccer", account, block)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    for registry_id in ("cn-ccer", "cn-sz-ets"):
        await sandbox.fail(registry_id, seed=next(_n), **FAULTS[fault])
    ids = [f"fault-{fault}-{account}-{i}" for i in range(3)]
    for transfer_id, serial in zip(ids, blocks, strict=True):
        request = transfer_pb2.SubmitTransferRequest(
            transfer_id=transfer_id,
            source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account),
            destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=f"{account}-dest"),
            serial=serial,
        )
        await _submit_through_faults(transfers, request)
    outcomes = [await final_state(transfers, t) for t in ids]
    await sandbox.clear_all_faults()
    assert all(o.state in SETTLED or o.state in UNDONE for o in outcomes), [
        (o.state, o.reasons) for o in outcomes
    ]
    settled = sum(o.quantity for o in outcomes if o.state in SETTLED)
    # Every settled unit is at the destination exactly once; everything else is back at the source.
    assert sum(q for _, q in await live(registries, "cn-sz-ets", f"{account}-dest")) == settled
    assert sum(q for _, q in await live(registries, "cn-ccer", account)) == 300 - settled


async def _submit_through_faults(transfers, request) -> None:
    """Submit; a submit refused because the faulty registry could not be read is simply retried."""
    for _ in range(10):
        try:
            await transfers.SubmitTransfer(request)
            return
        except grpc.aio.AioRpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.FAILED_PRECONDITION):
                raise
    raise AssertionError(f"{request.transfer_id} was never accepted")


@pytest.mark.parametrize("fault", ["latency", "errors", "rate-limits"])
async def test_evidence_is_read_correctly_under_faults(
    transfers, registries, sandbox: SandboxAdmin, account, fault
):
    first = 500_000_000 + next(_n) * 10_000
    serial = f"9660-{first}-{first + 99}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"evidence-{fault}-{account}"
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id="verra", account_id=account),
        destination=transfer_pb2.AccountRef(registry_id="hk-core-climate", account_id=f"{account}-hk"),
        serial=serial,
    )
    await transfers.SubmitTransfer(request)
    await sandbox.holder_acts("verra", "immobilise", account, serial, f"for gateway transfer {transfer_id}")
    await sandbox.fail("verra", seed=next(_n), **FAULTS[fault])
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons
    assert await live(registries, "hk-core-climate", f"{account}-hk") == [(serial, 100)]


async def test_waiting_on_a_registry_and_the_chain_is_logged_in_lines_not_tracebacks(
    transfers, sandbox: SandboxAdmin, account, caplog
):
    """A registry that answers 503 for a while, then an anchor waiting for confirmations: normal operation."""
    caplog.set_level(logging.INFO)
    serial = f"CCER-CN-{960_000 + next(_n)}-2024-1-1-10"
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    await sandbox.fail("cn-sz-ets", error_rate=1.0, operations=["credit"])
    transfer_id = f"quiet-{account}"
    await transfers.SubmitTransfer(
        transfer_pb2.SubmitTransferRequest(
            transfer_id=transfer_id,
            source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account),
            destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=f"{account}-dest"),
            serial=serial,
        )
    )
    for _ in range(100):  # until the saga has met the outage at least once
        if any("waits" in r.getMessage() and transfer_id in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.1)
    await sandbox.clear_all_faults()
    done = await final_state(transfers, transfer_id)
    for _ in range(100):  # and until its settlement is anchored (confirmations waited for)
        if done.state == transfer_pb2.TRANSFER_STATE_ANCHORED:
            break
        await asyncio.sleep(0.2)
        done = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert done.state == transfer_pb2.TRANSFER_STATE_ANCHORED
    waits = [r for r in caplog.records if "waits" in r.getMessage() and transfer_id in r.getMessage()]
    assert waits, "the outage was meant to be met and logged"
    traced = [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert traced == []
