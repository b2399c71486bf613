"""Each saga path leaves a history that replays on the current workflow code.

The settled path is recorded by test_restart; this records a compensation and an
evidence-based settlement. `RECORD_HISTORIES=1` writes them under tests/histories,
where tests/unit/test_workflow_replay.py replays them on every run.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.client import transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from workflows.inputs import transfer_workflow_id
from workflows.transfer import TransferWorkflow

pytestmark = pytest.mark.e2e
HISTORIES = Path(__file__).resolve().parents[1] / "histories"
_n = itertools.count(1)


async def _replay_and_keep(gateway: EmbeddedGateway, transfer_id: str, name: str) -> None:
    assert gateway.client is not None
    handle = gateway.client.get_workflow_handle(transfer_workflow_id(transfer_id))
    await handle.result()
    history = await handle.fetch_history()
    replayer = Replayer(workflows=[TransferWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())


async def test_a_compensated_history_replays(gateway, transfers, sandbox: SandboxAdmin, account):
    serial = f"CCER-CN-{760_000 + next(_n)}-2024-1-1-50"
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    await sandbox.fail("cn-sz-ets", error_rate=1.0, operations=["credit"])
    transfer_id = f"history-compensated-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    )
    await _replay_and_keep(gateway, transfer_id, "transfer_compensated")
    found = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert found.state == transfer_pb2.TRANSFER_STATE_COMPENSATED


async def test_an_evidence_based_history_replays(gateway, transfers, sandbox: SandboxAdmin, account):
    first = 800_000_000 + next(_n) * 10_000
    serial = f"9660-{first}-{first + 49}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"history-evidence-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
    )
    await sandbox.holder_acts("verra", "immobilise", account, serial, f"for gateway transfer {transfer_id}")
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    await _replay_and_keep(gateway, transfer_id, "transfer_evidence_settled")
    found = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert found.state in (transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED)
