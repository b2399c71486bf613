"""ReconciliationWorkflow: every registry's holdings against the ledger, on a schedule or on demand.

The run holds every tracked serial while it reads the registries (transfers
about to reserve wait: the ITL's delayed state), compares, narrows the hold to
the blocks behind the totals that disagree while it gathers their audit trail
and the ledger's own checks, then stores the report and lets go. The heavy work
is one heartbeating activity, so no holdings pass through Temporal's history; a
crash re-runs it from the snapshot. A run that cannot finish (a registry that
stays unreadable) ends FAILED and lets go of its serials all the same.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.reconciliation import ResultState
    from workflows.reconciliation_activities import ReconcileInput, ReconcileOutcome, ReconciliationActivities

RECONCILIATION_SCHEDULE_ID = "reconciliation"
_BRIEF = timedelta(seconds=30)
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10))


@workflow.defn
class ReconciliationWorkflow:
    @workflow.run
    async def run(self, params: ReconcileInput) -> ReconcileOutcome:
        run = params.model_copy(
            update={"reconciliation_id": params.reconciliation_id or workflow.info().workflow_id}
        )
        await workflow.execute_activity_method(
            ReconciliationActivities.begin, run, start_to_close_timeout=_BRIEF, retry_policy=_RETRY
        )
        try:
            return await workflow.execute_activity_method(
                ReconciliationActivities.reconcile,
                run,
                start_to_close_timeout=timedelta(seconds=run.run_timeout_s),
                heartbeat_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    maximum_attempts=run.attempts,
                ),
            )
        except ActivityError as err:
            why = str(err.cause) if err.cause is not None else "the run could not finish"
            await workflow.execute_activity_method(
                ReconciliationActivities.fail,
                args=[run, why],
                start_to_close_timeout=_BRIEF,
                retry_policy=_RETRY,
            )
            return ReconcileOutcome(reconciliation_id=run.reconciliation_id, state=ResultState.FAILED)


WORKFLOWS: list[type] = [ReconciliationWorkflow]
