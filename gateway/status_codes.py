"""The one place where domain errors become gRPC statuses, with rich details.

Exchanges read `google.rpc.BadRequest` field violations for bad input and
`google.rpc.PreconditionFailure` for requests the current state refuses.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from domain import errors

_CODES: list[tuple[type[errors.GatewayError], int]] = [
    (errors.InvalidInput, code_pb2.INVALID_ARGUMENT),
    (errors.NotFound, code_pb2.NOT_FOUND),
    (errors.AlreadyExists, code_pb2.ALREADY_EXISTS),
    (errors.PreconditionFailed, code_pb2.FAILED_PRECONDITION),
    (errors.DoubleCountingConflict, code_pb2.FAILED_PRECONDITION),
    (errors.RegistryRefused, code_pb2.FAILED_PRECONDITION),
    (errors.IllegalTransition, code_pb2.FAILED_PRECONDITION),
    (errors.RegistryUnavailable, code_pb2.UNAVAILABLE),
]


def status_for(error: errors.GatewayError) -> grpc.Status:
    code = next((c for kind, c in _CODES if isinstance(error, kind)), code_pb2.INTERNAL)
    detail = any_pb2.Any()
    if code == code_pb2.INVALID_ARGUMENT:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field or "", description=error.message
        )
        detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    else:
        violation_p = error_details_pb2.PreconditionFailure.Violation(
            type=error.code, subject=error.field or "", description=error.message
        )
        detail.Pack(error_details_pb2.PreconditionFailure(violations=[violation_p]))
    message = status_pb2.Status(code=code, message=f"{error.code}: {error.message}", details=[detail])
    return rpc_status.to_status(message)


async def abort_with(context: grpc.aio.ServicerContext, error: errors.GatewayError) -> None:
    await context.abort_with_status(status_for(error))
