"""The ids and purpose a transfer request may carry, and how stored rows from before them still load."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from compliance_rules import Purpose as ReExportedPurpose
from domain.errors import InvalidInput, quoted
from domain.serials import SerialBlock
from domain.transfers import (
    AccountRef,
    Purpose,
    Transfer,
    TransferRequest,
    require_account_id,
    require_transfer_id,
)
from gateway.wire import purpose_from_proto, purpose_to_proto, transfer_request_from_proto
from ledger.models import TransferRow
from ledger.transfer_rows import from_row, to_row
from protos.carbon.gateway.v1 import transfer_pb2

GOOD_ACCOUNTS = [
    "demo-sz-emitter",
    "acct-12-dest",
    "HKCC-00981",
    "4471",
    "a",
    "desk/7",
    "ops@bank.example",
    "A_b:c.d",
]
BAD_ACCOUNTS = {
    "empty": ("", "is empty"),
    "blank": ("   ", "whitespace (U+0020)"),
    "nul-suffixed": ("demo-sz-emitter\x00", "control character (U+0000)"),
    "rtl-override": ("\u202edemo-sz-emitter", "invisible format character (U+202E)"),
    "zero-width": ("demo-sz-\u200bemitter", "invisible format character (U+200B)"),
    "bom": ("\ufeffdemo-sz-emitter", "invisible format character (U+FEFF)"),
    "trailing-newline": ("demo-sz-emitter\n", "whitespace (U+000A)"),
    "tab": ("demo\tsz", "whitespace (U+0009)"),
    "cyrillic-e": ("demo-sz-\u0435mitter", "outside the allowed alphabet (U+0435)"),
    "fullwidth-digit": ("acct-\uff11", "outside the allowed alphabet (U+FF11)"),
    "too-long": ("a" * 129, "129 characters long"),
    "leading-dash": ("-demo", "start and end with a letter or digit"),
    "trailing-slash": ("desk/", "start and end with a letter or digit"),
    "comma": ("a,b", "outside the allowed alphabet (U+002C)"),
}


@pytest.mark.parametrize("account_id", GOOD_ACCOUNTS)
def test_registry_account_ids_are_accepted(account_id):
    assert require_account_id(account_id, "destination.account_id") == account_id
    assert require_account_id("a" * 128, "destination.account_id")


@pytest.mark.parametrize(("account_id", "why"), BAD_ACCOUNTS.values(), ids=list(BAD_ACCOUNTS))
def test_look_alike_account_ids_are_refused_naming_the_full_path(account_id, why):
    with pytest.raises(InvalidInput) as refused:
        require_account_id(account_id, "destination.account_id")
    assert refused.value.field == "destination.account_id"
    assert why in refused.value.message
    assert refused.value.message.startswith("destination.account_id ")


def test_an_oversized_id_is_never_echoed_whole():
    huge = "x" * 100_000
    for check in (require_account_id, require_transfer_id):
        with pytest.raises(InvalidInput) as refused:
            check(huge, "f")
        assert len(refused.value.message) < 300
        assert "(100000 characters)" in refused.value.message
    assert quoted("short") == "'short'"


@pytest.mark.parametrize("transfer_id", ["t\n", "t\r\n", " t", "t ", "t/1", "t\u200b", "x" * 129, "", "-t"])
def test_malformed_transfer_ids_are_refused(transfer_id):
    with pytest.raises(InvalidInput) as refused:
        _request(transfer_id=transfer_id)
    assert refused.value.field == "transfer_id"


@pytest.mark.parametrize("side", ["source", "destination"])
def test_a_request_checks_both_sides_of_the_transfer(side):
    with pytest.raises(InvalidInput) as refused:
        _request(**{side: AccountRef(registry_id="cn-sz-ets", account_id="demo-sz-emitter\x00")})
    assert refused.value.field == f"{side}.account_id"


def test_the_purpose_is_an_enum_defaulting_to_unspecified():
    assert _request().purpose is Purpose.UNSPECIFIED
    assert _request(purpose=Purpose.NDC).purpose is Purpose.NDC
    assert ReExportedPurpose is Purpose  # compliance_rules keeps its import working
    for look_alike in ("NDC\u200b", "N.D.C.", "ND\u0421", "ndc"):
        with pytest.raises(ValueError):
            _request(purpose=look_alike)


def test_every_purpose_crosses_the_wire_both_ways():
    numbers = {purpose_to_proto(p) for p in Purpose}
    assert numbers == set(transfer_pb2.Purpose.values())
    assert all(purpose_from_proto(purpose_to_proto(p)) is p for p in Purpose)


@pytest.mark.parametrize("number", [5, 99, -1])
def test_an_unknown_purpose_number_is_refused_naming_purpose(number):
    msg = _submit()
    msg.purpose = number  # proto3 enums are open: any number arrives
    with pytest.raises(InvalidInput) as refused:
        transfer_request_from_proto(msg)
    assert refused.value.field == "purpose"


def test_wire_names_each_bad_field_by_its_full_path():
    cases = {
        "source.registry_id": lambda m: m.source.ClearField("registry_id"),
        "destination.account_id": lambda m: setattr(m.destination, "account_id", "   "),
        "source.account_id": lambda m: setattr(m.source, "account_id", "\u202eowner"),
        "transfer_id": lambda m: setattr(m, "transfer_id", "t-1\n"),
    }
    for field, spoil in cases.items():
        msg = _submit()
        spoil(msg)
        with pytest.raises(InvalidInput) as refused:
            transfer_request_from_proto(msg)
        assert refused.value.field == field
    assert transfer_request_from_proto(_submit()).purpose is Purpose.OFFSET


@pytest.mark.parametrize(
    ("stored", "loaded"),
    [
        ("NDC", Purpose.NDC),
        ("offset", Purpose.OFFSET),
        ("", Purpose.UNSPECIFIED),
        # Free text from before the enum loads as the old reader judged it ...
        (" ndc ", Purpose.NDC),
        ("Voluntary", Purpose.VOLUNTARY),
        # ... and look-alikes or prose, which the checks took for no purpose, as unspecified.
        ("NDC\u200b", Purpose.UNSPECIFIED),
        ("N.D.C.", Purpose.UNSPECIFIED),
        ("ND\u0421", Purpose.UNSPECIFIED),
        ("cross-border voluntary trading", Purpose.UNSPECIFIED),
    ],
)
def test_stored_rows_load_whatever_purpose_text_they_hold(stored, loaded):
    row = to_row(_transfer())
    row.purpose = stored
    assert from_row(row).request.purpose is loaded


def test_the_ledger_stores_the_purpose_value_and_reads_it_back():
    transfer = _transfer(purpose=Purpose.OIMP)
    row = to_row(transfer)
    assert row.purpose == "OIMP"
    assert from_row(row).request == transfer.request


def test_a_row_with_ids_refused_today_still_loads():
    row: TransferRow = to_row(_transfer())
    row.transfer_id, row.destination_account_id = "legacy-1\n", "demo-sz-emitter\u200b"
    loaded = from_row(row)
    assert (loaded.transfer_id, loaded.request.destination.account_id) == (
        "legacy-1\n",
        "demo-sz-emitter\u200b",
    )


def _request(**change: object) -> TransferRequest:
    fields: dict[str, object] = {
        "transfer_id": "t-1",
        "source": AccountRef(registry_id="cn-ccer", account_id="owner"),
        "destination": AccountRef(registry_id="cn-sz-ets", account_id="demo-sz-emitter"),
        "serial": "CCER-CN-100231-2024-3-1-50",
    }
    return TransferRequest(**(fields | change))


def _submit() -> transfer_pb2.SubmitTransferRequest:
    return transfer_pb2.SubmitTransferRequest(
        transfer_id="t-1",
        source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id="owner"),
        destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id="demo-sz-emitter"),
        serial="CCER-CN-100231-2024-3-1-50",
        purpose=transfer_pb2.PURPOSE_OFFSET,
    )


def _transfer(purpose: Purpose = Purpose.UNSPECIFIED) -> Transfer:
    block = SerialBlock(
        programme="CCER",
        serial_space="CCER:100231:2024:3",
        project_id="100231",
        vintage="2024",
        unit_type="CCER",
        country="CN",
        start=1,
        end=50,
        attributes={"batch": "3"},
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Transfer(request=_request(purpose=purpose), block=block, created_at=now, updated_at=now)
