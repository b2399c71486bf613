"""The contract's REQUIRED fields are enforced from the descriptors, every one named at once."""

import pytest
from google.api import field_behavior_pb2

from domain.errors import InvalidInput
from gateway.required_fields import is_required, missing, require
from protos.carbon.gateway.v1 import compliance_pb2, oversight_pb2, owner_pb2, registry_pb2, transfer_pb2

MODULES = (compliance_pb2, oversight_pb2, owner_pb2, registry_pb2, transfer_pb2)


def test_an_empty_submit_names_every_required_field_with_its_path():
    assert missing(transfer_pb2.SubmitTransferRequest()) == ["transfer_id", "source", "destination", "serial"]
    partial = transfer_pb2.SubmitTransferRequest(
        transfer_id="t-1",
        source=transfer_pb2.AccountRef(registry_id="cn-ccer"),
        destination=transfer_pb2.AccountRef(),
    )
    assert missing(partial) == [
        "source.account_id",
        "destination.registry_id",
        "destination.account_id",
        "serial",
    ]


def test_nested_requests_are_walked_with_their_full_path():
    request = compliance_pb2.EvaluateTransferRequest(
        transfer=transfer_pb2.SubmitTransferRequest(transfer_id="t-1", serial="S")
    )
    assert missing(request) == ["transfer.source", "transfer.destination"]
    assert missing(compliance_pb2.EvaluateTransferRequest()) == ["transfer"]


def test_enums_and_timestamps_count_unspecified_and_unset_as_missing():
    request = compliance_pb2.RecordAuthorisationRequest(authorisation_id="A", host_party="VU")
    assert missing(request) == ["authorised_use", "authorised_on"]
    request.authorised_use = compliance_pb2.AUTHORISED_USE_NDC
    request.authorised_on.FromSeconds(0)  # set, even at the epoch
    assert missing(request) == []


def test_optional_fields_are_never_required():
    assert missing(registry_pb2.ListHoldingsRequest(registry_id="verra")) == []
    assert missing(transfer_pb2.ListTransfersRequest()) == []


def test_require_refuses_with_one_violation_per_field():
    with pytest.raises(InvalidInput) as refused:
        require(transfer_pb2.ResolveTransferRequest(transfer_id="t-1"))
    assert [v.field for v in refused.value.violations] == ["resolution", "reason", "operator"]
    require(oversight_pb2.GetLatestTreeHeadRequest())  # nothing required, nothing refused


def _behaviours(field) -> list[int]:
    return list(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def _messages():
    for module in MODULES:
        yield from module.DESCRIPTOR.message_types_by_name.values()


def _request_types() -> set[str]:
    names = set()
    for module in MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            names |= {method.input_type.full_name for method in service.methods}
    return names


def test_every_field_states_its_behaviour_and_requests_say_required_or_optional():
    requests = _request_types()
    for message in _messages():
        for field in message.fields:
            behaviours = _behaviours(field)
            assert behaviours, f"{field.full_name} has no google.api.field_behavior"
            if message.full_name in requests:
                assert set(behaviours) & {field_behavior_pb2.REQUIRED, field_behavior_pb2.OPTIONAL}, (
                    field.full_name
                )
            if is_required(field):
                assert field.type != field.TYPE_BOOL, (
                    f"{field.full_name}: a REQUIRED bool could never be false"
                )
