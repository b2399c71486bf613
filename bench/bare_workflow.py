"""The baselines for bench/transfers.py: workflows of N activities and nothing else.

`BareWorkflow` is the target's baseline: no-op activities with tiny inputs. `ShapedWorkflow`
gives the Temporal server a history of the gateway's shape (the start's search attributes
and memo, inputs of the sizes a transfer's saga records, a patch marker, a search-attribute
update after the same steps) with no gateway code, so the server's extra work for a
transfer is told apart from the gateway's own. Kept in their own module so Temporal's
workflow sandbox imports nothing but temporalio and the search-attribute keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows.search_attributes import TRANSFER_STATE

SHAPED_PATCH = "bench-shaped"


@activity.defn
async def no_op(step: int) -> int:
    return step


@dataclass
class Shape:
    """What a transfer's history carries, measured from a real one: its input and every step's."""

    padding: str = ""  # brings the workflow's input to the size of a transfer's
    step_sizes: list[int] = field(default_factory=list)  # one per activity: its input's size in bytes
    update_after: list[int] = field(default_factory=list)  # steps followed by a search-attribute update
    patch_after: int | None = None  # the step after which the saga checks its one patch, if it has one


@activity.defn
async def echo_step(padding: str) -> int:
    return len(padding)


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, steps: int) -> None:
        for step in range(steps):
            await workflow.execute_activity(no_op, step, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class ShapedWorkflow:
    @workflow.run
    async def run(self, shape: Shape) -> None:
        for step, size in enumerate(shape.step_sizes):
            await workflow.execute_activity(
                echo_step, "x" * size, start_to_close_timeout=timedelta(seconds=30)
            )
            if step in shape.update_after:
                workflow.upsert_search_attributes([TRANSFER_STATE.value_set(f"step-{step}")])
            if step == shape.patch_after:
                workflow.patched(SHAPED_PATCH)
