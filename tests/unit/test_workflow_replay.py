"""Recorded TransferWorkflow and ReconciliationWorkflow histories replay on the current code.

A workflow change that would break runs already going fails here. Record new
histories with `RECORD_HISTORIES=1 pytest tests/e2e/test_restart.py tests/e2e/test_reconciliation.py`.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.reconciliation import ReconciliationWorkflow
from workflows.transfer import TransferWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_there_are_recorded_histories():
    assert HISTORIES, "no recorded workflow histories under tests/histories"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=[TransferWorkflow, ReconciliationWorkflow], data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(history)
