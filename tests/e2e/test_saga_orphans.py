"""No transfer is left recorded with no saga to move it: the sweep starts it, or flags it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters import catalogue
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from gateway.orphan_sweep import SweepReport, _mend, sweep
from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.client import final_state
from tests.e2e.sandbox_admin import SandboxAdmin

pytestmark = pytest.mark.e2e


def recorded_only(
    ledger, transfer_id: str, source: tuple[str, str], destination: tuple[str, str], serial: str
):
    """What a crash between recording a submit and starting its saga leaves: a RECEIVED row, nothing else."""
    now = datetime.now(UTC)
    request = TransferRequest(
        transfer_id=transfer_id,
        source=AccountRef(registry_id=source[0], account_id=source[1]),
        destination=AccountRef(registry_id=destination[0], account_id=destination[1]),
        serial=serial,
    )
    block = catalogue.parse_serial(source[0], serial)
    transfer, _ = ledger.record_received(
        Transfer(request=request, block=block, created_at=now, updated_at=now)
    )
    return transfer


async def test_a_recorded_transfer_whose_start_was_lost_is_started_by_the_sweep(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    serial = ccer_serial(1, 12)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    transfer_id = f"orphan-{account}"
    listed = recorded_only(
        gateway.ledger, transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial
    )
    report = await sweep(gateway.ledger, gateway.desk, gateway.client, grace_s=0)
    assert transfer_id in report.started
    assert (await final_state(transfers, transfer_id)).state == transfer_pb2.TRANSFER_STATE_ANCHORED
    again = await sweep(gateway.ledger, gateway.desk, gateway.client, grace_s=0)
    assert transfer_id not in again.started + again.flagged
    # A pass that listed it while open and asks Temporal after the saga finished it: nothing to flag,
    # and the sweep goes on (it used to die on the refused move, leaving later orphans unstarted).
    late = SweepReport()
    await _mend(listed, gateway.ledger, gateway.desk, gateway.client, late)
    assert late.flagged == [] and late.started == []
    assert (await final_state(transfers, transfer_id)).state == transfer_pb2.TRANSFER_STATE_ANCHORED


async def test_a_transfer_past_its_lock_with_no_saga_is_flagged_not_restarted(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    serial = ccer_serial(1, 12)
    transfer_id = f"orphan-locked-{account}"
    recorded_only(gateway.ledger, transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED):
        gateway.ledger.advance(transfer_id, state, datetime.now(UTC))
    young = await sweep(gateway.ledger, gateway.desk, gateway.client, grace_s=3600)
    assert transfer_id not in young.flagged  # within the grace a submit may still be starting it
    report = await sweep(gateway.ledger, gateway.desk, gateway.client, grace_s=0)
    assert transfer_id in report.flagged
    found = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert found.state == transfer_pb2.TRANSFER_STATE_NEEDS_INTERVENTION
    assert "SAGA-ENDED" in [r.code for r in found.reasons]
    # An operator records it undone: with no saga to hand the decision to, one runs for it.
    resolved = await transfers.ResolveTransfer(
        transfer_pb2.ResolveTransferRequest(
            transfer_id=transfer_id,
            resolution=transfer_pb2.RESOLUTION_RECORD_COMPENSATED,
            reason="nothing was locked at the registry",
            operator="ops-bob",
        )
    )
    done = resolved.transfer
    assert done.state == transfer_pb2.TRANSFER_STATE_COMPENSATED
