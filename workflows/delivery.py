"""DeliveryWorkflow: one per subscription, delivering its bank's events in order until acknowledged.

It loops: deliver what is pending (`DeliveryActivities.deliver`, which stops at the
first event the endpoint does not acknowledge), then wait: `poll_s` when all went,
a doubling backoff when one did not. The event that was not acknowledged is the
next one tried, so nothing overtakes it and order holds for every subject. An
event retried for longer than the retry window is marked FAILED and the
subscription waits, its later events behind it, until `ReplayDeliveries` signals
`replay`. Events are written by other parts of the gateway in their own
transactions, so the workflow looks for them; a replay wakes it at once. It
continues as new every `looks_per_run` looks, carrying where it stands.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.delivery_activities import (
        DeliveryActivities,
        DeliveryOutcome,
        DeliveryPolicy,
        DeliveryStep,
        FailedDelivery,
    )
    from workflows.finance_parts import FinanceParts

REPLAY_SIGNAL = "replay"
# The ledger or the worker failing is not the endpoint failing: those retries never end a delivery.
_LEDGER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


class DeliveryResume(BaseModel):
    """Where a subscription's deliveries stand between looks (and across continue-as-new)."""

    backoff_s: float
    failing_offset: int | None = None  # the event not acknowledged yet, and since when
    failing_since: datetime | None = None
    parked: bool = False  # its event FAILED: nothing goes until a replay
    replay_asked: bool = False


class DeliveryPlan(BaseModel):
    subscription_id: str
    policy: DeliveryPolicy
    resume: DeliveryResume | None = None


@workflow.defn
class DeliveryWorkflow:
    def __init__(self) -> None:
        self._replay_asked = False

    @workflow.signal(name=REPLAY_SIGNAL)
    def replay(self) -> None:
        """The ledger moved the subscription's position (ReplayDeliveries): deliver from it now."""
        self._replay_asked = True

    @workflow.run
    async def run(self, plan: DeliveryPlan) -> None:
        policy = plan.policy
        fresh = DeliveryResume(backoff_s=policy.initial_backoff_s)
        state = plan.resume or fresh
        self._replay_asked = self._replay_asked or state.replay_asked
        for _ in range(policy.looks_per_run):
            if workflow.info().is_continue_as_new_suggested():
                break
            if state.parked:
                await workflow.wait_condition(lambda: self._replay_asked)
            if self._replay_asked:
                self._replay_asked = False
                state = fresh
            outcome = await self._deliver(plan)
            state = await self._after(plan, state, outcome)
        await workflow.wait_condition(workflow.all_handlers_finished)
        resume = state.model_copy(update={"replay_asked": self._replay_asked})
        workflow.continue_as_new(plan.model_copy(update={"resume": resume}))

    async def _after(
        self, plan: DeliveryPlan, state: DeliveryResume, outcome: DeliveryOutcome
    ) -> DeliveryResume:
        """Wait as the outcome calls for; where the deliveries stand then."""
        policy = plan.policy
        if outcome.failed_offset is None:
            if not outcome.more:
                await self._pause(policy.poll_s)
            return DeliveryResume(backoff_s=policy.initial_backoff_s)
        now = workflow.now()
        if state.failing_offset != outcome.failed_offset or state.failing_since is None:
            state = DeliveryResume(
                backoff_s=policy.initial_backoff_s, failing_offset=outcome.failed_offset, failing_since=now
            )
        elif (now - state.failing_since).total_seconds() >= policy.retry_window_s:
            failed = FailedDelivery(subscription_id=plan.subscription_id, offset=outcome.failed_offset)
            await workflow.execute_activity_method(
                DeliveryActivities.give_up,
                failed,
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=_LEDGER_RETRY,
            )
            workflow.logger.warning(
                "delivery of offset %d to subscription %s FAILED after %.0f s (%s); it waits for a replay",
                outcome.failed_offset,
                plan.subscription_id,
                policy.retry_window_s,
                outcome.error,
            )
            return state.model_copy(update={"parked": True})
        await self._pause(state.backoff_s)
        return state.model_copy(update={"backoff_s": min(state.backoff_s * 2, policy.max_backoff_s)})

    async def _deliver(self, plan: DeliveryPlan) -> DeliveryOutcome:
        policy = plan.policy
        step = DeliveryStep(
            subscription_id=plan.subscription_id,
            attempt_timeout_s=policy.attempt_timeout_s,
            batch_size=policy.batch_size,
        )
        return await workflow.execute_activity_method(
            DeliveryActivities.deliver,
            step,
            # Each POST has its own timeout; the heartbeat after each shows the batch is moving.
            start_to_close_timeout=timedelta(seconds=policy.batch_size * (policy.attempt_timeout_s + 5) + 30),
            heartbeat_timeout=timedelta(seconds=policy.attempt_timeout_s + 30),
            retry_policy=_LEDGER_RETRY,
        )

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less when a replay is asked for."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._replay_asked, timeout=seconds)


WORKFLOWS: list[type] = [DeliveryWorkflow]


def activities(parts: FinanceParts) -> list[Callable[..., Any]]:
    """The activities this module's workflows run."""
    deliveries = DeliveryActivities(parts.ledger, parts.tls)
    return [deliveries.deliver, deliveries.give_up]
