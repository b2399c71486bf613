"""The canonical bytes of one settled transfer: what a leaf of the settlement log is.

A third party must be able to rebuild these bytes from a settlement they hold
and find its leaf in an anchored tree, so the layout is fixed, versioned and
documented byte for byte in docs/anchoring.md (with a worked example that a
test checks). Layout, version 1:

    version      1 byte, 0x01
    14 fields    each a 4-byte big-endian length, then that many bytes

Text fields are UTF-8 exactly as recorded (no normalisation); integers are
8 bytes big-endian, unsigned except `settled_at`, which is signed microseconds
since 1970-01-01T00:00:00Z. Field order is `FIELD_ORDER`.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.errors import InvalidInput
from domain.transfers import AccountRef, Transfer
from domain.units import UnitClass
from ledger_anchor.merkle import leaf_hash

LEAF_VERSION = 1
U64_MAX = 2**64 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LENGTH = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")

FIELD_ORDER = (
    "transfer_id",
    "source_registry",
    "source_account",
    "destination_registry",
    "destination_account",
    "serial_space",
    "programme",
    "unit_type",
    "project_id",
    "vintage",
    "start",
    "end",
    "quantity",
    "settled_at",
)
_TEXT_FIELDS = FIELD_ORDER[:10]


class SettlementRecord(BaseModel):
    """One settled transfer, as the settlement log commits to it."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str = Field(min_length=1)
    source: AccountRef
    destination: AccountRef
    serial_space: str = Field(min_length=1)
    programme: str = Field(min_length=1)
    unit_type: str = Field(min_length=1)
    project_id: str
    vintage: str
    start: int = Field(ge=0, le=U64_MAX)
    end: int = Field(ge=0, le=U64_MAX)
    quantity: int = Field(ge=1, le=U64_MAX)
    settled_at: datetime

    @field_validator("settled_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput("settled_at must carry a time zone", field="settled_at")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _quantity_matches_block(self) -> SettlementRecord:
        if self.quantity != self.end - self.start + 1:
            raise InvalidInput(
                f"quantity {self.quantity} does not match serials {self.start}..{self.end}",
                field="quantity",
            )
        return self

    @property
    def unit_class(self) -> UnitClass:
        return UnitClass(programme=self.programme, unit_type=self.unit_type)

    @classmethod
    def from_transfer(cls, transfer: Transfer, settled_at: datetime) -> SettlementRecord:
        """The record of `transfer` settling at `settled_at`."""
        block = transfer.block
        return cls(
            transfer_id=transfer.transfer_id,
            source=transfer.request.source,
            destination=transfer.request.destination,
            serial_space=block.serial_space,
            programme=block.programme,
            unit_type=block.unit_type,
            project_id=block.project_id,
            vintage=block.vintage,
            start=block.start,
            end=block.end,
            quantity=block.quantity,
            settled_at=settled_at,
        )


def settled_at_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch, exact (no float rounding)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def encode_settlement(record: SettlementRecord) -> bytes:
    """The version-1 leaf bytes of `record`."""
    texts = [
        record.transfer_id,
        record.source.registry_id,
        record.source.account_id,
        record.destination.registry_id,
        record.destination.account_id,
        record.serial_space,
        record.programme,
        record.unit_type,
        record.project_id,
        record.vintage,
    ]
    fields = [t.encode("utf-8") for t in texts]
    fields += [_U64.pack(record.start), _U64.pack(record.end), _U64.pack(record.quantity)]
    fields.append(_I64.pack(settled_at_micros(record.settled_at)))
    return bytes([LEAF_VERSION]) + b"".join(_LENGTH.pack(len(f)) + f for f in fields)


def settlement_leaf_hash(record: SettlementRecord) -> bytes:
    """The RFC 9162 leaf hash of `record`: SHA-256(0x00 || leaf bytes)."""
    return leaf_hash(encode_settlement(record))


def decode_settlement(leaf: bytes) -> SettlementRecord:
    """The record encoded in `leaf`; raises InvalidInput unless it is a well-formed version-1 leaf."""
    if not leaf or leaf[0] != LEAF_VERSION:
        raise InvalidInput(f"leaf is not a version {LEAF_VERSION} settlement", field="leaf")
    fields = _split_fields(leaf, 1)
    try:
        text = {name: fields[i].decode("utf-8") for i, name in enumerate(_TEXT_FIELDS)}
    except UnicodeDecodeError:
        raise InvalidInput("a text field of the leaf is not UTF-8", field="leaf") from None
    for name, raw in zip(FIELD_ORDER[10:], fields[10:], strict=True):
        if len(raw) != 8:
            raise InvalidInput(f"leaf field {name} is {len(raw)} bytes, not 8", field="leaf")
    micros = _I64.unpack(fields[13])[0]
    return SettlementRecord(
        transfer_id=text["transfer_id"],
        source=AccountRef(registry_id=text["source_registry"], account_id=text["source_account"]),
        destination=AccountRef(
            registry_id=text["destination_registry"], account_id=text["destination_account"]
        ),
        serial_space=text["serial_space"],
        programme=text["programme"],
        unit_type=text["unit_type"],
        project_id=text["project_id"],
        vintage=text["vintage"],
        start=_U64.unpack(fields[10])[0],
        end=_U64.unpack(fields[11])[0],
        quantity=_U64.unpack(fields[12])[0],
        settled_at=_EPOCH + timedelta(microseconds=micros),
    )


def _split_fields(leaf: bytes, offset: int) -> list[bytes]:
    fields = []
    while offset < len(leaf):
        if offset + _LENGTH.size > len(leaf):
            raise InvalidInput("leaf ends inside a length prefix", field="leaf")
        (length,) = _LENGTH.unpack_from(leaf, offset)
        offset += _LENGTH.size
        if offset + length > len(leaf):
            raise InvalidInput("leaf ends inside a field", field="leaf")
        fields.append(leaf[offset : offset + length])
        offset += length
    if len(fields) != len(FIELD_ORDER):
        raise InvalidInput(f"leaf has {len(fields)} fields, not {len(FIELD_ORDER)}", field="leaf")
    return fields
