"""What the audit log records about every state-changing call: who, what, when, and the outcome.

The log is a hash chain, so a regulator holding only the events can recompute it
offline and see whether any was changed, dropped or reordered. The canonical
bytes of an event are fixed and versioned (documented byte for byte in
docs/security.md, with a worked example a test checks). Layout, version 1:

    version      1 byte, 0x01
    9 fields     each a 4-byte big-endian length, then that many bytes of UTF-8

Fields, in `FIELD_ORDER`: `seq` in decimal ASCII digits (no sign, no leading
zeros), `at` as RFC 3339 in UTC with exactly six fractional digits and `Z`
(`2026-01-05T09:30:00.000000Z`), then the seven texts exactly as recorded.
An event's hash is SHA-256(previous event's hash || canonical bytes); the
first event's previous hash is empty, so its hash is SHA-256(canonical bytes).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

AUDIT_VERSION = 1
GENESIS_HASH = b""  # the "previous hash" of event 0
FIELD_ORDER = ("seq", "at", "role", "org", "caller", "method", "target", "outcome", "reason")
_LENGTH = struct.Struct(">I")


class AuditRecord(BaseModel):
    """One call, as the access interceptor saw it; the ledger chains it into the log.

    `outcome` is the gRPC status code name (`OK`, `PERMISSION_DENIED`, ...) and
    `reason` the domain error code when the call was refused (`SIGNATURE-REPLAYED`).
    `target` names what the call was about (a transfer id, a pledge id), cut short.
    """

    model_config = ConfigDict(frozen=True)

    at: datetime
    role: str = Field(max_length=32)
    org: str = Field(max_length=128)
    caller: str = Field(max_length=128)
    method: str = Field(max_length=128)
    target: str = Field(default="", max_length=128)
    outcome: str = Field(max_length=32)
    reason: str = Field(default="", max_length=64)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """A naive time would hash differently depending on the machine's zone: refused."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("an audit record's time must carry a time zone")
        return value.astimezone(UTC)


class AuditEvent(AuditRecord):
    """A record as the log holds it: its place in the chain and the hashes that bind it there."""

    seq: int = Field(ge=0)
    prev_hash: bytes
    hash: bytes


class ChainBreak(NamedTuple):
    """Where a chain stops being the one its events claim, and why."""

    seq: int
    why: str


def rfc3339(at: datetime) -> str:
    """`at` in UTC with microseconds, the one spelling the canonical bytes use."""
    u = at.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def canonical_bytes(seq: int, record: AuditRecord) -> bytes:
    """The bytes event `seq` commits to (version 1): what a regulator recomputes offline."""
    if seq < 0:
        raise ValueError(f"seq must not be negative, got {seq}")
    texts = (
        str(seq),
        rfc3339(record.at),
        record.role,
        record.org,
        record.caller,
        record.method,
        record.target,
        record.outcome,
        record.reason,
    )
    out = bytearray([AUDIT_VERSION])
    for text in texts:
        raw = text.encode("utf-8")
        out += _LENGTH.pack(len(raw)) + raw
    return bytes(out)


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    """SHA-256(prev_hash || canonical): each event's hash covers every event before it."""
    return hashlib.sha256(prev_hash + canonical).digest()


def chained(record: AuditRecord, seq: int, prev_hash: bytes) -> AuditEvent:
    """`record` as event `seq` after the event whose hash is `prev_hash`."""
    digest = chain_hash(prev_hash, canonical_bytes(seq, record))
    fields = {name: getattr(record, name) for name in AuditRecord.model_fields}
    return AuditEvent(**fields, seq=seq, prev_hash=prev_hash, hash=digest)


def first_break(
    events: Iterable[AuditEvent], start_hash: bytes = GENESIS_HASH, start_seq: int = 0
) -> ChainBreak | None:
    """The first place where `events` (in order) are not an unbroken chain; None when they are.

    They must be events `start_seq`, `start_seq + 1`, ... with no gap, each naming
    the hash before it (`start_hash` for the first) and holding the hash of its own
    fields. The seq reported is the one expected there, so a dropped event is named
    by its own seq.
    """
    expected_seq, expected_prev = start_seq, start_hash
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, f"expected event {expected_seq}, found event {event.seq}")
        if event.prev_hash != expected_prev:
            return ChainBreak(expected_seq, "its previous hash is not the hash of the event before it")
        if chain_hash(expected_prev, canonical_bytes(event.seq, event)) != event.hash:
            return ChainBreak(expected_seq, "its hash is not the hash of its fields")
        expected_seq, expected_prev = expected_seq + 1, event.hash
    return None


def verify_chain(
    events: Iterable[AuditEvent], start_hash: bytes = GENESIS_HASH, start_seq: int = 0
) -> int | None:
    """The seq of the first broken event, or None when every hash recomputes (see `first_break`)."""
    found = first_break(events, start_hash, start_seq)
    return None if found is None else found.seq
