"""What each workflow step costs and how it ended, and whose step it is on every log line it writes.

`StepMetrics` is a worker interceptor. Around every activity it
- records `carbon_gateway_step_duration_seconds{activity, outcome}`, outcome one of
  `completed`, `rejected` (a business refusal), `waiting` (a registry unavailable, serials
  under review: retried), `failed` (any other error: retried) or `cancelled`;
- counts `carbon_gateway_registry_errors_total{registry, kind}`, kind `unavailable` or
  `refused`, for the domain's registry errors an adapter raised in the step (found behind the
  benign error `LogWaits` makes of a wait, and behind a refusal wrapped as a rejection);
- makes the step current for logging (`current_log_fields`): the transfer id, the workflow id
  and the activity, so a plain `logging.getLogger(__name__)` line inside an activity carries
  them (the gateway's log formatter reads them; so may any other).

The metric objects live on the `CollectorRegistry` the caller passes, one per gateway, so
several gateways in one process never clash over a metric name.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from adapters import catalogue
from domain.errors import RegistryRefused, RegistryUnavailable
from workflows.inputs import REJECTED_ERROR, TRANSFER_WORKFLOW_PREFIX
from workflows.waits import WAITS

# Registry steps take seconds at most (step_timeout_s); the long tail shows a registry in trouble.
STEP_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# Which end of the transfer a TransferActivities step talks to (workflows.worker.transfer_activities).
_SOURCE_STEPS = frozenset({"check", "lock_source", "find_evidence", "unlock_source", "finalise_source"})
_DESTINATION_STEPS = frozenset({"credit_destination", "uncredit_destination"})
UNKNOWN_REGISTRY = "unknown"

RegistryError = RegistryUnavailable | RegistryRefused


@dataclass(frozen=True)
class LogFields:
    """Who a log line is about, when known: the transfer, the workflow, the step."""

    transfer_id: str | None = None
    workflow_id: str | None = None
    activity: str | None = None


NO_FIELDS = LogFields()  # frozen: a safe default for every context
_LOG_FIELDS: ContextVar[LogFields] = ContextVar("carbon_gateway_log_fields", default=NO_FIELDS)


def current_log_fields() -> LogFields:
    return _LOG_FIELDS.get()


@contextlib.contextmanager
def logging_for(fields: LogFields) -> Iterator[None]:
    """Make `fields` current for every log line written inside the block (threads started with
    `asyncio.to_thread` or Temporal's activity executor included: both copy the context)."""
    token = _LOG_FIELDS.set(fields)
    try:
        yield
    finally:
        # A generator closed from another context cannot reset; its context ends with it anyway.
        with contextlib.suppress(ValueError):
            _LOG_FIELDS.reset(token)


def transfer_id_of(workflow_id: str | None) -> str | None:
    """The transfer a workflow id belongs to (`transfer/<id>`), None for the gateway's other workflows."""
    if workflow_id and workflow_id.startswith(TRANSFER_WORKFLOW_PREFIX):
        return workflow_id.removeprefix(TRANSFER_WORKFLOW_PREFIX) or None
    return None


def _transfer_in(args: Sequence[Any]) -> Any:
    """The transfer a step's input carries (StepInput.transfer), if any."""
    first = args[0] if args else None
    return getattr(first, "transfer", None)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it was raised from or during (`raise ... from None` keeps the latter)."""
    seen: BaseException | None = error
    for _ in range(8):  # a chain is short; never loop on a cycle
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "completed"
    if isinstance(error, asyncio.CancelledError | CancelledError):
        return "cancelled"
    if isinstance(error, ApplicationError) and error.type == REJECTED_ERROR:
        return "rejected"
    if any(isinstance(e, WAITS) for e in _chain(error)):
        return "waiting"
    return "failed"


def registry_error_in(error: BaseException) -> RegistryError | None:
    """The registry error behind `error`: itself, or the one it replaced (a wait made benign by
    `LogWaits`, a refusal made a rejection)."""
    return next((e for e in _chain(error) if isinstance(e, RegistryError)), None)


@cache
def _registry_ids() -> frozenset[str]:
    return frozenset(p.registry_id for p in catalogue.all_profiles())


def _registry_of(activity_type: str, args: Sequence[Any], error: RegistryError) -> str:
    transfer = _transfer_in(args)
    request = getattr(transfer, "request", None)
    if request is not None and activity_type in _SOURCE_STEPS:
        return str(request.source.registry_id)
    if request is not None and activity_type in _DESTINATION_STEPS:
        return str(request.destination.registry_id)
    # Adapters name their registry first in every error (`cn-ccer did not answer ...`).
    first = error.message.split(" ", 1)[0].removesuffix("'s")
    return first if first in _registry_ids() else UNKNOWN_REGISTRY


class StepMetrics(Interceptor):
    """The worker interceptor: step latencies, registry errors, and the step's log fields."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.durations = Histogram(
            "carbon_gateway_step_duration_seconds",
            "How long one attempt of a workflow step (a Temporal activity) took, by how it ended.",
            ["activity", "outcome"],
            buckets=STEP_BUCKETS_S,
            registry=registry,
        )
        self.registry_errors = Counter(
            "carbon_gateway_registry_errors",
            "Registry errors raised in workflow steps: unavailable (retried) or refused.",
            ["registry", "kind"],
            registry=registry,
        )

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _TimedStep(next, self)

    def observe(
        self, activity_type: str, args: Sequence[Any], error: BaseException | None, took_s: float
    ) -> None:
        self.durations.labels(activity=activity_type, outcome=_outcome(error)).observe(took_s)
        found = None if error is None else registry_error_in(error)
        if found is not None:
            kind = "unavailable" if isinstance(found, RegistryUnavailable) else "refused"
            self.registry_errors.labels(registry=_registry_of(activity_type, args, found), kind=kind).inc()


class _TimedStep(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: StepMetrics) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        workflow_id = info.workflow_id or None
        transfer = _transfer_in(input.args)
        fields = LogFields(
            transfer_id=transfer_id_of(workflow_id) or getattr(transfer, "transfer_id", None),
            workflow_id=workflow_id,
            activity=info.activity_type,
        )
        started = time.perf_counter()
        with logging_for(fields):
            try:
                result = await super().execute_activity(input)
            except BaseException as error:
                self._metrics.observe(info.activity_type, input.args, error, time.perf_counter() - started)
                raise
        self._metrics.observe(info.activity_type, input.args, None, time.perf_counter() - started)
        return result
