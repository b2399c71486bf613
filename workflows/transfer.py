"""TransferWorkflow: one transfer as a saga.

check → reserve → lock at source → credit destination → finalise at source → settle.

Until the destination is credited every step can be undone, and a failure (or an
operator's cancel) runs the compensations newest first. From the credit on the
saga only goes forward: finalise and settle retry until done, shielded from
cancellation, because reversing a credit after the source let go destroys units.
A refusal on that side leaves the transfer NEEDS_INTERVENTION with its units
accounted for, and the saga waits for an operator's decision (`resolve`): retry
the step, or record how it was finished or undone by hand.

When the source registry has no write API (Verra, Gold Standard) the lock is the
holder's own immobilisation naming the transfer: the workflow waits for that
evidence durably, polling the registry's public API and woken early by the
`evidence_submitted` signal, until the registry's deadline. A read API that is out
or answers oddly is looked at again later, never taken as a refusal. A long wait
continues as new, so no history limit ends it. At the deadline the reservation is
released (COMPENSATED), and the saga watches on for a while: evidence that shows up
late flags the transfer, since immobilised units that nothing credits are stranded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from domain.transfers import Reason, TransferState
    from workflows.activities import TransferActivities
    from workflows.inputs import (
        NOT_WAITING_ERROR,
        REJECTED_ERROR,
        EvidenceResume,
        OperatorDecision,
        Resolution,
        StepInput,
        TransferInput,
        TransferOutcome,
        WaitPhase,
    )
    from workflows.search_attributes import TRANSFER_STATE, state_update

Step = Callable[[TransferActivities, StepInput], Awaitable[Any]]
REVIEW_HOLD_PATCH = "reconciliation-review-hold"
REVIEW_POLL = timedelta(seconds=1)
_S = TransferState
# The ledger state each step leaves the transfer in (resume_at: the one it names), for the Web UI.
_STATE_AFTER = {
    "check": _S.CHECKED,
    "lock_source": _S.SOURCE_LOCKED,
    "credit_destination": _S.DESTINATION_CREDITED,
    "settle": _S.SETTLED,
    "mark_rejected": _S.REJECTED,
    "mark_compensated": _S.COMPENSATED,
    "mark_needs_intervention": _S.NEEDS_INTERVENTION,
}


def reasons_of(err: BaseException) -> list[Reason]:
    """The business reasons an activity failure carries, or one reason describing the failure."""
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError):
        if cause.type == REJECTED_ERROR and cause.details:
            return [Reason.model_validate(r) for r in cause.details[0]]
        return [Reason(code=cause.type or "STEP-FAILED", message=cause.message)]
    return [Reason(code="STEP-FAILED", message=str(cause or err))]


def _cancelled_activity(err: ActivityError) -> bool:
    return isinstance(err.cause, CancelledError)


def _deadline_message(step: StepInput) -> str:
    source = step.transfer.request.source
    return (
        f"no immobilisation naming transfer {step.transfer.transfer_id} appeared in "
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


def _late(step: StepInput) -> Reason:
    source = step.transfer.request.source
    return Reason(
        code="EVIDENCE-LATE",
        message=f"the holder immobilised the units in {source.registry_id} for this transfer after its "
        "deadline: retry to credit the destination, or record them released by the holder",
    )


def _saga_ended() -> Reason:
    return Reason(
        code="SAGA-ENDED", message="the saga that flagged this transfer has ended: resolve it by hand"
    )


def _forward_refused(step: StepInput) -> Reason:
    return Reason(
        code="FORWARD-REFUSED",
        message=f"{step.transfer.request.destination.registry_id} holds the units and the transfer cannot "
        "finish: nothing was reversed; retry the step, or record how it was resolved",
    )


@workflow.defn
class TransferWorkflow:
    def __init__(self) -> None:
        self._policy: RetryPolicy | None = None
        self._timeout = timedelta(seconds=30)
        self._compensation_deadline = timedelta(days=1)
        self._evidence_submitted = False
        self._source_locked = False
        self._awaiting_operator = False
        self._decision: OperatorDecision | None = None
        self._decisions_recorded = 0

    @workflow.signal
    def evidence_submitted(self) -> None:
        """The holder says the immobilisation is done: look now rather than at the next poll."""
        self._evidence_submitted = True

    @workflow.update
    async def resolve(self, decision: OperatorDecision) -> None:
        """An operator's decision on a transfer that needs intervention; returns once it is recorded."""
        self._decision = decision
        self._awaiting_operator = False
        recorded = self._decisions_recorded + 1
        await workflow.wait_condition(lambda: self._decisions_recorded >= recorded)

    @resolve.validator
    def _only_when_asked(self, decision: OperatorDecision) -> None:
        if not self._awaiting_operator:
            raise ApplicationError("the transfer is not waiting for an operator", type=NOT_WAITING_ERROR)

    @workflow.run
    async def run(self, params: TransferInput) -> TransferOutcome:
        outcome = await self._saga(params)
        await workflow.wait_condition(workflow.all_handlers_finished)  # an operator's call gets its answer
        return outcome

    async def _saga(self, params: TransferInput) -> TransferOutcome:
        self._configure(params)
        step = StepInput(transfer=params.transfer)
        # A continued evidence wait already holds its reservation.
        undo: list[Step] = [TransferActivities.release_reservation] if params.resume else []
        if params.decision is not None:
            return await self._record(step, params.decision, _saga_ended())
        try:
            if params.resume is not None:
                if params.resume.phase is WaitPhase.LATE_EVIDENCE:
                    return await self._watch_late(step, params, params.resume.until)
                return await self._move_by_evidence(step, params, undo, params.resume.until)
            claim = await self._run(TransferActivities.check, step)
            undo.append(TransferActivities.release_reservation)
            await reserve_after_review(self._run, StepInput(transfer=step.transfer, offset_claim=claim))
            if params.evidence is None:
                await self._lock_and_credit(step, undo)
                return await self._forward(step, [TransferActivities.finalise_source], _forward_refused(step))
            until = workflow.now() + timedelta(seconds=params.evidence.deadline_s)
            return await self._move_by_evidence(step, params, undo, until)
        except ActivityError as err:
            if not _cancelled_activity(err):
                return await self._unwind(step, undo, reasons_of(err), self._source_locked)
        except asyncio.CancelledError:
            pass
        return await self._cancel(step, params, undo)

    def _configure(self, params: TransferInput) -> None:
        p = params.policy
        self._timeout = timedelta(seconds=p.timeout_s)
        self._compensation_deadline = timedelta(seconds=p.compensation_deadline_s)
        self._policy = RetryPolicy(
            initial_interval=timedelta(seconds=p.initial_interval_s),
            maximum_interval=timedelta(seconds=p.max_interval_s),
            maximum_attempts=p.attempts,
            non_retryable_error_types=[REJECTED_ERROR],
        )

    async def _cancel(self, step: StepInput, params: TransferInput, undo: list[Step]) -> TransferOutcome:
        """An operator cancelled the transfer before its units moved for good: undo, don't abandon.

        Once checked (there is something to undo) it ends COMPENSATED; before that, REJECTED.
        A cancelled evidence wait still watches for the holder's late immobilisation.
        """
        checked = bool(undo) or self._source_locked
        outcome = await self._unwind(step, undo, [_cancelled()], source_locked=checked)
        wait = params.evidence
        if wait is None or not checked or wait.late_watch_s <= 0 or outcome.state is not _S.COMPENSATED:
            return outcome
        return await self._watch_late(
            step, params, workflow.now() + timedelta(seconds=wait.late_watch_s), outcome
        )

    async def _lock_and_credit(self, step: StepInput, undo: list[Step]) -> None:
        undo.append(TransferActivities.unlock_source)
        await self._run(TransferActivities.lock_source, step)
        self._source_locked = True
        undo.append(TransferActivities.uncredit_destination)
        await self._run(TransferActivities.credit_destination, step)

    async def _forward(self, step: StepInput, steps: list[Step], refused: Reason) -> TransferOutcome:
        """Past the point of no return: each step, then settle, retried until done and never cancelled.

        A refusal flags the transfer (with `refused` saying what it means) and waits
        for an operator; a retry puts the transfer back where the step starts from.
        """
        for activity in [*steps, TransferActivities.settle]:
            while True:
                try:
                    await self._shielded(activity, step)
                    break
                except ActivityError as err:
                    decision = await self._intervene(step, [*reasons_of(err), refused])
                    if decision.resolution is not Resolution.RETRY:
                        return await self._record(step, decision, refused)
                    before = _S.SOURCE_LOCKED if activity is TransferActivities.credit_destination else None
                    await self._resume(step, before or _S.DESTINATION_CREDITED, decision)
        return TransferOutcome(transfer_id=step.transfer.transfer_id, state=_S.SETTLED)

    async def _move_by_evidence(
        self, step: StepInput, params: TransferInput, undo: list[Step], until: datetime
    ) -> TransferOutcome:
        """Wait for the holder's immobilisation, then credit and settle; compensate at the deadline."""
        assert params.evidence is not None
        if not await self._evidence_arrived(step, params, WaitPhase.EVIDENCE, until):
            reasons = [Reason(code="EVIDENCE-DEADLINE", message=_deadline_message(step))]
            outcome = await self._unwind(step, undo, reasons, source_locked=True)
            if params.evidence.late_watch_s <= 0 or outcome.state is not _S.COMPENSATED:
                return outcome
            late_until = workflow.now() + timedelta(seconds=params.evidence.late_watch_s)
            return await self._watch_late(step, params, late_until, outcome)
        self._source_locked = True
        # The holder's units left the source for this transfer: the gateway cannot release them.
        return await self._forward(step, [TransferActivities.credit_destination], _stranded(step))

    async def _watch_late(
        self,
        step: StepInput,
        params: TransferInput,
        until: datetime,
        outcome: TransferOutcome | None = None,
    ) -> TransferOutcome:
        """After the deadline: flag evidence that still appears, and let an operator decide."""
        if not await self._evidence_arrived(step, params, WaitPhase.LATE_EVIDENCE, until):
            return outcome or TransferOutcome(transfer_id=step.transfer.transfer_id, state=_S.COMPENSATED)
        decision = await self._intervene(step, [_late(step)])
        while True:
            if decision.resolution is Resolution.RECORD_COMPENSATED:
                return await self._record(step, decision, _late(step))
            try:  # crediting the immobilised units, by the saga or by hand, takes the serials again
                await self._shielded(TransferActivities.reserve, step)
                break
            except ActivityError as err:
                decision = await self._intervene(step, [*reasons_of(err), _late(step)])
        if decision.resolution is Resolution.RECORD_SETTLED:
            return await self._record(step, decision, _late(step))
        await self._resume(step, _S.SOURCE_LOCKED, decision)
        return await self._forward(step, [TransferActivities.credit_destination], _stranded(step))

    async def _evidence_arrived(
        self, step: StepInput, params: TransferInput, phase: WaitPhase, until: datetime
    ) -> bool:
        """Look for the holder's immobilisation until found (True) or `until` passes (False).

        After `looks_per_run` looks (or when Temporal suggests it) the run continues
        as new with the same absolute deadline.
        """
        wait = params.evidence
        assert wait is not None
        late = phase is WaitPhase.LATE_EVIDENCE
        poll_s = wait.late_poll_s if late else wait.poll_s
        look = StepInput(transfer=step.transfer, state=_S.COMPENSATED) if late else step
        looks = 0
        while True:
            self._evidence_submitted = False
            if await self._look(look):
                return True
            looks += 1
            left = (until - workflow.now()).total_seconds()
            if left <= 0:
                return False
            if looks >= wait.looks_per_run or workflow.info().is_continue_as_new_suggested():
                resume = EvidenceResume(phase=phase, until=until)
                workflow.continue_as_new(params.model_copy(update={"resume": resume}))
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._evidence_submitted, timeout=min(poll_s, left))

    async def _look(self, step: StepInput) -> bool:
        """One look at the public API; an outage or an odd reply means "not yet", only a refusal ends it."""
        try:
            return bool(await self._run(TransferActivities.find_evidence, step))
        except ActivityError as err:
            if _cancelled_activity(err) or _is_refusal(err):
                raise
            workflow.logger.info("evidence for %s not readable yet: %s", step.transfer.transfer_id, err.cause)
            return False

    async def _intervene(self, step: StepInput, reasons: list[Reason]) -> OperatorDecision:
        """Flag the transfer NEEDS_INTERVENTION with every reason and wait for an operator's decision."""
        await self._shielded(TransferActivities.mark_needs_intervention, self._with(step, reasons))
        self._decision = None
        self._awaiting_operator = True
        while True:
            try:
                await workflow.wait_condition(lambda: self._decision is not None)
                break
            except asyncio.CancelledError:
                continue  # the units may be out of the source: only an operator's decision ends this
        decision, self._decision = self._decision, None
        assert decision is not None
        return decision

    async def _resume(self, step: StepInput, state: TransferState, decision: OperatorDecision) -> None:
        """Record the operator's decision in the ledger, standing the transfer at `state`."""
        resumed = StepInput(transfer=step.transfer, reasons=[decision.as_reason()], state=state)
        await self._shielded(TransferActivities.resume_at, resumed)
        self._decisions_recorded += 1

    async def _record(self, step: StepInput, decision: OperatorDecision, refused: Reason) -> TransferOutcome:
        """An operator finished (RECORD_SETTLED) or undid (RECORD_COMPENSATED) the transfer by hand."""
        if decision.resolution is Resolution.RECORD_SETTLED:
            await self._resume(step, _S.DESTINATION_CREDITED, decision)
            return await self._forward(step, [], refused)
        reasons = [decision.as_reason()]
        await self._shielded(TransferActivities.mark_compensated, self._with(step, reasons))
        self._decisions_recorded += 1
        return TransferOutcome(transfer_id=step.transfer.transfer_id, state=_S.COMPENSATED, reasons=reasons)

    async def _unwind(
        self, step: StepInput, undo: list[Step], reasons: list[Reason], source_locked: bool
    ) -> TransferOutcome:
        """Undo what may have happened, newest first; record the final state with every reason.

        A compensation refused for a whole day flags the transfer; an operator then
        retries the compensations or records how it was resolved by hand.
        """
        tid = step.transfer.transfer_id
        while True:
            try:
                for compensation in reversed(undo):
                    await self._shielded(compensation, step, deadline=self._compensation_deadline)
                break
            except ActivityError as err:
                refused = Reason(code="COMPENSATION-REFUSED", message="an undo step could not complete")
                decision = await self._intervene(step, [*reasons, *reasons_of(err)])
                if decision.resolution is not Resolution.RETRY:
                    return await self._record(step, decision, refused)
                await self._resume(step, _S.NEEDS_INTERVENTION, decision)
                source_locked = True  # flagged: only COMPENSATED can follow
        final: Step = (
            TransferActivities.mark_compensated if source_locked else TransferActivities.mark_rejected
        )
        await self._shielded(final, self._with(step, reasons))
        state = _S.COMPENSATED if source_locked else _S.REJECTED
        return TransferOutcome(transfer_id=tid, state=state, reasons=reasons)

    @staticmethod
    def _with(step: StepInput, reasons: list[Reason]) -> StepInput:
        return StepInput(transfer=step.transfer, reasons=reasons)

    async def _shielded(self, activity: Step, arg: StepInput, deadline: timedelta | None = None) -> Any:
        """Run a step until done (only a refusal stops it); a cancellation meanwhile cannot interrupt it."""
        task = asyncio.ensure_future(self._run(activity, arg, until_done=True, deadline=deadline))
        while True:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                if task.done():
                    return task.result()
                workflow.logger.info(
                    "%s is past its point of no return: cancel ignored", workflow.info().workflow_id
                )

    async def _run(
        self, activity: Step, arg: StepInput, *, until_done: bool = False, deadline: timedelta | None = None
    ) -> Any:
        """Run one step with the saga's retry policy.

        Compensations and forward steps retry until they succeed (an unavailable
        registry comes back); only a refusal stops them, and that needs a person.
        """
        policy = self._policy
        if until_done and policy is not None:
            policy = RetryPolicy(
                initial_interval=policy.initial_interval,
                maximum_interval=policy.maximum_interval,
                maximum_attempts=0,
                non_retryable_error_types=[REJECTED_ERROR],
            )
        result = await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=self._timeout,
            schedule_to_close_timeout=deadline,
            retry_policy=policy,
        )
        self._publish(activity, arg, result)
        return result

    def _publish(self, activity: Step, arg: StepInput, result: Any) -> None:
        """Show the transfer's new state to Temporal's search, for sagas started with the attributes."""
        if TRANSFER_STATE not in workflow.info().typed_search_attributes:
            return  # started without them (older sagas, bare test servers): nothing to keep up to date
        name = getattr(activity, "__name__", "")
        state = arg.state if name == "resume_at" else _STATE_AFTER.get(name)
        if name == "find_evidence" and result and arg.state is None:
            state = _S.SOURCE_LOCKED
        if state is not None:
            workflow.upsert_search_attributes(state_update(state))


async def reserve_after_review(run: Callable[[Step, StepInput], Awaitable[Any]], step: StepInput) -> None:
    """Reserve the serials; while a reconciliation reviews them, wait (the ITL's delayed state) and try
    again. Patched in, so sagas recorded before reconciliation replay as they ran."""
    if not workflow.patched(REVIEW_HOLD_PATCH):
        await run(TransferActivities.reserve, step)
        return
    waiting = step.model_copy(update={"wait_for_review": True})
    while not await run(TransferActivities.reserve, waiting):
        await workflow.sleep(REVIEW_POLL)


def _is_refusal(err: ActivityError) -> bool:
    cause = err.cause
    return isinstance(cause, ApplicationError) and cause.type == REJECTED_ERROR
