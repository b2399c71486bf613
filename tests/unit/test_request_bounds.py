"""Every field of every request has a bound, found from the descriptors, and each kind refuses what it should.

The walker finds the services in every generated module of the contract
(protos/carbon/gateway/v1/*_pb2.py), so a service or RPC added later is covered
without touching this test: each field reachable from a request is given a value
just past its bound and must be refused, naming the field by its full path.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

import protos.carbon.gateway.v1 as contract
from adapters import catalogue
from domain import paging
from domain.errors import QUOTED_MAX, InvalidInput
from gateway import request_bounds
from gateway.request_bounds import BY_FIELD, BY_NAME, MAX_NAMED, MAX_REFUSAL, bound_for, check
from protos.carbon.gateway.v1 import compliance_pb2, oversight_pb2, registry_pb2, transfer_pb2

Chain = tuple[FieldDescriptor, ...]


def contract_modules() -> list[ModuleType]:
    """Every generated message module of the contract, whoever added it."""
    names = [m.name for m in pkgutil.iter_modules(contract.__path__) if m.name.endswith("_pb2")]
    return [importlib.import_module(f"{contract.__name__}.{name}") for name in sorted(names)]


def request_types() -> list[Descriptor]:
    found: dict[str, Descriptor] = {}
    for module in contract_modules():
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                found[method.input_type.full_name] = method.input_type
    return [found[name] for name in sorted(found)]


def chains(message: Descriptor, seen: tuple[str, ...] = ()) -> Iterator[Chain]:
    """Every field reachable from `message` (into nested messages), as the chain of fields leading to it."""
    for field in message.fields:
        yield (field,)
        nested = field.message_type
        if nested is not None and nested.full_name not in seen:
            for rest in chains(nested, (*seen, message.full_name)):
                yield (field, *rest)


def every_chain() -> list[tuple[Descriptor, Chain]]:
    return [(request, chain) for request in request_types() for chain in chains(request)]


def path_of(chain: Chain) -> str:
    return ".".join(f"{f.name}[0]" if f.is_repeated else f.name for f in chain[:-1]) + (
        "." if len(chain) > 1 else ""
    )


def _ids(cases: list[tuple[Descriptor, Chain]]) -> list[str]:
    return [f"{request.name}.{'.'.join(f.name for f in chain)}" for request, chain in cases]


CHAINS = every_chain()


def test_the_walker_finds_every_service_of_the_contract():
    services = {s.full_name for m in contract_modules() for s in m.DESCRIPTOR.services_by_name.values()}
    landed = {"TransferService", "RegistryService", "ComplianceService", "OversightService"}
    assert {f"carbon.gateway.v1.{name}" for name in landed} <= services
    assert len(request_types()) >= 30


@pytest.mark.parametrize(("request_type", "chain"), CHAINS, ids=_ids(CHAINS))
def test_every_field_of_every_request_states_a_bound_that_fits_its_type(request_type, chain):
    field = chain[-1]
    bound = bound_for(field)
    assert bound.rule, field.full_name
    if field.is_repeated:
        assert 0 < bound.max_count <= 1000, field.full_name
    if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        assert bound.max_length is not None and bound.max_length <= request_bounds.MAX_CSV, field.full_name
    if field.type == FieldDescriptor.TYPE_STRING and field.name.endswith("_id"):
        assert bound.grammar is not None, f"{field.full_name} is an id: it needs a grammar"
    if field.cpp_type in (FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_INT64):
        assert bound.low is not None and bound.high is not None, field.full_name
        assert bound.low >= 0 or field.full_name == "google.protobuf.Timestamp.seconds", (
            f"{field.full_name} takes negative numbers: say why in its bound"
        )
    if field.cpp_type in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        assert bound.low is not None and bound.high is not None, field.full_name


def _build(request_type: Descriptor, chain: Chain, value: object) -> Message:
    """A `request_type` whose field at the end of `chain` holds `value` (a list for a repeated one)."""
    message = message_factory.GetMessageClass(request_type)()
    cursor = message
    for field in chain[:-1]:
        cursor = getattr(cursor, field.name).add() if field.is_repeated else getattr(cursor, field.name)
    last = chain[-1]
    if last.is_repeated:
        target = getattr(cursor, last.name)
        for element in value:
            target.add() if last.type == FieldDescriptor.TYPE_MESSAGE else target.append(element)
    elif last.type == FieldDescriptor.TYPE_MESSAGE:
        getattr(cursor, last.name).SetInParent()
    else:
        setattr(cursor, last.name, value)
    return message


_TYPE_RANGE = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}


def _past_the_bound(field: FieldDescriptor) -> object | None:
    """A value just outside `field`'s bound, or None when its type holds nothing outside it."""
    bound = bound_for(field)
    if field.type == FieldDescriptor.TYPE_STRING:
        assert bound.max_length is not None
        return "x" * (bound.max_length + 1)
    if field.type == FieldDescriptor.TYPE_BYTES:
        assert bound.max_length is not None
        return b"x" * (bound.max_length + 1)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return max(field.enum_type.values_by_number) + 1
    if field.cpp_type in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        return float("nan")
    if field.cpp_type in _TYPE_RANGE:
        low, high = _TYPE_RANGE[field.cpp_type]
        if bound.high is not None and bound.high < high:
            return int(bound.high) + 1
        if bound.low is not None and bound.low > low:
            return int(bound.low) - 1
    return None


SCALARS = [(r, c) for r, c in CHAINS if not c[-1].is_repeated and c[-1].type != FieldDescriptor.TYPE_MESSAGE]
REPEATED = [(r, c) for r, c in CHAINS if c[-1].is_repeated]


@pytest.mark.parametrize(("request_type", "chain"), SCALARS, ids=_ids(SCALARS))
def test_a_value_past_its_bound_is_refused_naming_the_full_path(request_type, chain):
    field = chain[-1]
    value = _past_the_bound(field)
    if value is None:
        assert field.type == FieldDescriptor.TYPE_BOOL, f"{field.full_name} has no value past its bound"
        return
    built = _build(request_type, chain, value)
    path = path_of(chain) + field.name
    named = request_bounds.violations(built)
    assert path in [v.field for v in named], named
    with pytest.raises(InvalidInput) as refused:
        check(built)
    assert len(str(refused.value)) <= MAX_REFUSAL
    if isinstance(value, str | bytes):
        assert ("x" * (QUOTED_MAX + 1)) not in str(refused.value), "an oversized value was echoed"


@pytest.mark.parametrize(("request_type", "chain"), REPEATED, ids=_ids(REPEATED))
def test_a_repeated_field_holds_a_bounded_number_of_elements(request_type, chain):
    field = chain[-1]
    bound = bound_for(field)
    element: object = (
        1
        if field.type == FieldDescriptor.TYPE_ENUM
        else ""
        if field.type == FieldDescriptor.TYPE_STRING
        else 0
    )
    with pytest.raises(InvalidInput) as refused:
        check(_build(request_type, chain, [element] * (bound.max_count + 1)))
    path = path_of(chain) + field.name
    assert [v.field for v in refused.value.violations] == [path]
    assert f"at most {bound.max_count}" in str(refused.value)


def test_every_table_entry_names_a_field_of_some_request():
    fields = {chain[-1].full_name for _, chain in CHAINS}
    names = {chain[-1].name for _, chain in CHAINS}
    assert set(BY_FIELD) <= fields, set(BY_FIELD) - fields
    assert set(BY_NAME) <= names, set(BY_NAME) - names


def _refusal(request: Message) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        check(request)
    return refused.value


# (kind, value, accepted): the grammars at the edge, and the domain's own where it states one.
KINDS = [
    ("TRANSFER_ID", "t-1:retry.2_b", True),
    ("TRANSFER_ID", "t 1", False),
    ("TRANSFER_ID", "t-1\n", False),
    ("TRANSFER_ID", "\u202et-1", False),
    ("TRANSFER_ID", "t" * 129, False),
    ("ACCOUNT_ID", "ops@bank", True),
    ("ACCOUNT_ID", "acct\u200b", False),
    ("ACCOUNT_ID", "acct\u0301", False),
    ("ACCOUNT_ID", "../../etc/passwd", False),
    ("REGISTRY_ID", "hk-core-climate", True),
    ("REGISTRY_ID", "CN-SZ-ETS", False),
    ("REGISTRY_ID", "cn-sz-ets'; DROP TABLE transfers; --", False),
    ("REFERENCE", "CN-A6-1", True),
    ("REFERENCE", "GH/A6.2/2023#001", True),
    ("REFERENCE", "   ", False),
    ("REFERENCE", "%s%n{0}", False),
    ("REFERENCE", "\U0001f600", False),
    ("CODE", "A6.4ER", True),
    ("CODE", "01012019-31122019", True),
    ("CODE", "VCS VCU", False),
    ("COUNTRY", "VU", True),
    ("COUNTRY", "ZZ", False),
    ("COUNTRY", "vu", False),
    ("COUNTRY", "XX", False),
    ("SERIAL", "JP-123-456 - JP-123-460", True),
    ("SERIAL", "CCER-CN-1\x00", False),
    ("SERIAL", "CCER-\u200bCN", False),
    ("PAGE_TOKEN", "AQid-_", True),
    ("PAGE_TOKEN", "AQid==", False),
    ("PAGE_TOKEN", "A" * 1025, False),
    ("METHOD", "/carbon.gateway.v1.TransferService/SubmitTransfer", True),
    ("METHOD", "SubmitTransfer", False),
]


@pytest.mark.parametrize(("kind", "value", "accepted"), KINDS, ids=[f"{k}-{v[:20]!r}" for k, v, _ in KINDS])
def test_each_kind_of_string_takes_its_grammar(kind, value, accepted):
    bound = getattr(request_bounds, kind)
    problems = request_bounds._string_problem(bound, value, "some.path")
    assert (problems == []) is accepted, problems
    for problem in problems:
        assert problem.field == "some.path"
        assert len(problem.description) <= 400


TEXTS = [
    ("Shenzhen Green Bank", True),
    ("深圳绿色银行", True),
    ("Café Zürich \U0001f3e6", True),
    ("bank\x00", False),
    ("bank\nFORGED LOG LINE", False),
    ("\u202ebank", False),
    ("   ", False),
]


@pytest.mark.parametrize(("value", "accepted"), TEXTS, ids=[repr(v) for v, _ in TEXTS])
def test_free_text_takes_any_script_but_no_control_characters(value, accepted):
    problems = request_bounds._string_problem(request_bounds.text(256), value, "lender")
    assert (problems == []) is accepted, problems


def test_every_registry_of_the_catalogue_fits_the_registry_id_grammar():
    for profile in catalogue.all_profiles():
        assert request_bounds._string_problem(request_bounds.REGISTRY_ID, profile.registry_id, "r") == []


def test_a_token_the_gateway_issues_fits_the_token_grammar():
    longest = paging.issue("holdings", {"account_id": "=" + "a" * 128}, ("a" * 128, "x" * 200, 2**62, "held"))
    assert request_bounds._string_problem(request_bounds.PAGE_TOKEN, longest, "page_token") == []


NUMBERS = [
    (transfer_pb2.ListTransfersRequest(page_size=-1), "page_size"),
    (transfer_pb2.SubmitTransferRequest(quantity=0), "quantity"),
    (transfer_pb2.SubmitTransferRequest(quantity=-3), "quantity"),
    (transfer_pb2.SubmitTransferRequest(compliance_year=1899), "compliance_year"),
    (transfer_pb2.SubmitTransferRequest(compliance_year=2200), "compliance_year"),
    (compliance_pb2.RecordCreditedGenerationRequest(generated_mwh=float("inf")), "generated_mwh"),
    (compliance_pb2.RecordCreditedGenerationRequest(credited_mwh=-1.0), "credited_mwh"),
    (compliance_pb2.RecordGenerationCertificateRequest(mwh=float("nan")), "mwh"),
    (
        compliance_pb2.RecordCoveredEntityRequest(
            verified_emissions=[compliance_pb2.VerifiedEmissions(year=2025, tonnes=-1)]
        ),
        "verified_emissions[0].tonnes",
    ),
    (oversight_pb2.GetConsistencyProofRequest(from_size=-1, to_size=1), "from_size"),
]


@pytest.mark.parametrize(("sent", "path"), NUMBERS, ids=[p for _, p in NUMBERS])
def test_numbers_out_of_their_range_are_refused(sent, path):
    assert path in [v.field for v in _refusal(sent).violations]


def test_a_page_size_above_the_maximum_is_served_as_the_maximum_not_refused():
    check(registry_pb2.ListRegistriesRequest(page_size=10_000))


def test_timestamps_outside_their_range_are_refused():
    request = compliance_pb2.RecordIssuanceRequest(issuance_id="i-1", registry_id="cn-ccer", serial="S")
    request.monitoring_start.seconds = 253_402_300_800  # 10000-01-01
    request.monitoring_end.nanos = -1
    named = [v.field for v in _refusal(request).violations]
    assert named == ["monitoring_start.seconds", "monitoring_end.nanos"]


def test_an_undefined_enum_number_is_refused_wherever_it_is():
    request = transfer_pb2.ListTransfersRequest(filter=transfer_pb2.TransferFilter(states=[1, 99, 0]))  # type: ignore[list-item]
    refused = _refusal(request)
    assert [v.field for v in refused.violations] == ["filter.states[1]", "filter.states[2]"]
    assert "TRANSFER_STATE_" in str(refused)
    export = compliance_pb2.ExportArticle6ActionsRequest(format=99)
    assert [v.field for v in _refusal(export).violations] == ["format"]
    check(compliance_pb2.ExportArticle6ActionsRequest(format=compliance_pb2.EXPORT_FORMAT_JSON))


def test_missing_fields_then_values_out_of_bounds_are_named_in_one_refusal():
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id="t\u200b1", source=transfer_pb2.AccountRef(registry_id="cn-ccer"), quantity=0
    )
    assert [v.field for v in _refusal(request).violations] == [
        "source.account_id",
        "destination",
        "serial",
        "transfer_id",
        "quantity",
    ]


def test_a_refusal_names_at_most_a_few_violations_and_stays_short():
    request = compliance_pb2.RecordCoveredEntityRequest(
        entity_id="e\u200b" * 40,
        name="\x00" * 5000,
        market="M" * 5000,
        accounts=[transfer_pb2.AccountRef(registry_id="r" * 5000, account_id="a" * 5000)] * 50,
    )
    refused = _refusal(request)
    assert len(refused.violations) == MAX_NAMED
    assert refused.violations[-1].description.startswith("and ")
    assert len(str(refused)) <= MAX_REFUSAL
    assert "a" * (QUOTED_MAX + 1) not in str(refused)


def test_an_overlong_repeated_field_is_refused_without_walking_its_elements():
    request = compliance_pb2.RecordCoveredEntityRequest(accounts=[transfer_pb2.AccountRef()] * 100_000)
    assert [v.field for v in _refusal(request).violations] == ["accounts"]


def test_a_request_within_its_bounds_passes():
    check(
        transfer_pb2.SubmitTransferRequest(
            transfer_id="t-1",
            source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id="acct-1"),
            destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id="acct-1-dest"),
            serial="CCER-CN-100001-2024-3-1-100",
            quantity=10,
            purpose=transfer_pb2.PURPOSE_VOLUNTARY,
            compliance_year=2025,
        )
    )
