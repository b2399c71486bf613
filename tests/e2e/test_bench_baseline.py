"""The benchmark's transfer-shaped baseline gives Temporal the history a real transfer gives it.

If the saga gains a step, an update or a patch, this fails until the baseline follows,
so `bench/transfers.py` keeps telling the server's work for a transfer apart from the gateway's.
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Worker

from bench.bare_workflow import ShapedWorkflow, echo_step
from bench.transfers import shape_of
from gateway.runtime import EmbeddedGateway
from tests.e2e.client import SETTLED, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial
from tests.e2e.test_transfers import request
from workflows.inputs import transfer_workflow_id
from workflows.search_attributes import TRANSFER_STATE

pytestmark = pytest.mark.e2e


def _kinds(history: WorkflowHistory) -> list[str]:
    return [EventType.Name(event.event_type) for event in history.events]


async def test_the_shaped_baseline_repeats_a_settled_transfers_history(
    gateway: EmbeddedGateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(5001, 5010)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    submitted = (await transfers.SubmitTransfer(request(account, f"{account}-dest", serial))).transfer
    assert (await final_state(transfers, submitted.transfer_id)).state in SETTLED
    client: Client | None = gateway.client
    assert client is not None
    like = await shape_of(client, submitted.transfer_id)
    queue = f"shaped-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[ShapedWorkflow], activities=[echo_step]):
        handle = await client.start_workflow(
            ShapedWorkflow.run,
            like.shape,
            id=queue,
            task_queue=queue,
            search_attributes=like.search_attributes,
            memo=like.memo,
        )
        await handle.result()
    real = await client.get_workflow_handle(transfer_workflow_id(submitted.transfer_id)).fetch_history()
    shaped = await handle.fetch_history()
    assert _kinds(shaped) == _kinds(real)
    assert len(like.shape.step_sizes) == 6 and min(like.shape.step_sizes) > 500  # a step carries its transfer
    described = await handle.describe()
    started = real.events[0].workflow_execution_started_event_attributes
    assert set(await described.memo()) == set(started.memo.fields)
    assert like.search_attributes.get(TRANSFER_STATE) == "received"
    assert abs(shaped.events[0].ByteSize() - real.events[0].ByteSize()) < 200
