"""The one place where domain errors become gRPC statuses, with rich details (AIP-193).

Every status carries `google.rpc.ErrorInfo` with a stable `reason` (the domain
error's code: `DC-USE`, `INVALID-INPUT`, `ACCOUNT-UNKNOWN`) and `domain`
`carbon-gateway`, plus, by kind: `google.rpc.BadRequest` listing every field
violation (INVALID_ARGUMENT), `google.rpc.PreconditionFailure` (FAILED_PRECONDITION)
or `google.rpc.ResourceInfo` (NOT_FOUND, ALREADY_EXISTS). The message stays one
readable sentence; machines read the details, not the message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from domain import errors

ERROR_DOMAIN = "carbon-gateway"

_CODES: list[tuple[type[errors.GatewayError], int]] = [
    (errors.InvalidInput, code_pb2.INVALID_ARGUMENT),
    (errors.NotFound, code_pb2.NOT_FOUND),
    (errors.AlreadyExists, code_pb2.ALREADY_EXISTS),
    (errors.PreconditionFailed, code_pb2.FAILED_PRECONDITION),
    (errors.DoubleCountingConflict, code_pb2.FAILED_PRECONDITION),
    (errors.RegistryRefused, code_pb2.FAILED_PRECONDITION),
    (errors.IllegalTransition, code_pb2.FAILED_PRECONDITION),
    (errors.RegistryUnavailable, code_pb2.UNAVAILABLE),
    (errors.UnderReview, code_pb2.UNAVAILABLE),
    (errors.Unauthenticated, code_pb2.UNAUTHENTICATED),
    (errors.PermissionDenied, code_pb2.PERMISSION_DENIED),
]


def code_for(error: errors.GatewayError) -> int:
    return next((c for kind, c in _CODES if isinstance(error, kind)), code_pb2.INTERNAL)


def _packed(detail: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return packed


def error_info(error: errors.GatewayError) -> error_details_pb2.ErrorInfo:
    """The machine-readable reason; `field` (and the other transfer of a collision) as metadata."""
    metadata = {"field": error.field} if error.field else {}
    other = getattr(error, "other_transfer_id", None)
    if other:
        metadata["other_transfer_id"] = other
    return error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN, metadata=metadata)


def _bad_request(error: errors.GatewayError) -> error_details_pb2.BadRequest:
    violations = (
        error.violations
        if isinstance(error, errors.InvalidInput)
        else (errors.FieldViolation(error.field or "", error.message),)
    )
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in violations
        ]
    )


def _precondition_failure(error: errors.GatewayError) -> error_details_pb2.PreconditionFailure:
    violation = error_details_pb2.PreconditionFailure.Violation(
        type=error.code, subject=error.field or "", description=error.message
    )
    return error_details_pb2.PreconditionFailure(violations=[violation])


def _resource_info(error: errors.GatewayError) -> error_details_pb2.ResourceInfo:
    resource_type = getattr(error, "resource_type", None) or ""
    resource_name = getattr(error, "resource_name", None) or ""
    return error_details_pb2.ResourceInfo(
        resource_type=resource_type, resource_name=resource_name, description=error.message
    )


def details_for(error: errors.GatewayError, code: int) -> list[Message]:
    details: list[Message] = [error_info(error)]
    if code == code_pb2.INVALID_ARGUMENT:
        details.append(_bad_request(error))
    elif code == code_pb2.FAILED_PRECONDITION:
        details.append(_precondition_failure(error))
    elif code in (code_pb2.NOT_FOUND, code_pb2.ALREADY_EXISTS):
        details.append(_resource_info(error))
    return details


def status_for(error: errors.GatewayError) -> grpc.Status:
    code = code_for(error)
    message = status_pb2.Status(
        code=code,
        message=f"{error.code}: {error.message}",
        details=[_packed(d) for d in details_for(error, code)],
    )
    return rpc_status.to_status(message)


RefusalHook = Callable[[errors.GatewayError], Awaitable[None]]
# Run before a refusal is sent (the audit log records it first, so whoever was refused can
# already read that it was); set per call by the access interceptor.
_BEFORE_REFUSAL: ContextVar[RefusalHook | None] = ContextVar("carbon_gateway_before_refusal", default=None)


def before_refusal(hook: RefusalHook | None) -> Token[RefusalHook | None]:
    return _BEFORE_REFUSAL.set(hook)


def after_call(token: Token[RefusalHook | None]) -> None:
    _BEFORE_REFUSAL.reset(token)


async def abort_with(context: grpc.aio.ServicerContext, error: errors.GatewayError) -> None:
    hook = _BEFORE_REFUSAL.get()
    if hook is not None:
        await hook(error)
    await context.abort_with_status(status_for(error))
