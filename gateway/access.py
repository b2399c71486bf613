"""The one server interceptor: who is calling, may they, and what the audit log keeps of it.

For every RPC in the role table (gateway/roles.py) it
- authenticates the caller from its client certificate (role = OU, organisation = O,
  name = CN) or, in plaintext development mode, takes the one all-roles caller;
- refuses a role the table does not allow (PERMISSION_DENIED, nothing runs);
- refuses request bytes that do not decode as the method's message (INVALID_ARGUMENT,
  where gRPC itself would answer UNKNOWN naming a Python exception);
- makes the caller current for the servicer (`roles.current_caller()`), which scopes
  what it answers to the caller's organisation;
- records every state-changing call, allowed or refused, in the audit log.
Health checking and reflection pass untouched; a method missing from the table is refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2

from domain.audit import AuditRecord
from domain.errors import GatewayError, InvalidInput, PermissionDenied, Unauthenticated
from gateway.roles import ACCESS, PLAINTEXT_CALLER, Access, Caller, acting_as, is_open, restore
from gateway.status_codes import after_call, before_refusal, code_for, status_for
from gateway.transport import Identify

log = logging.getLogger(__name__)

Audit = Callable[[AuditRecord], object]

_TARGET_MAX = 128
_NOBODY = ("unauthenticated", "", "")


class _Undecodable:
    """Stands in for request bytes that are not the method's message, so the refusal is ours."""


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # any decoding failure is the caller's malformed request
            return _Undecodable()

    return decode


def _target(request: object) -> str:
    """What the call is about: its first top-level `..._id` string field, cut short."""
    if not isinstance(request, Message):
        return ""
    for field in request.DESCRIPTOR.fields:
        if field.name.endswith("_id") and field.type == FieldDescriptor.TYPE_STRING and not field.is_repeated:
            value = str(getattr(request, field.name))
            if value:
                return value[:_TARGET_MAX]
    return ""


class AccessInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, *, identify: Identify | None, audit: Audit | None) -> None:
        """`identify` reads a caller from its certificate; None means plaintext (every caller trusted)."""
        self._identify = identify
        self._audit = audit

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or is_open(method):
            return handler
        access = ACCESS.get(method)
        if access is None:  # served but not in the role table: nobody may call it
            access = Access(frozenset(), changes_state=False)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, access, handler.unary_unary),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(method, access, handler.unary_stream),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        return handler  # the contract has no client-streaming RPCs

    def _caller(self, context: grpc.aio.ServicerContext) -> Caller:
        if self._identify is None:
            return PLAINTEXT_CALLER
        certificates = context.auth_context().get("x509_pem_cert")
        if not certificates:
            raise Unauthenticated("the call carries no client certificate")
        try:
            return self._identify(certificates[0])
        except ValueError as bad:
            raise Unauthenticated(f"the client certificate does not say who is calling: {bad}") from None

    def _authorise(self, method: str, access: Access, caller: Caller, request: object) -> None:
        if not caller.may(access.roles):
            raise PermissionDenied(
                f"a {caller.role.value} may not call {method.rsplit('/', 1)[-1]}", code="ROLE-NOT-ALLOWED"
            )
        if isinstance(request, _Undecodable):
            raise InvalidInput(f"the request is not a valid {method.rsplit('/', 1)[-1]} request message")

    def _unary(
        self,
        method: str,
        access: Access,
        behaviour: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]],
    ) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            who = _NOBODY
            try:
                caller = self._caller(context)
                who = (caller.role.value, caller.org, caller.name)
                self._authorise(method, access, caller, request)
            except GatewayError as refused:
                await self._record(access, who, method, request, _code_name(refused), refused.code)
                await context.abort_with_status(status_for(refused))
                raise AssertionError("abort returned") from refused
            recorded = False

            async def record_refusal(error: GatewayError) -> None:
                nonlocal recorded
                recorded = True
                await self._record(access, who, method, request, _code_name(error), error.code)

            token, hook = acting_as(caller), before_refusal(record_refusal)
            try:
                response = await behaviour(request, context)
            except BaseException:
                if not recorded:  # not a refusal of ours: a crash or a cancelled call
                    await self._record(access, who, method, request, _outcome(context, "UNKNOWN"), "")
                raise
            finally:
                after_call(hook)
                restore(token)
            await self._record(access, who, method, request, _outcome(context, "OK"), "")
            return response

        return guarded

    def _streaming(
        self,
        method: str,
        access: Access,
        behaviour: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]],
    ) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                caller = self._caller(context)
                self._authorise(method, access, caller, request)
            except GatewayError as refused:
                await context.abort_with_status(status_for(refused))
                return
            token = acting_as(caller)
            try:
                async for item in behaviour(request, context):
                    yield item
            finally:
                restore(token)

        return guarded

    async def _record(
        self,
        access: Access,
        who: tuple[str, str, str],
        method: str,
        request: object,
        outcome: str,
        reason: str,
    ) -> None:
        """Append the call to the audit log when it changes state; a failure to record is a log line."""
        if self._audit is None or not access.changes_state:
            return
        role, org, name = who
        record = AuditRecord(
            at=datetime.now(UTC),
            role=role,
            org=org[:128],
            caller=name[:128],
            method=method[:128],
            target=_target(request),
            outcome=outcome,
            reason=reason[:64],
        )
        try:
            await asyncio.to_thread(self._audit, record)
        except Exception as exc:  # the call already happened: say so, do not fail it
            log.error("audit log: could not record %s by %s (%s)", method, record.org, type(exc).__name__)


def _code_name(error: GatewayError) -> str:
    return code_pb2.Code.Name(code_for(error))


def _outcome(context: grpc.aio.ServicerContext, default: str) -> str:
    """The status the call ended with, by name; `default` when it set none."""
    code = context.code()
    if code is None:
        return default
    return code.name if isinstance(code, grpc.StatusCode) else code_pb2.Code.Name(int(code))
