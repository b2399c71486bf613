"""The saga's newer paths leave histories that replay: an operator's retry after a refused finalise.

`RECORD_HISTORIES=1` writes them under tests/histories, where
tests/unit/test_workflow_replay.py replays them (beside the older ones) on every run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.client import final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.test_saga_forward_only import FLAGGED, resolve, submit_stuck_at_finalise
from workflows.inputs import transfer_workflow_id
from workflows.transfer import TransferWorkflow

pytestmark = pytest.mark.e2e
HISTORIES = Path(__file__).resolve().parents[1] / "histories"


async def replay_and_keep(history: WorkflowHistory, name: str) -> None:
    replayer = Replayer(workflows=[TransferWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        (HISTORIES / f"{name}.json").write_text(history.to_json())


async def test_an_operator_retry_history_replays(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    transfer_id = await submit_stuck_at_finalise(
        transfers, sandbox, account, ccer_serial(1, 9), until=FLAGGED, refusal_rate=1.0
    )
    await sandbox.clear_all_faults()
    await transfers.ResolveTransfer(resolve(transfer_id, transfer_pb2.RESOLUTION_RETRY))
    assert (await final_state(transfers, transfer_id)).state == transfer_pb2.TRANSFER_STATE_ANCHORED
    handle = gateway.client.get_workflow_handle(transfer_workflow_id(transfer_id))
    await handle.result()
    await replay_and_keep(await handle.fetch_history(), "transfer_operator_retry")
