"""Domain errors map to one gRPC status each, with machine-readable details."""

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2

from domain import errors
from gateway.status_codes import status_for


def _decoded(error: errors.GatewayError) -> status_pb2.Status:
    status = status_for(error)
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.MalformedSerial("x", "block end", "not a number"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.UnknownRegistry("no registry 'q'", field="source"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("none"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists("dup"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.PreconditionFailed("not held"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.DoubleCountingConflict("taken"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.RegistryUnavailable("down"), grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_each_error_kind_has_its_status(error, code):
    assert status_for(error).code == code


def test_bad_input_names_the_field():
    decoded = _decoded(errors.MalformedSerial("x-y", "vintage", "not a date"))
    assert decoded.code == code_pb2.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert decoded.details[0].Unpack(bad)
    assert bad.field_violations[0].field == "serial"
    assert "vintage" in bad.field_violations[0].description


def test_preconditions_carry_the_check_code():
    decoded = _decoded(errors.DoubleCountingConflict("serials taken", code="DC-USE"))
    failed = error_details_pb2.PreconditionFailure()
    assert decoded.details[0].Unpack(failed)
    assert failed.violations[0].type == "DC-USE"
