"""Past the destination credit the saga only goes forward, whatever the source registry does.

Each test drives the running gateway over gRPC with faults injected into the sandbox
registry at the finalise step, and ends with the conservation check (conftest): units
are never left in both registries or in neither.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_status import rpc_status

from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import final_state, transfer_request, until_scheduled
from tests.e2e.sandbox_admin import SandboxAdmin
from workflows.inputs import transfer_workflow_id

pytestmark = pytest.mark.e2e
S = transfer_pb2
CREDITED = S.TRANSFER_STATE_DESTINATION_CREDITED
FLAGGED = S.TRANSFER_STATE_NEEDS_INTERVENTION


async def state_reaches(transfers, transfer_id: str, wanted: int, timeout_s: float = 60) -> S.Transfer:
    """Poll GetTransfer until the transfer stands in `wanted`."""
    for _ in range(int(timeout_s / 0.1)):
        found = await transfers.GetTransfer(S.GetTransferRequest(transfer_id=transfer_id))
        if found.state == wanted:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{transfer_id} never reached {S.TransferState.Name(wanted)}")


async def holdings(registries, registry_id: str, account_id: str) -> list[tuple[int, int]]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sorted((h.status, h.quantity) for h in found.holdings)


async def submit_stuck_at_finalise(
    transfers, sandbox: SandboxAdmin, account, serial, until: int = CREDITED, **fault
) -> str:
    """A CCER → Shenzhen ETS transfer whose source registry misbehaves at finalise; waits for `until`."""
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    await sandbox.fail("cn-ccer", operations=["finalise"], **fault)
    transfer_id = f"forward-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    )
    await state_reaches(transfers, transfer_id, until)
    return transfer_id


def resolve(
    transfer_id: str, resolution: int, reason: str = "checked both registries"
) -> S.ResolveTransferRequest:
    return S.ResolveTransferRequest(
        transfer_id=transfer_id, resolution=resolution, reason=reason, operator="ops-alice"
    )


async def test_a_source_down_at_finalise_is_waited_out_never_unwound(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 40), error_rate=1.0
    )
    await asyncio.sleep(6)  # far beyond the three attempts a step gets before the saga gives up
    standing = await transfers.GetTransfer(S.GetTransferRequest(transfer_id=transfer_id))
    assert standing.state == CREDITED, standing
    await sandbox.clear_all_faults()
    done = await final_state(transfers, transfer_id)
    assert done.state == S.TRANSFER_STATE_ANCHORED
    assert await holdings(registries, "cn-sz-ets", f"{account}-sz") == [(registry_pb2.UNIT_STATUS_HELD, 40)]
    assert registry_pb2.UNIT_STATUS_HELD not in [s for s, _ in await holdings(registries, "cn-ccer", account)]


async def test_a_lost_finalise_reply_settles_once(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 30), lost_reply_rate=1.0
    )
    await asyncio.sleep(3)
    await sandbox.clear_all_faults()
    done = await final_state(transfers, transfer_id)
    assert done.state == S.TRANSFER_STATE_ANCHORED
    assert await holdings(registries, "cn-sz-ets", f"{account}-sz") == [(registry_pb2.UNIT_STATUS_HELD, 30)]


async def test_a_cancel_during_finalise_cannot_interrupt_it(
    gateway, transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 20), error_rate=1.0
    )
    handle = gateway.client.get_workflow_handle(transfer_workflow_id(transfer_id))
    # The ledger says credited as the credit step ends; the cancel must come once the saga itself
    # has moved on to finalise (past its point of no return), not in between.
    await until_scheduled(handle, "finalise_source")
    await handle.cancel()
    await asyncio.sleep(2)
    await sandbox.clear_all_faults()
    done = await final_state(transfers, transfer_id)
    assert done.state == S.TRANSFER_STATE_ANCHORED
    assert await holdings(registries, "cn-sz-ets", f"{account}-sz") == [(registry_pb2.UNIT_STATUS_HELD, 20)]


async def test_a_refused_finalise_waits_for_an_operator_who_retries(
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 25), until=FLAGGED, refusal_rate=1.0
    )
    flagged = await transfers.GetTransfer(S.GetTransferRequest(transfer_id=transfer_id))
    assert "FORWARD-REFUSED" in [r.code for r in flagged.reasons]
    # Nothing was reversed: the destination holds the units, the source still has them locked.
    assert await holdings(registries, "cn-sz-ets", f"{account}-sz") == [(registry_pb2.UNIT_STATUS_HELD, 25)]
    assert await holdings(registries, "cn-ccer", account) == [(registry_pb2.UNIT_STATUS_LOCKED, 25)]
    await sandbox.clear_all_faults()
    await transfers.ResolveTransfer(resolve(transfer_id, S.RESOLUTION_RETRY, "registry fixed its lock"))
    done = await final_state(transfers, transfer_id)
    assert done.state == S.TRANSFER_STATE_ANCHORED
    assert "OPERATOR-RETRY" in [r.code for r in done.reasons]
    assert any("ops-alice: registry fixed its lock" in r.message for r in done.reasons)
    assert registry_pb2.UNIT_STATUS_LOCKED not in [
        s for s, _ in await holdings(registries, "cn-ccer", account)
    ]


async def test_an_operator_records_a_transfer_undone_by_hand(
    gateway, transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 15), until=FLAGGED, refusal_rate=1.0
    )
    await sandbox.clear_all_faults()
    # By hand, in both registries: the credit reversed, the lock released.
    await gateway.adapters["cn-sz-ets"].uncredit(f"{transfer_id}:credit")
    await gateway.adapters["cn-ccer"].unlock(f"{transfer_id}:lock")
    await transfers.ResolveTransfer(
        resolve(transfer_id, S.RESOLUTION_RECORD_COMPENSATED, "reversed by the registries' desks")
    )
    done = await final_state(transfers, transfer_id)
    assert done.state == S.TRANSFER_STATE_COMPENSATED
    assert "OPERATOR-RECORD-COMPENSATED" in [r.code for r in done.reasons]
    assert await holdings(registries, "cn-ccer", account) == [(registry_pb2.UNIT_STATUS_HELD, 15)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resolution": S.RESOLUTION_UNSPECIFIED}, "resolution"),
        ({"resolution": 42}, "resolution"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 5000}, "reason"),
        ({"operator": ""}, "operator"),
        ({"operator": "ops\u202ealice"}, "operator"),
    ],
)
async def test_a_malformed_resolution_is_refused_naming_its_field(transfers, change, field):
    request = resolve("no-such-transfer", S.RESOLUTION_RETRY)
    for name, value in change.items():
        setattr(request, name, value)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.ResolveTransfer(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)
    assert status is not None and field in str(status.details[0].value)
    assert len(refused.value.details() or "") < 400  # an oversized input is never echoed whole


async def test_a_transfer_that_needs_no_intervention_refuses_a_resolution(
    transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    serial = ccer_serial(1, 10)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    transfer_id = f"plain-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    )
    watch = transfers.WatchTransfer(S.WatchTransferRequest(transfer_id=transfer_id))
    states = [update.transfer.state async for update in watch]
    # The stream goes through SETTLED and ends at ANCHORED.
    assert states[-2:] == [S.TRANSFER_STATE_SETTLED, S.TRANSFER_STATE_ANCHORED]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.ResolveTransfer(resolve(transfer_id, S.RESOLUTION_RETRY))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_transfer_id_named_like_an_internal_workflow_settles_and_anchoring_goes_on(
    transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    serial = ccer_serial(1, 10)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    transfer_id = f"anchor-settlement-log-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    )
    assert (await final_state(transfers, transfer_id)).state == S.TRANSFER_STATE_ANCHORED


async def test_an_operator_retries_from_the_command_line(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    from tests.e2e.test_cli import run

    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 5), until=FLAGGED, refusal_rate=1.0
    )
    shown = await run(gateway, "status", transfer_id)
    assert "FORWARD-REFUSED" in shown.out
    await sandbox.clear_all_faults()
    resolved = await run(
        gateway, "resolve", transfer_id, "retry", "--reason", "lock fixed at the registry", "--operator", "ops-dan",
        "--json",
    )  # fmt: skip
    assert resolved.code == 0, resolved.err
    assert resolved.json_lines()[0]["state"] != "TRANSFER_STATE_NEEDS_INTERVENTION"
    assert (await final_state(transfers, transfer_id)).state == S.TRANSFER_STATE_ANCHORED
    again = await run(gateway, "resolve", transfer_id, "retry", "--reason", "again", "--operator", "ops-dan")
    assert again.code == 2 and again.err.startswith("error FAILED_PRECONDITION: ")
