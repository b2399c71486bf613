"""TransferWorkflow: one transfer as a saga.

check → reserve → lock at source → credit destination → finalise at source → settle.

When the source registry has no write API (Verra, Gold Standard) the lock is the
holder's own immobilisation naming the transfer: the workflow waits for that
evidence durably, polling the registry's public API and woken early by the
`evidence_submitted` signal, until the registry's deadline; then it compensates.
Immobilised units cannot be released by the gateway, so once evidence is in the
credit retries until it lands (a refusal needs a person), and there is no
finalise step: the immobilisation already took the units out of the source.
Each compensation is registered before its step runs (a step whose reply was lost
may still have happened) and undone in reverse. Anything that fails before the
source lock is a rejection; anything after it is compensated; a compensation that
cannot complete leaves the transfer NEEDS_INTERVENTION, never half-moved silently.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from domain.transfers import Reason, TransferState
    from workflows.activities import TransferActivities
    from workflows.inputs import REJECTED_ERROR, EvidenceWait, StepInput, TransferInput, TransferOutcome

Step = Callable[[TransferActivities, StepInput], Awaitable[Any]]


def _reasons_of(err: BaseException) -> list[Reason]:
    """The business reasons an activity failure carries, or one reason describing the failure."""
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError):
        if cause.type == REJECTED_ERROR and cause.details:
            return [Reason.model_validate(r) for r in cause.details[0]]
        return [Reason(code=cause.type or "STEP-FAILED", message=cause.message)]
    return [Reason(code="STEP-FAILED", message=str(cause or err))]


def _deadline_message(params: TransferInput) -> str:
    source = params.transfer.request.source
    return (
        f"no immobilisation naming transfer {params.transfer.transfer_id} appeared in "
        f"{source.registry_id} for account {source.account_id} before the deadline"
    )


def _cancelled() -> Reason:
    return Reason(code="CANCELLED", message="the transfer was cancelled before its units moved; undone")


def _stranded(step: StepInput) -> Reason:
    source = step.transfer.request.source
    return Reason(
        code="EVIDENCE-STRANDED",
        message=f"the units are immobilised in {source.registry_id} and the destination refused them: "
        "the holder must release them there, or the destination must be credited by hand",
    )


@workflow.defn
class TransferWorkflow:
    def __init__(self) -> None:
        self._policy: RetryPolicy | None = None
        self._timeout = timedelta(seconds=30)
        self._compensation_deadline = timedelta(days=1)
        self._evidence_submitted = False
        self._source_locked = False

    @workflow.signal
    def evidence_submitted(self) -> None:
        """The holder says the immobilisation is done: look now rather than at the next poll."""
        self._evidence_submitted = True

    @workflow.run
    async def run(self, params: TransferInput) -> TransferOutcome:
        p = params.policy
        self._timeout = timedelta(seconds=p.timeout_s)
        self._compensation_deadline = timedelta(seconds=p.compensation_deadline_s)
        self._policy = RetryPolicy(
            initial_interval=timedelta(seconds=p.initial_interval_s),
            maximum_interval=timedelta(seconds=p.max_interval_s),
            maximum_attempts=p.attempts,
            non_retryable_error_types=[REJECTED_ERROR],
        )
        step = StepInput(transfer=params.transfer)
        undo: list[Step] = []
        try:
            await self._run(TransferActivities.check, step)
            undo.append(TransferActivities.release_reservation)
            await self._run(TransferActivities.reserve, step)
            if params.evidence is None:
                await self._move_by_api(step, undo)
            elif (unfinished := await self._move_by_evidence(step, params, undo)) is not None:
                return unfinished
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                return await self._cancel(step, undo)
            return await self._unwind(step, undo, _reasons_of(err), self._source_locked)
        except asyncio.CancelledError:
            return await self._cancel(step, undo)
        while True:
            try:
                await self._run(TransferActivities.settle, step, until_done=True)
            except asyncio.CancelledError:
                continue  # the units have moved: a cancellation now can only delay the record
            return TransferOutcome(transfer_id=step.transfer.transfer_id, state=TransferState.SETTLED)

    async def _cancel(self, step: StepInput, undo: list[Step]) -> TransferOutcome:
        """An operator cancelled the transfer before its units moved for good: undo, don't abandon.

        Once checked (there is something to undo) it ends COMPENSATED; before that, REJECTED.
        """
        return await self._unwind(step, undo, [_cancelled()], source_locked=bool(undo) or self._source_locked)

    async def _move_by_api(self, step: StepInput, undo: list[Step]) -> None:
        undo.append(TransferActivities.unlock_source)
        await self._run(TransferActivities.lock_source, step)
        self._source_locked = True
        undo.append(TransferActivities.uncredit_destination)
        await self._run(TransferActivities.credit_destination, step)
        await self._run(TransferActivities.finalise_source, step)

    async def _move_by_evidence(
        self, step: StepInput, params: TransferInput, undo: list[Step]
    ) -> TransferOutcome | None:
        """Wait for the holder's immobilisation, then credit; an outcome when the transfer ends early."""
        assert params.evidence is not None
        if not await self._evidence_arrived(step, params.evidence):
            reasons = [Reason(code="EVIDENCE-DEADLINE", message=_deadline_message(params))]
            return await self._unwind(step, undo, reasons, source_locked=True)
        self._source_locked = True
        try:
            await self._run(TransferActivities.credit_destination, step, until_done=True)
        except ActivityError as err:
            return await self._stuck(step, [*_reasons_of(err), _stranded(step)])
        return None

    async def _evidence_arrived(self, step: StepInput, wait: EvidenceWait) -> bool:
        """Poll for the holder's immobilisation until it is found (True) or the deadline passes."""
        deadline = workflow.now() + timedelta(seconds=wait.deadline_s)
        while True:
            self._evidence_submitted = False
            if await self._run(TransferActivities.find_evidence, step):
                return True
            left = (deadline - workflow.now()).total_seconds()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._evidence_submitted, timeout=min(wait.poll_s, left)
                )

    async def _unwind(
        self, step: StepInput, undo: list[Step], reasons: list[Reason], source_locked: bool
    ) -> TransferOutcome:
        """Undo what may have happened, newest first; record the final state with every reason."""
        tid = step.transfer.transfer_id
        try:
            for compensation in reversed(undo):
                await self._run(compensation, step, until_done=True, deadline=self._compensation_deadline)
        except ActivityError as err:
            return await self._stuck(step, reasons + _reasons_of(err))
        final: Step = (
            TransferActivities.mark_compensated if source_locked else TransferActivities.mark_rejected
        )
        await self._run(final, StepInput(transfer=step.transfer, reasons=reasons), until_done=True)
        state = TransferState.COMPENSATED if source_locked else TransferState.REJECTED
        return TransferOutcome(transfer_id=tid, state=state, reasons=reasons)

    async def _stuck(self, step: StepInput, reasons: list[Reason]) -> TransferOutcome:
        """Leave the transfer NEEDS_INTERVENTION with every reason: a person must finish it."""
        flagged = StepInput(transfer=step.transfer, reasons=reasons)
        await self._run(TransferActivities.mark_needs_intervention, flagged, until_done=True)
        return TransferOutcome(
            transfer_id=step.transfer.transfer_id, state=TransferState.NEEDS_INTERVENTION, reasons=reasons
        )

    async def _run(
        self, activity: Step, arg: StepInput, *, until_done: bool = False, deadline: timedelta | None = None
    ) -> Any:
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
            schedule_to_close_timeout=deadline,
            retry_policy=policy,
        )
