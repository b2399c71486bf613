"""TransferWorkflow: one transfer as a saga.

check → reserve → lock at source → credit destination → finalise at source → settle.
Each compensation is registered before its step runs (a step whose reply was lost
may still have happened) and undone in reverse. Anything that fails before the
source lock is a rejection; anything after it is compensated; a compensation that
cannot complete leaves the transfer NEEDS_INTERVENTION, never half-moved silently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.transfers import Reason, TransferState
    from workflows.activities import TransferActivities
    from workflows.inputs import REJECTED_ERROR, StepInput, TransferInput, TransferOutcome

Step = Callable[[TransferActivities, StepInput], Awaitable[None]]


def _reasons_of(err: BaseException) -> list[Reason]:
    """The business reasons an activity failure carries, or one reason describing the failure."""
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError):
        if cause.type == REJECTED_ERROR and cause.details:
            return [Reason.model_validate(r) for r in cause.details[0]]
        return [Reason(code=cause.type or "STEP-FAILED", message=cause.message)]
    return [Reason(code="STEP-FAILED", message=str(cause or err))]


@workflow.defn
class TransferWorkflow:
    def __init__(self) -> None:
        self._policy: RetryPolicy | None = None
        self._timeout = timedelta(seconds=30)

    @workflow.run
    async def run(self, params: TransferInput) -> TransferOutcome:
        p = params.policy
        self._timeout = timedelta(seconds=p.timeout_s)
        self._policy = RetryPolicy(
            initial_interval=timedelta(seconds=p.initial_interval_s),
            maximum_interval=timedelta(seconds=p.max_interval_s),
            maximum_attempts=p.attempts,
            non_retryable_error_types=[REJECTED_ERROR],
        )
        step = StepInput(transfer=params.transfer)
        undo: list[Step] = []
        source_locked = False
        try:
            await self._run(TransferActivities.check, step)
            undo.append(TransferActivities.release_reservation)
            await self._run(TransferActivities.reserve, step)
            undo.append(TransferActivities.unlock_source)
            await self._run(TransferActivities.lock_source, step)
            source_locked = True
            undo.append(TransferActivities.uncredit_destination)
            await self._run(TransferActivities.credit_destination, step)
            await self._run(TransferActivities.finalise_source, step)
        except ActivityError as err:
            reasons = _reasons_of(err)
            return await self._unwind(step, undo, reasons, source_locked)
        await self._run(TransferActivities.settle, step, until_done=True)
        return TransferOutcome(transfer_id=step.transfer.transfer_id, state=TransferState.SETTLED)

    async def _unwind(
        self, step: StepInput, undo: list[Step], reasons: list[Reason], source_locked: bool
    ) -> TransferOutcome:
        """Undo what may have happened, newest first; record the final state with every reason."""
        tid = step.transfer.transfer_id
        try:
            for compensation in reversed(undo):
                await self._run(compensation, step, until_done=True)
        except ActivityError as err:
            stuck = reasons + _reasons_of(err)
            flagged = StepInput(transfer=step.transfer, reasons=stuck)
            await self._run(TransferActivities.mark_needs_intervention, flagged, until_done=True)
            return TransferOutcome(transfer_id=tid, state=TransferState.NEEDS_INTERVENTION, reasons=stuck)
        final: Step = (
            TransferActivities.mark_compensated if source_locked else TransferActivities.mark_rejected
        )
        await self._run(final, StepInput(transfer=step.transfer, reasons=reasons), until_done=True)
        state = TransferState.COMPENSATED if source_locked else TransferState.REJECTED
        return TransferOutcome(transfer_id=tid, state=state, reasons=reasons)

    async def _run(self, activity: Step, arg: StepInput, *, until_done: bool = False) -> Any:
        """Run one step with the saga's retry policy.

        Compensations and bookkeeping retry until they succeed (an unavailable registry
        comes back); only a refusal stops them, and that needs a person.
        """
        policy = self._policy
        if until_done and policy is not None:
            policy = RetryPolicy(
                initial_interval=policy.initial_interval,
                maximum_interval=policy.maximum_interval,
                maximum_attempts=0,
                non_retryable_error_types=[REJECTED_ERROR],
            )
        return await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=self._timeout,
            retry_policy=policy,
        )
