"""End to end over gRPC against a real Temporal dev server, sandbox registries and the ledger."""

from __future__ import annotations

import asyncio
import itertools

import grpc
import pytest

from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
_ids = itertools.count(1)


def request(source: str, destination: str, serial: str, quantity: int | None = None, **kw: str):
    msg = transfer_pb2.SubmitTransferRequest(
        transfer_id=kw.get("transfer_id", f"e2e-{next(_ids)}"),
        source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=source),
        destination=transfer_pb2.AccountRef(
            registry_id=kw.get("destination_registry", "cn-sz-ets"), account_id=destination
        ),
        serial=serial,
        purpose=transfer_pb2.PURPOSE_VOLUNTARY,
    )
    if quantity is not None:
        msg.quantity = quantity
    return msg


async def holdings(registries, registry_id: str, account_id: str) -> list[tuple[str, int, str]]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sorted((h.serial, h.quantity, registry_pb2.UnitStatus.Name(h.status)) for h in found.holdings)


async def test_a_transfer_settles_and_holdings_move(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(1001, 1100)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial, 40))).transfer
    assert submitted.state == transfer_pb2.TRANSFER_STATE_RECEIVED
    done = await final_state(transfers, submitted.transfer_id)
    assert done.state in SETTLED, done.reasons
    assert done.quantity == 40
    assert done.purpose == transfer_pb2.PURPOSE_VOLUNTARY  # stored and read back as the enum
    assert await holdings(registries, "cn-ccer", account) == sorted(
        [
            (ccer_serial(1001, 1040), 40, "UNIT_STATUS_EXPORTED"),
            (ccer_serial(1041, 1100), 60, "UNIT_STATUS_HELD"),
        ]
    )
    assert await holdings(registries, "cn-sz-ets", f"{account}-dest") == [
        (ccer_serial(1001, 1040), 40, "UNIT_STATUS_HELD")
    ]


async def test_watch_streams_every_state_in_order(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(2001, 2010)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial))).transfer
    states = [
        update.transfer.state
        async for update in transfers.WatchTransfer(
            transfer_pb2.WatchTransferRequest(transfer_id=submitted.transfer_id)
        )
    ]
    assert states[-1] in SETTLED
    assert states == sorted(states), "states went backwards"


async def test_a_repeated_submit_returns_the_same_transfer(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(3001, 3050)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    first = request(account, f"{account}-dest", serial, 10)
    submitted = (await transfers.SubmitTransfer(first)).transfer
    again = (await transfers.SubmitTransfer(first)).transfer
    assert again.transfer_id == submitted.transfer_id
    assert again.create_time == submitted.create_time
    done = await final_state(transfers, first.transfer_id)
    assert done.state in SETTLED
    after = (await transfers.SubmitTransfer(first)).transfer
    assert after.state in SETTLED
    # Moved once, not twice or thrice.
    assert await holdings(registries, "cn-sz-ets", f"{account}-dest") == [
        (ccer_serial(3001, 3010), 10, "UNIT_STATUS_HELD")
    ]


async def test_the_same_id_with_other_content_is_already_exists(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(4001, 4050)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    first = request(account, f"{account}-dest", serial, 10)
    await transfers.SubmitTransfer(first)
    changed = request(account, f"{account}-dest", serial, 11, transfer_id=first.transfer_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(changed)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (await final_state(transfers, first.transfer_id)).quantity == 10


async def test_of_two_overlapping_transfers_exactly_one_settles(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(5001, 5100)
    await sandbox.seed("cn-ccer", account, serial)
    a = request(account, f"{account}-a", serial, 60)
    b = request(account, f"{account}-b", serial, 30)
    for destination in (a, b):
        await sandbox.open_account("cn-sz-ets", destination.destination.account_id)
    # A slow lock keeps both requests past the gateway's door (which would refuse the second
    # once the first has locked the block), so the race is decided where it matters.
    await sandbox.fail("cn-ccer", latency_ms=300, operations=["lock"])
    await asyncio.gather(transfers.SubmitTransfer(a), transfers.SubmitTransfer(b))
    outcomes = await asyncio.gather(
        final_state(transfers, a.transfer_id), final_state(transfers, b.transfer_id)
    )
    states = sorted(o.state in SETTLED for o in outcomes)
    assert states == [False, True]
    assert transfer_pb2.TRANSFER_STATE_REJECTED in [o.state for o in outcomes]
    loser = next(o for o in outcomes if o.state not in SETTLED)
    winner = next(o for o in outcomes if o.state in SETTLED)
    assert any(r.code.startswith("DC-") for r in loser.reasons), loser.reasons
    assert any(winner.transfer_id in r.message for r in loser.reasons), loser.reasons


async def test_a_failing_destination_after_the_source_lock_compensates(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(6001, 6100)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    await sandbox.fail("cn-sz-ets", error_rate=1.0, operations=["credit"])
    submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial, 25))).transfer
    done = await final_state(transfers, submitted.transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_COMPENSATED, done.reasons
    assert done.reasons
    assert await holdings(registries, "cn-ccer", account) == [(serial, 100, "UNIT_STATUS_HELD")]
    assert await holdings(registries, "cn-sz-ets", f"{account}-dest") == []


async def test_a_lost_credit_reply_is_retried_not_repeated(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(7001, 7020)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    # The destination's own calls: its account lookup at the door stays clear, so the submit is accepted.
    await sandbox.fail("cn-sz-ets", lost_reply_rate=0.5, operations=["credit", "reverse"])
    submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial))).transfer
    done = await final_state(transfers, submitted.transfer_id)
    assert done.state in (*SETTLED, transfer_pb2.TRANSFER_STATE_COMPENSATED)
    credited = await holdings(registries, "cn-sz-ets", f"{account}-dest")
    assert credited == ([(serial, 20, "UNIT_STATUS_HELD")] if done.state in SETTLED else [])


async def test_transfers_can_be_listed_by_account_and_state_page_by_page(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    blocks = [ccer_serial(i * 10 + 1, i * 10 + 10) for i in range(3)]
    for serial in blocks:
        await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    ids = []
    for serial in blocks:
        submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial))).transfer
        ids.append(submitted.transfer_id)
        await final_state(transfers, submitted.transfer_id)
    seen, token = [], ""
    while True:
        page = await transfers.ListTransfers(
            transfer_pb2.ListTransfersRequest(
                filter=transfer_pb2.TransferFilter(account_id=account, states=list(SETTLED)),
                page_size=2,
                page_token=token,
            )
        )
        assert len(page.transfers) <= 2
        seen += [t.transfer_id for t in page.transfers]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.ListTransfers(transfer_pb2.ListTransfersRequest(page_token="not-a-token"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
