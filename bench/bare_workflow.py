"""The baseline for bench/transfers.py: a workflow of N no-op activities and nothing else.

Kept in its own module so Temporal's workflow sandbox imports nothing but temporalio.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def no_op(step: int) -> int:
    return step


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, steps: int) -> None:
        for step in range(steps):
            await workflow.execute_activity(no_op, step, start_to_close_timeout=timedelta(seconds=30))
