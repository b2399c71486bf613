"""The settlement leaf encoding: the worked example in docs/anchoring.md is the golden answer."""

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest
from ledger_anchor.leaf import (
    FIELD_ORDER,
    SettlementRecord,
    decode_settlement,
    encode_settlement,
    settlement_leaf_hash,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "anchoring.md"


def _doc_block(marker: str) -> str:
    match = re.search(rf"<!-- worked-example:{marker} -->\s*```\w*\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match, f"docs/anchoring.md has no worked-example:{marker} block"
    return match.group(1).strip()


def _record(**changes) -> SettlementRecord:
    fields = json.loads(_doc_block("record")) | changes
    return SettlementRecord.model_validate(fields)


def test_worked_example_bytes_match_the_docs():
    leaf = encode_settlement(_record())
    assert leaf.hex() == _doc_block("leaf")
    assert len(leaf) == 170


def test_worked_example_hash_matches_the_docs():
    record = _record()
    expected = _doc_block("leaf-hash")
    assert settlement_leaf_hash(record).hex() == expected
    assert hashlib.sha256(b"\x00" + bytes.fromhex(_doc_block("leaf"))).hexdigest() == expected


def test_layout_is_version_byte_then_length_prefixed_fields():
    leaf = encode_settlement(_record())
    assert leaf[0] == 1
    offset, fields = 1, []
    while offset < len(leaf):
        length = int.from_bytes(leaf[offset : offset + 4], "big")
        fields.append(leaf[offset + 4 : offset + 4 + length])
        offset += 4 + length
    assert len(fields) == len(FIELD_ORDER) == 14
    assert fields[0] == b"tr-2024-07-000117"
    assert int.from_bytes(fields[10], "big") == 115597313
    assert int.from_bytes(fields[13], "big", signed=True) == 1721035812345678


def test_decoding_returns_the_record():
    record = _record()
    assert decode_settlement(encode_settlement(record)) == record


def test_every_field_changes_the_leaf():
    base = encode_settlement(_record())
    variants = [
        {"transfer_id": "tr-2024-07-000118"},
        {"source": {"registry_id": "verra", "account_id": "4472"}},
        {"destination": {"registry_id": "hk-core-climate", "account_id": "HKCC-00982"}},
        {"serial_space": "VCS2"},
        {"programme": "GS"},
        {"unit_type": "VER"},
        {"project_id": "1061"},
        {"vintage": "2019"},
        {"start": 115597314, "quantity": 999},
        {"end": 115598313, "quantity": 1001},
        {"settled_at": "2024-07-15T09:30:12.345679Z"},
    ]
    leaves = {encode_settlement(_record(**v)) for v in variants}
    assert base not in leaves
    assert len(leaves) == len(variants)


def test_length_prefixes_keep_adjacent_fields_apart():
    a = _record(source={"registry_id": "verra", "account_id": "4471"})
    b = _record(source={"registry_id": "verra4", "account_id": "471"})
    assert encode_settlement(a) != encode_settlement(b)


def test_settlement_time_is_utc_whatever_the_offset_given():
    local = datetime(2024, 7, 15, 17, 30, 12, 345678, tzinfo=timezone(timedelta(hours=8)))
    assert encode_settlement(_record(settled_at=local)) == encode_settlement(_record())


def test_refuses_naive_time_and_inconsistent_quantity():
    with pytest.raises(InvalidInput):
        _record(settled_at=datetime(2024, 7, 15, 9, 30))
    with pytest.raises(InvalidInput):
        _record(quantity=999)


@pytest.mark.parametrize(
    "leaf",
    [b"", b"\x02", bytes.fromhex("0100000011"), bytes.fromhex("01000000017a"), bytes.fromhex("0100000001ff")],
)
def test_refuses_malformed_leaves(leaf):
    with pytest.raises(InvalidInput):
        decode_settlement(leaf)


def test_from_transfer_takes_the_moved_block():
    block = SerialBlock(
        programme="VCS",
        serial_space="VCS",
        project_id="1060",
        vintage="01012019-31122019",
        unit_type="VCU",
        country="US",
        start=115597313,
        end=115598312,
    )
    request = TransferRequest(
        transfer_id="tr-2024-07-000117",
        source=AccountRef(registry_id="verra", account_id="4471"),
        destination=AccountRef(registry_id="hk-core-climate", account_id="HKCC-00981"),
        serial="9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0",
        quantity=1000,
    )
    now = datetime(2024, 7, 15, 9, 30, 12, 345678, tzinfo=UTC)
    transfer = Transfer(request=request, block=block, created_at=now, updated_at=now)
    assert SettlementRecord.from_transfer(transfer, now) == _record()


@given(
    text=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
    start=st.integers(min_value=0, max_value=2**40),
    quantity=st.integers(min_value=1, max_value=2**20),
    micros=st.integers(min_value=-(2**50), max_value=2**50),
)
def test_round_trip(text, start, quantity, micros):
    record = _record(
        transfer_id=text,
        project_id=text,
        start=start,
        end=start + quantity - 1,
        quantity=quantity,
        settled_at=datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros),
    )
    assert decode_settlement(encode_settlement(record)) == record
