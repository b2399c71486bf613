"""Domain errors map to one gRPC status each, with machine-readable details (AIP-193)."""

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from domain import errors
from gateway.status_codes import ERROR_DOMAIN, status_for


def _decoded(error: errors.GatewayError) -> status_pb2.Status:
    status = status_for(error)
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


def _details(decoded: status_pb2.Status) -> dict[str, Message]:
    """Each detail the status carries, by its type's name, unpacked."""
    found: dict[str, Message] = {}
    for kind in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.BadRequest,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.ResourceInfo,
    ):
        for detail in decoded.details:
            unpacked = kind()
            if detail.Unpack(unpacked):
                found[kind.DESCRIPTOR.name] = unpacked
    assert len(found) == len(decoded.details), "a detail of a type no client expects"
    return found


KINDS = [
    (
        errors.MalformedSerial("x", "block end", "not a number"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "BadRequest",
    ),
    (
        errors.UnknownRegistry("no registry 'q'", field="source"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "BadRequest",
    ),
    (errors.NotFound("none", resource_type="transfer"), grpc.StatusCode.NOT_FOUND, "ResourceInfo"),
    (errors.AlreadyExists("dup"), grpc.StatusCode.ALREADY_EXISTS, "ResourceInfo"),
    (errors.PreconditionFailed("not held"), grpc.StatusCode.FAILED_PRECONDITION, "PreconditionFailure"),
    (errors.DoubleCountingConflict("taken"), grpc.StatusCode.FAILED_PRECONDITION, "PreconditionFailure"),
    (errors.RegistryUnavailable("down"), grpc.StatusCode.UNAVAILABLE, None),
    (errors.GatewayError("odd"), grpc.StatusCode.INTERNAL, None),
]


@pytest.mark.parametrize(("error", "code", "detail"), KINDS, ids=[type(k[0]).__name__ for k in KINDS])
def test_each_error_kind_has_its_status_reason_and_detail(error, code, detail):
    assert status_for(error).code == code
    details = _details(_decoded(error))
    info = details.pop("ErrorInfo")
    assert (info.reason, info.domain) == (error.code, ERROR_DOMAIN)
    assert list(details) == ([detail] if detail else [])


def test_bad_input_lists_every_violation_with_its_path():
    refused = errors.InvalidInput.of(
        [
            errors.FieldViolation("source.account_id", "source.account_id is required"),
            errors.FieldViolation("serial", "serial is required"),
        ]
    )
    decoded = _decoded(refused)
    assert decoded.code == code_pb2.INVALID_ARGUMENT
    bad = _details(decoded)["BadRequest"]
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("source.account_id", "source.account_id is required"),
        ("serial", "serial is required"),
    ]
    assert "source.account_id is required; serial is required" in decoded.message


def test_a_single_bad_field_is_one_violation_naming_it():
    bad = _details(_decoded(errors.MalformedSerial("x-y", "vintage", "not a date")))["BadRequest"]
    assert [v.field for v in bad.field_violations] == ["serial"]
    assert "vintage" in bad.field_violations[0].description


def test_not_found_names_the_resource_not_a_precondition():
    details = _details(
        _decoded(errors.NotFound("no transfer 'x'", resource_type="transfer", resource_name="x"))
    )
    assert "PreconditionFailure" not in details
    info = details["ResourceInfo"]
    assert (info.resource_type, info.resource_name) == ("transfer", "x")


def test_preconditions_carry_the_check_code_and_the_field():
    decoded = _decoded(errors.DoubleCountingConflict("serials taken", code="DC-USE", other_transfer_id="t-9"))
    details = _details(decoded)
    (violation,) = details["PreconditionFailure"].violations
    assert violation.type == "DC-USE"
    assert details["ErrorInfo"].metadata["other_transfer_id"] == "t-9"


def test_the_message_is_a_sentence_not_a_class_name():
    decoded = _decoded(errors.RegistryUnavailable("cn-sz-ets did not answer", field="destination.account_id"))
    assert decoded.message == "REGISTRY-UNAVAILABLE: cn-sz-ets did not answer"
    assert _details(decoded)["ErrorInfo"].metadata["field"] == "destination.account_id"
