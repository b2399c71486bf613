"""Bounds on every request field, stated once and applied at the edge before anything else runs.

`check` is the first thing every RPC does (gateway.servicers.mapped): it names every
REQUIRED field left empty (gateway.required_fields) and every value out of its bound,
each by its full path (`source.account_id`, `filter.states[0]`), all in one refusal, so
an oversized or malformed value never reaches the ledger, a registry's URL or an error
message whole.

A field's bound is the first of:

1. `BY_FIELD`, keyed by the proto field's full name
   (`carbon.gateway.v1.ResolveTransferRequest.reason`);
2. `BY_NAME`, keyed by the field's own name wherever it appears (`transfer_id`,
   `page_token`): one kind of id has one grammar in every service, added ones included;
3. `BY_TYPE`, the stated default of the field's type (a string is at most 128
   characters of text without control characters; an integer is not negative).

Ids whose grammar the domain states (account and transfer ids, owner key ids and
nonces, organisations) are checked by the domain's own functions, called here first;
the bounds add no second copy. Enums refuse every number their descriptor does not
define: proto3 enums are open, so any number arrives. Empty values are the REQUIRED
check's business, so a bound judges only what was sent. A refusal lists at most
`MAX_NAMED` violations and each description is cut to `MAX_DESCRIPTION` characters,
so the reply (message and details travel in gRPC trailers) stays small whatever came in.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from compliance_rules.iso_codes import iso_country
from domain import deliveries as event_deliveries
from domain import paging, signed_requests
from domain.errors import FieldViolation, InvalidInput, quoted
from domain.finance import RECORD_ID_RULE, require_record_id
from domain.serials import MAX_UNIT_NUMBER
from domain.transfers import (
    ACCOUNT_ID_RULE,
    ID_MAX_LENGTH,
    TRANSFER_ID_RULE,
    require_account_id,
    require_transfer_id,
)
from gateway import required_fields

Grammar = Callable[[str, str], object]  # (value, full path): raises InvalidInput naming the path

DEFAULT_MAX_STRING = 128
DEFAULT_MAX_BYTES = 1024
DEFAULT_MAX_COUNT = 100
MAX_CSV = 4 * 1024 * 1024  # the server reads no larger request (gateway.server.MAX_MESSAGE_BYTES)
MAX_NAMED = 8
MAX_DESCRIPTION = 300
MAX_REFUSAL = MAX_NAMED * (MAX_DESCRIPTION + 2)  # the longest message `check` raises
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# google.protobuf.Timestamp's own range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)


@dataclass(frozen=True)
class Bound:
    """What one field may hold. Each kind sets the limits its type reads; `rule` says it in words."""

    rule: str
    max_length: int | None = None  # strings: characters; bytes: bytes
    grammar: Grammar | None = None  # strings: the shape a non-empty value must have
    low: int | float | None = None  # numbers: the inclusive range
    high: int | float | None = None
    max_count: int = DEFAULT_MAX_COUNT  # repeated fields: elements
    unspecified: bool = True  # enums: whether the zero value may be sent (in a repeated field, say)


def _pattern(pattern: str, rule: str) -> Grammar:
    """A grammar matched whole (a trailing newline is refused, not let through by `$`)."""
    compiled = re.compile(pattern)

    def judge(value: str, path: str) -> None:
        if not compiled.fullmatch(value):
            raise InvalidInput(f"{path} is malformed: {quoted(value)}; {rule}", field=path)

    return judge


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str, path: str) -> None:
    """Words for people: any script, but no control characters, no bidi overrides, not blank.

    Control characters forge log lines; bidirectional overrides make text read
    otherwise than it is stored ("Trojan Source").
    """
    if not value.strip():
        raise InvalidInput(f"{path} is blank", field=path)
    for char in value:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            kind = "a control character" if char not in _BIDI_CONTROLS else "a bidirectional control"
            raise InvalidInput(f"{path} contains {kind} (U+{ord(char):04X}): {quoted(value)}", field=path)


def _country(value: str, path: str) -> None:
    try:
        iso_country(value)
    except ValueError:
        raise InvalidInput(
            f"{path} is not an ISO 3166-1 alpha-2 country code in capitals: {quoted(value)}", field=path
        ) from None


def _page_token(value: str, path: str) -> None:
    paging.require_token_shape(value, path)


def _key_id(value: str, path: str) -> None:
    signed_requests.require_key_id(value, path)


def _nonce(value: str, path: str) -> None:
    signed_requests.require_nonce(value)


def _org(value: str, path: str) -> None:
    signed_requests.require_org(value, path)


def _id_like(characters: str, max_length: int) -> str:
    """ASCII letters and digits plus `characters`, starting and ending with a letter or digit."""
    inner = re.escape(characters)
    return rf"[A-Za-z0-9](?:[A-Za-z0-9{inner}]{{0,{max_length - 2}}}[A-Za-z0-9])?"


def text(max_length: int, what: str = "text") -> Bound:
    return Bound(
        rule=f"{what}: at most {max_length} characters, not blank, no control characters or bidi overrides",
        max_length=max_length,
        grammar=_text,
    )


# The kinds: one grammar per kind of value, named by what it holds.
TRANSFER_ID = Bound(rule=TRANSFER_ID_RULE, max_length=ID_MAX_LENGTH, grammar=require_transfer_id)
ACCOUNT_ID = Bound(rule=ACCOUNT_ID_RULE, max_length=ID_MAX_LENGTH, grammar=require_account_id)
_REGISTRY_RULE = (
    "registry ids are 1-64 lowercase ASCII letters, digits and -, starting and ending with a letter "
    "or digit (ListRegistries names every one)"
)
REGISTRY_ID = Bound(
    rule=_REGISTRY_RULE,
    max_length=64,
    grammar=_pattern(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", _REGISTRY_RULE),
)
_REFERENCE_RULE = (
    "references are 1-128 ASCII letters, digits and . _ : @ / # + -, starting and ending with a letter "
    "or digit"
)
REFERENCE = Bound(
    rule=_REFERENCE_RULE,
    max_length=ID_MAX_LENGTH,
    grammar=_pattern(_id_like("._:@/#+-", 128), _REFERENCE_RULE),
)
_CODE_RULE = "codes are 1-64 ASCII letters, digits and . _ : / -, starting and ending with a letter or digit"
CODE = Bound(rule=_CODE_RULE, max_length=64, grammar=_pattern(_id_like("._:/-", 64), _CODE_RULE))
COUNTRY = Bound(
    rule="an ISO 3166-1 alpha-2 country code in capitals (CN, VU)", max_length=2, grammar=_country
)
_SERIAL_RULE = "serials are at most 256 printable ASCII characters, in the registry's grammar"
SERIAL = Bound(rule=_SERIAL_RULE, max_length=256, grammar=_pattern(r"[\x20-\x7e]{1,256}", _SERIAL_RULE))
PAGE_TOKEN = Bound(rule=paging.TOKEN_RULE, max_length=paging.MAX_TOKEN_LENGTH, grammar=_page_token)
KEY_ID = Bound(rule=signed_requests.KEY_ID_RULE, max_length=71, grammar=_key_id)
NONCE = Bound(rule=signed_requests.NONCE_RULE, max_length=128, grammar=_nonce)
ORG = Bound(
    rule="an organisation as a certificate's O: 1-128 characters, no control characters or outer spaces",
    max_length=128,
    grammar=_org,
)
_METHOD_RULE = "a method's full path, /package.Service/Method"
METHOD = Bound(
    rule=_METHOD_RULE,
    max_length=256,
    grammar=_pattern(r"/[A-Za-z0-9_.]{1,200}/[A-Za-z0-9_]{1,54}", _METHOD_RULE),
)
CSV = Bound(
    rule=f"CSV text of at most {MAX_CSV} characters (the message limit); no field over 131072 characters",
    max_length=MAX_CSV,
)
PAGE_SIZE = Bound(rule="0 or more: 0 serves 50, more than 500 serves 500", low=0, high=INT32_MAX)
QUANTITY = Bound(rule=f"a positive number of units, at most {MAX_UNIT_NUMBER}", low=1, high=MAX_UNIT_NUMBER)
# FinanceService's own records (library entries, loans, pledges, repos, accounts): one grammar.
RECORD_ID = Bound(rule=RECORD_ID_RULE, max_length=128, grammar=require_record_id)
# Where 0 (not sent) means "the whole block", as in FinanceService's requests.
SOME_OR_ALL = Bound(
    rule=f"0 (all of them) or a number of units up to {MAX_UNIT_NUMBER}", low=0, high=MAX_UNIT_NUMBER
)
YEAR = Bound(rule="a year from 1900 to 2199", low=1900, high=2199)
TONNES = Bound(rule="whole tCO2e, 0 to 999999999999999", low=0, high=999_999_999_999_999)
TREE_SIZE = Bound(rule="a settlement log size, 0 or more", low=0, high=INT64_MAX)
MWH = Bound(rule="finite MWh, 0 to 1e12", low=0.0, high=1e12)
SECONDS = Bound(
    rule="seconds within 0001-01-01 and 9999-12-31 (UTC)", low=TIMESTAMP_SECONDS[0], high=TIMESTAMP_SECONDS[1]
)
NANOS = Bound(rule="nanoseconds, 0 to 999999999", low=0, high=999_999_999)
PUBLIC_KEY = Bound(rule="a DER SubjectPublicKeyInfo of at most 1024 bytes", max_length=1024)
SIGNATURE = Bound(rule="a signature of at most 256 bytes", max_length=256)
STATES = Bound(
    rule="at most 16 states, each one TransferState defines other than unspecified",
    max_count=16,
    unspecified=False,
)

# By the field's own name, wherever it appears.
BY_NAME: dict[str, Bound] = {
    "transfer_id": TRANSFER_ID,
    "account_id": ACCOUNT_ID,
    "registry_id": REGISTRY_ID,
    "serial": SERIAL,
    "page_token": PAGE_TOKEN,
    "page_size": PAGE_SIZE,
    "quantity": QUANTITY,
    "compliance_year": YEAR,
    "year": YEAR,
    "authorisation_id": REFERENCE,
    "issuance_id": REFERENCE,
    "certificate_id": REFERENCE,
    "pledge_id": RECORD_ID,
    "repo_id": RECORD_ID,
    "loan_id": RECORD_ID,
    "entry_id": RECORD_ID,
    "plant_id": REFERENCE,
    "cooperative_approach_id": REFERENCE,
    "programme": CODE,
    "project_id": CODE,
    "vintage": CODE,
    "host_party": COUNTRY,
    "csv": CSV,
    "key_id": KEY_ID,
    "nonce": NONCE,
    "owner_org": ORG,
    "holder_org": ORG,
    "generated_mwh": MWH,
    "credited_mwh": MWH,
    "mwh": MWH,
}

_V1 = "carbon.gateway.v1"
# By the field's full name: where one field differs from its name's kind, or has no such kind.
BY_FIELD: dict[str, Bound] = {
    f"{_V1}.TransferFilter.states": STATES,
    f"{_V1}.ResolveTransferRequest.reason": text(1000, "a sentence"),
    f"{_V1}.ResolveTransferRequest.operator": ACCOUNT_ID,
    f"{_V1}.RevokeOwnerKeyRequest.reason": text(128, "a sentence"),
    f"{_V1}.RecordAuthorisationRequest.mitigation_type": text(128),
    f"{_V1}.RecordPledgeRequest.lender": text(256, "a name"),
    f"{_V1}.RecordCoveredEntityRequest.entity_id": ACCOUNT_ID,
    f"{_V1}.RecordCoveredEntityRequest.name": text(256, "a name"),
    f"{_V1}.RecordCoveredEntityRequest.market": REGISTRY_ID,
    f"{_V1}.RecordCoveredEntityRequest.verified_emissions": Bound(rule="at most 300 years", max_count=300),
    f"{_V1}.VerifiedEmissions.tonnes": TONNES,
    f"{_V1}.GetConsistencyProofRequest.from_size": TREE_SIZE,
    # FinanceService: pledges and repos
    f"{_V1}.PledgeRequest.quantity": SOME_OR_ALL,
    f"{_V1}.OpenRepoRequest.quantity": SOME_OR_ALL,
    f"{_V1}.OpenRepoRequest.repurchase_quantity": SOME_OR_ALL,
    f"{_V1}.OpenRepoRequest.buyer": ORG,
    f"{_V1}.RetireForBeneficiaryRequest.quantity": SOME_OR_ALL,
    # FinanceService: library, loans and enterprise accounts
    **{
        f"{_V1}.{field}": Bound(
            rule="ids are 1-128 ASCII letters, digits and . _ : -, starting with a letter or digit",
            max_length=128,
            grammar=_pattern(
                r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", "ids are ASCII letters, digits and . _ : -"
            ),
        )
        for field in (
            "LibraryEntry.entry_id",
            "SetLibraryEntryStatusRequest.entry_id",
            "LinkLibraryProjectRequest.entry_id",
            "GetLibraryEntryRequest.entry_id",
            "GreenLoan.loan_id",
            "GetGreenLoanRequest.loan_id",
        )
    },
    f"{_V1}.LibraryEntry.name": text(256, "a name"),
    f"{_V1}.LibraryEntry.owner_entity": text(256, "a name or a covered entity's id"),
    f"{_V1}.LibraryEntry.location": Bound(
        rule="an ISO 3166-2 subdivision (CN-GD) or ISO 3166-1 alpha-2 country (ID)",
        max_length=6,
        grammar=_pattern(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", "an ISO 3166-2 subdivision or ISO 3166-1 country"),
    ),
    f"{_V1}.LibraryEntry.expected_reductions_t": TONNES,
    f"{_V1}.LibraryEntry.status_note": text(1000, "a sentence"),
    f"{_V1}.LibraryEntry.projects": Bound(rule="at most 100 projects", max_count=100),
    f"{_V1}.SetLibraryEntryStatusRequest.note": text(1000, "a sentence"),
    f"{_V1}.Money.currency_code": Bound(
        rule="an ISO 4217 alphabetic code in capitals (CNY, HKD, USD)",
        max_length=3,
        grammar=_pattern(r"[A-Z]{3}", "an ISO 4217 alphabetic code in capitals (CNY, HKD, USD)"),
    ),
    f"{_V1}.Money.amount": Bound(
        rule="a non-negative decimal with at most 15 whole and 2 fraction digits (1250000.00)",
        max_length=18,
        grammar=_pattern(r"\d{1,15}(\.\d{1,2})?", "a non-negative decimal with at most 2 fraction digits"),
    ),
    f"{_V1}.GreenLoan.borrower_entity": text(256, "a name or a covered entity's id"),
    f"{_V1}.GreenLoan.library_entry_ids": Bound(
        rule="at most 50 library entry ids, each 1-128 ASCII letters, digits and . _ : -",
        max_length=128,
        grammar=_pattern(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", "ids are ASCII letters, digits and . _ : -"),
        max_count=50,
    ),
    f"{_V1}.GreenLoan.projects": Bound(rule="at most 50 projects", max_count=50),
    f"{_V1}.GreenLoan.use_of_proceeds": text(1000, "a sentence"),
    **{
        f"{_V1}.GreenLoan.{field}": Bound(
            rule="a date, YYYY-MM-DD",
            max_length=10,
            grammar=_pattern(r"\d{4}-\d{2}-\d{2}", "a date, YYYY-MM-DD"),
        )
        for field in ("sign_date", "maturity_date")
    },
    f"{_V1}.GetEnterpriseAccountRequest.entity_id": ACCOUNT_ID,
    # FinanceService: public-benefit accounts and retirements
    f"{_V1}.PublicBenefitAccount.account_id": RECORD_ID,
    f"{_V1}.PublicBenefitAccount.display_name": text(256, "a name"),
    f"{_V1}.RetireForBeneficiaryRequest.account_id": RECORD_ID,
    f"{_V1}.RetireForBeneficiaryRequest.reason": text(500, "a sentence"),
    # Its transfers are `retire-<id>` and `retire-<id>-buy`, which must fit a transfer id.
    **{
        f"{_V1}.{request}.retirement_id": Bound(
            rule=f"{TRANSFER_ID_RULE}; at most 117 characters (its purchase is retire-<id>-buy)",
            max_length=117,
            grammar=require_transfer_id,
        )
        for request in ("RetireForBeneficiaryRequest", "GetRetirementCertificateRequest")
    },
    # FinanceService: subscriptions, deliveries and the event stream
    f"{_V1}.Subscription.endpoint_url": Bound(
        rule=event_deliveries.ENDPOINT_RULE,
        max_length=event_deliveries.MAX_ENDPOINT_LENGTH,
        grammar=event_deliveries.require_endpoint_url,
    ),
    f"{_V1}.Subscription.kinds": Bound(
        rule=event_deliveries.KINDS_RULE,
        max_length=32,
        grammar=event_deliveries.require_event_kind,
        max_count=event_deliveries.MAX_KINDS,
    ),
    f"{_V1}.WatchFinanceEventsRequest.kinds": Bound(
        rule=event_deliveries.KINDS_RULE,
        max_length=32,
        grammar=event_deliveries.require_event_kind,
        max_count=event_deliveries.MAX_KINDS,
    ),
    f"{_V1}.Subscription.subscription_id": REFERENCE,
    f"{_V1}.Subscription.owner": ORG,
    f"{_V1}.ListDeliveriesRequest.subscription_id": REFERENCE,
    f"{_V1}.ReplayDeliveriesRequest.subscription_id": REFERENCE,
    f"{_V1}.GetConsistencyProofRequest.to_size": TREE_SIZE,
    # OversightService: reconciliation (a finding id is its run's id, a dash and five digits)
    **{
        f"{_V1}.{request}.reconciliation_id": RECORD_ID
        for request in (
            "RunReconciliationRequest",
            "GetReconciliationRequest",
            "GetReconciliationReportRequest",
            "ResolveFindingRequest",
        )
    },
    f"{_V1}.ResolveFindingRequest.finding_id": Bound(
        rule=f"{RECORD_ID_RULE}; at most 140 characters",
        max_length=140,
        grammar=_pattern(
            r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}-\d{5}", "a finding id is <reconciliation id>-<5 digits>"
        ),
    ),
    f"{_V1}.ResolveFindingRequest.note": text(2000, "a note"),
    f"{_V1}.AuditEventFilter.method": METHOD,
    f"{_V1}.AuditEventFilter.org": ORG,
    f"{_V1}.AuditEventFilter.outcome": text(32, "a gRPC status code name"),
    f"{_V1}.RegisterOwnerKeyRequest.public_key": PUBLIC_KEY,
    f"{_V1}.SubmitSignedTransferRequest.signature": SIGNATURE,
    "google.protobuf.Timestamp.seconds": SECONDS,
    "google.protobuf.Timestamp.nanos": NANOS,
}

_INT_TYPES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), INT32_MAX),
    FieldDescriptor.TYPE_SINT32: (-(2**31), INT32_MAX),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), INT32_MAX),
    FieldDescriptor.TYPE_INT64: (-(2**63), INT64_MAX),
    FieldDescriptor.TYPE_SINT64: (-(2**63), INT64_MAX),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), INT64_MAX),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOAT_TYPES = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)

# The stated default of each type, for every field neither table names.
BY_TYPE: dict[int, Bound] = {
    FieldDescriptor.TYPE_STRING: text(DEFAULT_MAX_STRING),
    FieldDescriptor.TYPE_BYTES: Bound(
        rule=f"at most {DEFAULT_MAX_BYTES} bytes", max_length=DEFAULT_MAX_BYTES
    ),
    FieldDescriptor.TYPE_ENUM: Bound(rule="a number the enum defines"),
    FieldDescriptor.TYPE_BOOL: Bound(rule="true or false"),
    FieldDescriptor.TYPE_MESSAGE: Bound(rule=f"at most {DEFAULT_MAX_COUNT} elements when repeated"),
    **{kind: Bound(rule="finite, -1e15 to 1e15", low=-1e15, high=1e15) for kind in _FLOAT_TYPES},
    **{kind: Bound(rule=f"0 to {high}", low=0, high=high) for kind, (_, high) in _INT_TYPES.items()},
}


def bound_for(field: FieldDescriptor) -> Bound:
    """The bound of `field`: by its full name, else by its name, else its type's default."""
    return BY_FIELD.get(field.full_name) or BY_NAME.get(field.name) or BY_TYPE[field.type]


def describe(field: FieldDescriptor) -> str:
    """The bound of `field` in words, as docs/api.md shows it."""
    bound = bound_for(field)
    if field.full_name in BY_FIELD:  # stated for this field, its count included
        return bound.rule
    if field.is_repeated:
        each = "" if field.type == FieldDescriptor.TYPE_MESSAGE else f", each: {_rule(field, bound)}"
        return f"at most {bound.max_count} elements{each}"
    return _rule(field, bound)


def _rule(field: FieldDescriptor, bound: Bound) -> str:
    """What one value may be ("" for a message or a bool: nothing beyond their fields and type)."""
    if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_BOOL):
        return ""
    if field.type == FieldDescriptor.TYPE_ENUM and bound is BY_TYPE[field.type]:
        return f"a value {cast(EnumDescriptor, field.enum_type).name} defines"
    return bound.rule


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _string_problem(bound: Bound, value: str, path: str) -> list[FieldViolation]:
    if bound.max_length is not None and len(value) > bound.max_length:
        return [FieldViolation(path, f"{path} is {len(value)} characters long (at most {bound.max_length})")]
    if bound.grammar is None or not value:
        return []
    try:
        bound.grammar(value, path)
    except InvalidInput as refused:
        return [FieldViolation(path, v.description) for v in refused.violations]
    return []


def _number_problem(bound: Bound, value: float, path: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} must be a finite number, got {value!r}"
    low = -math.inf if bound.low is None else bound.low
    high = math.inf if bound.high is None else bound.high
    if not low <= value <= high:
        return f"{path} must be from {bound.low} to {bound.high}, got {value!r}"
    return None


def _enum_problem(field: FieldDescriptor, bound: Bound, value: int, path: str) -> str | None:
    enum = cast(EnumDescriptor, field.enum_type)
    if value in enum.values_by_number and (value != 0 or bound.unspecified):
        return None
    names = [v.name for v in enum.values if v.number != 0 or bound.unspecified]
    # Every value is written with the enum's prefix (AIP-126): the unspecified value shows which.
    unspecified = enum.values_by_number.get(0)
    prefix = unspecified.name.removesuffix("UNSPECIFIED") if unspecified is not None else ""
    if not all(name.startswith(prefix) for name in names):
        prefix = ""
    choices = ", ".join(name.removeprefix(prefix) for name in names)
    return f"{path} is {value}, not a {enum.name} allowed here: use {prefix}{{{choices}}}"


def _scalar(field: FieldDescriptor, bound: Bound, value: object, path: str) -> list[FieldViolation]:
    """What is wrong with one value (a singular field's, or one element of a repeated one)."""
    if field.type == FieldDescriptor.TYPE_STRING:
        return _string_problem(bound, cast(str, value), path)
    problem: str | None = None
    if field.type == FieldDescriptor.TYPE_BYTES:
        size = len(cast(bytes, value))
        if bound.max_length is not None and size > bound.max_length:
            problem = f"{path} is {size} bytes long (at most {bound.max_length})"
    elif field.type == FieldDescriptor.TYPE_ENUM:
        problem = _enum_problem(field, bound, cast(int, value), path)
    elif field.type in _INT_TYPES or field.type in _FLOAT_TYPES:
        problem = _number_problem(bound, cast(float, value), path)
    return [] if problem is None else [FieldViolation(path, problem)]


class _Walk:
    """One walk of a request, depth first in field order; `cut` says a repeated field was too long
    to walk into (so the REQUIRED check, which walks every element, is not run over it)."""

    def __init__(self) -> None:
        self.found: list[FieldViolation] = []
        self.cut = False

    def message(self, message: Message, prefix: str) -> None:
        for field, value in message.ListFields():
            path = f"{prefix}{field.name}"
            bound = bound_for(field)
            if not field.is_repeated:
                self.value(field, bound, value, path)
                continue
            count = len(value)
            if count > bound.max_count:
                self.found.append(
                    FieldViolation(path, f"{path} has {count} elements (at most {bound.max_count})")
                )
                self.cut = True
                continue
            elements = cast(Sequence[object], list(value.items()) if _is_map(field) else value)
            for index, element in enumerate(elements):
                self.element(field, bound, element, f"{path}[{index}]")

    def value(self, field: FieldDescriptor, bound: Bound, value: object, path: str) -> None:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            self.message(cast(Message, value), f"{path}.")
        else:
            self.found += _scalar(field, bound, value, path)

    def element(self, field: FieldDescriptor, bound: Bound, element: object, path: str) -> None:
        if not _is_map(field):
            self.value(field, bound, element, path)
            return
        entry = cast(Descriptor, field.message_type)
        key, value = cast(tuple[object, object], element)
        for part, item in (("key", key), ("value", value)):
            part_field = entry.fields_by_name[part]
            self.value(part_field, bound_for(part_field), item, f"{path}.{part}")


def violations(message: Message) -> list[FieldViolation]:
    """Every REQUIRED field `message` leaves empty, then every value out of its bound, by full path."""
    walk = _Walk()
    walk.message(message, "")
    if walk.cut:
        return walk.found
    missing = [FieldViolation(path, f"{path} is required") for path in required_fields.missing(message)]
    return missing + walk.found


def _cut(description: str) -> str:
    return description if len(description) <= MAX_DESCRIPTION else description[: MAX_DESCRIPTION - 3] + "..."


def check(message: Message) -> None:
    """InvalidInput naming every empty REQUIRED field and every value of `message` out of its bounds
    (at most MAX_NAMED of them, then how many more); nothing when the request is within them all."""
    found = [FieldViolation(v.field, _cut(v.description)) for v in violations(message)]
    if len(found) > MAX_NAMED:
        more = len(found) - MAX_NAMED + 1
        found = [
            *found[: MAX_NAMED - 1],
            FieldViolation(found[MAX_NAMED - 1].field, f"and {more} more violations"),
        ]
    if found:
        raise InvalidInput.of(found)
