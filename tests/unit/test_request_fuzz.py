"""Property-based fuzzing of the request validators: whatever a client sends, a refusal is InvalidInput.

Messages are built from the descriptors of every request type of every service (so
services added later are fuzzed too), with hostile values mixed in: ids that look
like others (bidi overrides, zero-width spaces, combining marks), injection strings,
undefined enum numbers, huge numbers, long strings and long repeated fields. The
validators at the edge (`request_bounds.check`, `required_fields.require`) and the
wire conversions either accept a message or raise InvalidInput, never any other
exception; a refusal of `check` is at most `MAX_REFUSAL` characters and never repeats
an oversized value whole. The CSV imports are fuzzed the same way.

The suite runs a short profile (200 examples a test). A longer run:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/unit/test_request_fuzz.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance_rules.covered_entities_csv import COLUMNS as ENTITY_COLUMNS
from compliance_rules.covered_entities_csv import read_covered_entities_csv
from compliance_rules.crosswalk_csv import COLUMNS as CROSSWALK_COLUMNS
from compliance_rules.crosswalk_csv import read_crosswalk_csv
from domain.errors import QUOTED_MAX, InvalidInput
from gateway import request_bounds, required_fields, wire
from tests.unit.test_request_bounds import request_types

settings.register_profile(
    "bounds-default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "bounds-long", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile("bounds-" + os.environ.get("HYPOTHESIS_PROFILE", "default"))

HOSTILE = [
    "'; DROP TABLE transfers; --",
    "../../etc/passwd",
    "%s%n{0}",
    "\u202eacct",
    "ac\u200bct",
    "a\u0301",
    "\U0001f600",
    "acct\x00",
    "acct\n",
    " acct",
    "cn-ccer",
    "acct-1",
    "t-1",
    "CCER-CN-100001-2024-3-1-100",
    "CCER-CN-100001-2024-3-1-99999999999999999999",
    "VU",
    "ZZ",
    "AQid",
]
_INT_RANGES = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}
LONG = st.integers(min_value=65, max_value=5_000).map(lambda n: "x" * n)
STRINGS = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), LONG)


def _integers(field: FieldDescriptor) -> st.SearchStrategy[int]:
    low, high = _INT_RANGES[field.cpp_type]
    edges = [v for v in (low, high, -1, 0, 1, 2**31, 2**63 - 1, 10**19) if low <= v <= high]
    return st.one_of(st.sampled_from(edges), st.integers(min_value=low, max_value=high))


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_STRING:
        return STRINGS
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=2_000)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type == FieldDescriptor.TYPE_ENUM:
        return st.integers(min_value=-(2**31), max_value=2**31 - 1) | st.integers(min_value=-2, max_value=12)
    if field.cpp_type in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=64)
    return _integers(field)


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of `descriptor`'s type with any subset of their fields set to hostile or plain values."""
    cls = message_factory.GetMessageClass(descriptor)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= 3:
                continue
            one = messages(field.message_type, depth + 1)
        else:
            one = _scalar(field)
        if field.is_repeated:
            many = st.lists(one, max_size=4) | st.integers(min_value=0, max_value=400).map(_fillers(field))
            fields[field.name] = st.none() | many
        else:
            fields[field.name] = st.none() | one

    def build(values: dict[str, Any]) -> Message:
        message = cls()
        for name, value in values.items():
            if value is None:
                continue
            field = descriptor.fields_by_name[name]
            target = getattr(message, name)
            if field.is_repeated and field.type == FieldDescriptor.TYPE_MESSAGE:
                for element in value:
                    target.add().CopyFrom(element)
            elif field.is_repeated:
                target.extend(value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                target.CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return st.fixed_dictionaries(fields).map(build)


def _fillers(field: FieldDescriptor) -> Callable[[int], list[Any]]:
    """`n` plain elements of a repeated field: what a long repeated field is made of."""

    def many(n: int) -> list[Any]:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return [message_factory.GetMessageClass(field.message_type)()] * n
        return ["" if field.type == FieldDescriptor.TYPE_STRING else 1] * n

    return many


REQUESTS = st.sampled_from(request_types()).flatmap(messages)


def _long_strings(message: Message) -> list[str]:
    """Every string of `message` too long for any refusal to repeat whole."""
    found: list[str] = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for one in values:
            if isinstance(one, Message):
                found += _long_strings(one)
            elif isinstance(one, str) and len(one) > QUOTED_MAX + 16:
                found.append(one)
    return found


@PROFILE
@given(REQUESTS)
def test_the_bounds_refuse_only_with_invalid_input_short_and_without_echo(message):
    try:
        request_bounds.check(message)
    except InvalidInput as refused:
        text = str(refused)
        assert len(text) <= request_bounds.MAX_REFUSAL
        assert 0 < len(refused.violations) <= request_bounds.MAX_NAMED
        for violation in refused.violations:
            assert violation.field, violation
            assert len(violation.description) <= request_bounds.MAX_DESCRIPTION
        for long in _long_strings(message):
            assert long not in text, "an oversized value was echoed whole"
        for internal in ("Traceback", "Error:", "Exception"):
            assert internal not in text


@PROFILE
@given(REQUESTS)
def test_the_required_fields_refuse_only_with_invalid_input(message):
    try:
        required_fields.require(message)
    except InvalidInput as refused:
        assert all(v.description.endswith("is required") for v in refused.violations)


def _conversions() -> dict[str, Callable[[Any], object]]:
    """The wire conversions a servicer applies to a request (or a part of it), by request type."""
    v1 = "carbon.gateway.v1"
    return {
        f"{v1}.SubmitTransferRequest": wire.transfer_request_from_proto,
        f"{v1}.EvaluateTransferRequest": lambda m: wire.transfer_request_from_proto(m.transfer),
        f"{v1}.ListHoldingsRequest": wire.holdings_query_from_proto,
        f"{v1}.ResolveTransferRequest": wire.operator_decision_from_proto,
        f"{v1}.ListTransfersRequest": lambda m: [wire.transfer_state_from_proto(s) for s in m.filter.states],
        f"{v1}.RecordPledgeRequest": lambda m: wire.account_from_proto(m.holder, "holder"),
        f"{v1}.RecordAuthorisationRequest": lambda m: wire.day_from_proto(m.authorised_on, "authorised_on"),
        f"{v1}.RecordIssuanceRequest": lambda m: wire.day_from_proto(m.monitoring_end, "monitoring_end"),
        f"{v1}.RecordCreditedGenerationRequest": lambda m: (
            wire.mwh_from_proto(m.generated_mwh, "generated_mwh"),
            wire.day_from_proto(m.period_start, "period_start"),
        ),
        f"{v1}.RecordGenerationCertificateRequest": lambda m: wire.mwh_from_proto(m.mwh, "mwh"),
    }


CONVERSIONS = _conversions()
CONVERTED = st.sampled_from([t for t in request_types() if t.full_name in CONVERSIONS]).flatmap(messages)


@PROFILE
@given(CONVERTED)
def test_the_wire_conversions_refuse_only_with_invalid_input(message):
    convert = CONVERSIONS[message.DESCRIPTOR.full_name]
    try:
        convert(message)
    except InvalidInput as refused:
        assert refused.violations and all(v.field for v in refused.violations)


# Stands for a cell just past the csv module's field limit; expanded in the test, as hypothesis keeps
# every value it draws (a few hundred KiB per example add up over a long run).
HUGE = "<huge>"


def _csv(columns: tuple[str, ...]) -> st.SearchStrategy[str]:
    cell = st.one_of(
        st.sampled_from(
            ["", '"', '""', '"a"b', "a,b", "2019-01-01", "CCER", "cn-sz-ets:acct", "2025", "\x00"]
        ),
        st.text(max_size=12),
        st.just(HUGE),
    )
    row = st.lists(cell, min_size=0, max_size=len(columns) + 1).map(",".join)
    header = st.sampled_from([",".join(columns), ",".join(reversed(columns)), "nonsense", ""])
    return st.tuples(header, st.lists(row, max_size=4)).map(lambda parts: "\n".join([parts[0], *parts[1]]))


def _expanded(text: str) -> str:
    return text.replace(HUGE, "y" * 131_073)


@PROFILE
@given(_csv(CROSSWALK_COLUMNS))
def test_the_crosswalk_import_refuses_only_with_invalid_input_naming_csv(text):
    try:
        read_crosswalk_csv(_expanded(text))
    except InvalidInput as refused:
        assert refused.field == "csv" and "line " in refused.message
        assert "y" * (QUOTED_MAX + 16) not in refused.message


@PROFILE
@given(_csv(ENTITY_COLUMNS))
def test_the_covered_entities_import_refuses_only_with_invalid_input_naming_csv(text):
    try:
        read_covered_entities_csv(_expanded(text))
    except InvalidInput as refused:
        assert refused.field == "csv" and "line " in refused.message
        assert "y" * (QUOTED_MAX + 16) not in refused.message
