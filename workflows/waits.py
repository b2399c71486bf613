"""Waiting is a log line: a step that must wait (a registry unavailable, serials under review) is
retried by Temporal as always, but the worker logs one line for it, not a traceback.

Temporal logs an activity failure with its stack unless the error is benign; this
interceptor turns the domain's waits into benign, retryable application errors
(type: the domain's code, `REGISTRY-UNAVAILABLE`) after logging what waits and why.
Faults that are not waits keep their traceback: those are worth one.
"""

from __future__ import annotations

import logging
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from domain.errors import RegistryUnavailable, UnderReview

_log = logging.getLogger(__name__)
WAITS = (RegistryUnavailable, UnderReview)


class _LogWaits(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except WAITS as waiting:
            info = activity.info()
            _log.warning(
                "%s of %s waits (attempt %d, retried): %s",
                info.activity_type,
                info.workflow_id,
                info.attempt,
                waiting.message,
            )
            raise ApplicationError(
                waiting.message, type=waiting.code, category=ApplicationErrorCategory.BENIGN
            ) from None


class LogWaits(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _LogWaits(next)
