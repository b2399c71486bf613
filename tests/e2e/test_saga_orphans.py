"""No transfer is left recorded with no saga to move it: the sweep starts it, or flags it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio import client as temporal_client

from adapters import catalogue
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from gateway.orphan_sweep import SweepReport, _mend, sweep
from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.client import SETTLED, final_state, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.harness import until
from workflows.inputs import transfer_workflow_id

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


class _CountedDescribes(temporal_client.Interceptor):
    """Notes the workflow id of every describe the client makes."""

    def __init__(self) -> None:
        self.described: list[str] = []

    def intercept_client(
        self, next: temporal_client.OutboundInterceptor
    ) -> temporal_client.OutboundInterceptor:
        described = self.described

        class Counting(temporal_client.OutboundInterceptor):
            async def describe_workflow(
                self, input: temporal_client.DescribeWorkflowInput
            ) -> temporal_client.WorkflowExecutionDescription:
                described.append(input.id)
                return await super().describe_workflow(input)

        return Counting(next)


async def test_the_sweep_asks_temporal_about_no_saga_it_lists_running(
    gateway, transfers, sandbox: SandboxAdmin, account
):
    """A saga waiting days for a holder's evidence stays open: the sweep finds it in one listing."""
    serial = "9660-470000000-470000009-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"  # no other test's
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"orphan-waiting-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
    )
    workflow_id = transfer_workflow_id(transfer_id)
    listing = f"WorkflowId = '{workflow_id}' AND ExecutionStatus = 'Running'"

    async def listed() -> bool:
        return bool([w async for w in gateway.client.list_workflows(listing)])

    await until(listed, 30, "the saga listed running")  # Temporal's list lags its writes a moment
    counting = _CountedDescribes()
    client = temporal_client.Client(**{**gateway.client.config(), "interceptors": [counting]})
    report = await sweep(gateway.ledger, gateway.desk, client, grace_s=0)
    assert workflow_id not in counting.described
    assert transfer_id not in report.started + report.flagged
    # The holder immobilises the units after all: the saga was left running, and settles.
    await sandbox.holder_acts(
        "verra", "immobilise", account, serial, f"Immobilised for gateway transfer {transfer_id}"
    )
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    assert (await final_state(transfers, transfer_id)).state in SETTLED
