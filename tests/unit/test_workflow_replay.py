"""Recorded histories of every workflow the worker runs replay on the current code.

A workflow change that would break runs already going fails here, and so does a
workflow the worker registers without a recorded history. docs/histories.md says how
to record them (`RECORD_HISTORIES=1 pytest ...` on the e2e tests that drive each workflow).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def registered_type(workflow_class: type) -> str:
    """The workflow type name the worker registers a class under (its @workflow.defn name)."""
    name = workflow._Definition.must_from_class(workflow_class).name
    assert name, f"{workflow_class.__name__} is a dynamic workflow: no type to record"
    return name


def recorded_type(path: Path) -> str:
    """The workflow type a recorded history is of, from its first event."""
    first = json.loads(path.read_text())["events"][0]
    return str(first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"])


def test_there_are_recorded_histories() -> None:
    assert HISTORIES, "no recorded workflow histories under tests/histories"


def test_every_workflow_the_worker_runs_has_a_recorded_history() -> None:
    """A workflow without one could change incompatibly and nothing here would notice."""
    registered = {registered_type(w) for w in WORKFLOWS}
    recorded = {recorded_type(p) for p in HISTORIES}
    missing = sorted(registered - recorded)
    assert not missing, f"no recorded history of {missing}: record one (docs/histories.md)"
    unknown = sorted(recorded - registered)
    assert not unknown, f"histories of workflows the worker no longer runs: {unknown}"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
