"""The gateway's log lines: readable text or one JSON object each, with the transfer id on every line that has one.

Who a line is about comes, first found first, from
- the record's own `extra` (`transfer_id`, `workflow_id`, `activity`);
- Temporal's loggers: `activity.logger` puts `temporal_activity` on the record and
  `workflow.logger` puts `temporal_workflow` (workflow id, activity type);
- the fields current where the line was logged (`workflows.step_metrics.current_log_fields`):
  set around every activity by `StepMetrics`, and around every gRPC call whose request
  has a `transfer_id` by `TransferLogFields` here, so a plain `logging.getLogger(__name__)`
  line carries them too.
A transfer's workflow id is `transfer/<id>`, so a line that knows only the workflow knows the
transfer. A traceback appears only where something logged one (`exc_info`); the gateway's
normal waits and refusals log none (workflows/waits.py).
"""

from __future__ import annotations

import inspect
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from opentelemetry import trace

from gateway.settings import Settings
from workflows.step_metrics import LogFields, current_log_fields, logging_for, transfer_id_of

# Our packages speak at INFO; libraries (httpx logs every request at INFO) only from WARNING.
OUR_LOGGERS = (
    "domain",
    "adapters",
    "compliance_rules",
    "ledger",
    "ledger_anchor",
    "workflows",
    "gateway",
    # What our workflows and activities log through Temporal's loggers, and Temporal core's lines.
    "temporalio.workflow",
    "temporalio.activity",
    "temporalio.core",
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def fields_of(record: logging.LogRecord) -> LogFields:
    """Who `record` is about: its extra, Temporal's details on it, or the fields current when logged."""
    current: LogFields = getattr(record, "carbon_log_fields", None) or current_log_fields()
    temporal: dict[str, Any] = {
        **(getattr(record, "temporal_workflow", None) or {}),
        **(getattr(record, "temporal_activity", None) or {}),
    }
    workflow_id = getattr(record, "workflow_id", None) or temporal.get("workflow_id") or current.workflow_id
    activity = getattr(record, "activity", None) or temporal.get("activity_type") or current.activity
    transfer_id = (
        getattr(record, "transfer_id", None)
        or transfer_id_of(workflow_id)
        or (current.transfer_id if workflow_id in (None, current.workflow_id) else None)
    )
    return LogFields(transfer_id=transfer_id, workflow_id=workflow_id, activity=activity)


class _RemembersFields(logging.Filter):
    """Takes the current fields onto the record where it is made: a handler may format it elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "carbon_log_fields"):
            record.carbon_log_fields = current_log_fields()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and who it is about when known."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self._service = service_name

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self._service,
        }
        about = fields_of(record)
        for key in ("transfer_id", "workflow_id", "activity"):
            value = getattr(about, key)
            if value:
                line[key] = value
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """Today's readable line, with `[transfer <id>]` before the message when the line has one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        transfer_id = fields_of(record).transfer_id
        if transfer_id and transfer_id not in record.message:
            prefix = f"{record.name}: "
            head, _, tail = line.partition(prefix)
            return f"{head}{prefix}[transfer {transfer_id}] {tail}"
        return line


@dataclass
class InstalledLogging:
    """The root handler `configure_logging` installed, and the levels it changed (for `remove`)."""

    handler: logging.Handler
    _levels: dict[str, int] = field(default_factory=dict)

    def remove(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


_installed: InstalledLogging | None = None


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> InstalledLogging:
    """Install the gateway's handler on the root logger (to stderr unless `stream`), in `log_format`.

    Called again, it replaces the handler it installed before, so a process has one.
    """
    global _installed
    if _installed is not None:
        _installed.remove()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines(settings.service_name) if settings.log_format == "json" else TextLines())
    handler.addFilter(_RemembersFields())
    root = logging.getLogger()
    levels = {"": root.level}
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in OUR_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    root.addHandler(handler)
    _installed = InstalledLogging(handler, levels)
    return _installed


def _transfer_id_in(request: object) -> str | None:
    """The request's top-level `transfer_id` string, if it has a non-empty one."""
    if not isinstance(request, Message):
        return None
    found = request.DESCRIPTOR.fields_by_name.get("transfer_id")
    if found is None or found.type != FieldDescriptor.TYPE_STRING or found.is_repeated:
        return None
    return str(getattr(request, found.name)) or None


class TransferLogFields(grpc.aio.ServerInterceptor):
    """Makes a call's transfer (its request's `transfer_id`) current for every line logged while it runs."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _unary(handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _streaming(handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # a client-streaming call has no one request to read


def _unary(behaviour: Callable[[Any, Any], Awaitable[Any]]) -> Callable[[Any, Any], Awaitable[Any]]:
    async def with_fields(request: Any, context: Any) -> Any:
        with logging_for(LogFields(transfer_id=_transfer_id_in(request))):
            return await behaviour(request, context)

    return with_fields


def _streaming(behaviour: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    if not inspect.isasyncgenfunction(behaviour):  # writes with context.write: a coroutine like a unary call
        return _unary(behaviour)

    async def with_fields(request: Any, context: Any) -> AsyncIterator[Any]:
        with logging_for(LogFields(transfer_id=_transfer_id_in(request))):
            async for item in behaviour(request, context):
                yield item

    return with_fields
