"""Event deliveries to banks' endpoints: what a delivery is, the bytes it carries, how it is signed,
and which endpoints the gateway will POST to (docs/finance-events.md).

A delivery is one event's JSON, POSTed to the subscription's endpoint with three headers:

    Carbon-Gateway-Delivery:  <delivery id>   the same on every attempt and replay
    Carbon-Gateway-Timestamp: <unix seconds>  when this attempt was signed
    Carbon-Gateway-Signature: v1=<hex>        HMAC-SHA256 over  <timestamp> "." <delivery id> "." <body>

keyed by the subscription's secret (32 random bytes, shown to the bank as 64 hex digits: the
key is the bytes, not the hex text). Every attempt is signed afresh, so a receiver may refuse
old timestamps without refusing retries. The event's `data` is canonical JSON (sorted keys,
no spaces, UTF-8), the same bytes the gRPC stream's `data_json` carries.

Endpoints are `https://` URLs; `http://` only to a loopback host (development and tests), and
never with credentials or a fragment: the URL is shown back in listings and kept in the ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput, quoted
from domain.finance import EventKind, FinanceEvent

DELIVERY_HEADER = "Carbon-Gateway-Delivery"
TIMESTAMP_HEADER = "Carbon-Gateway-Timestamp"
SIGNATURE_HEADER = "Carbon-Gateway-Signature"
SIGNATURE_SCHEME = "v1"
# How far a receiver should let a delivery's timestamp stray from its own clock (docs/finance-events.md).
TIMESTAMP_TOLERANCE_S = 300

MAX_ENDPOINT_LENGTH = 2048
ENDPOINT_RULE = (
    "an endpoint is an https:// URL (http:// only to 127.0.0.1, ::1 or localhost), at most "
    f"{MAX_ENDPOINT_LENGTH} ASCII characters, without user:password@ or #fragment"
)
MAX_KINDS = len(EventKind)
KINDS_RULE = f"at most {MAX_KINDS} event kinds, each one docs/finance-events.md lists (pledge.released, ...)"


class DeliveryState(StrEnum):
    PENDING = "pending"  # not acknowledged yet: being retried
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # not acknowledged within the retry window; a replay sends it again


class Subscription(BaseModel):
    """A bank's endpoint for its organisation's events.

    `acked_offset` is the position deliveries continue from: every matching event
    up to it was acknowledged (a replay moves it back, so those are sent again).
    """

    model_config = ConfigDict(frozen=True)

    subscription_id: str
    owner: str
    endpoint_url: str
    kinds: tuple[str, ...] = ()
    secret: str = Field(repr=False)
    acked_offset: int = 0
    created_at: datetime


class Delivery(BaseModel):
    """One event's delivery to one subscription, as its attempts left it."""

    model_config = ConfigDict(frozen=True)

    subscription_id: str
    offset: int
    event_id: str
    kind: str
    state: DeliveryState
    attempts: int
    last_error: str = ""  # the last failed attempt's answer; empty when none failed
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def delivery_id(self) -> str:
        return delivery_id(self.subscription_id, self.offset)


def subscription_id_for(owner: str, endpoint_url: str, kinds: tuple[str, ...], after_offset: int) -> str:
    """The id of what was asked: the same organisation asking the same again names the same subscription.

    None of the parts holds a newline (organisations and endpoints refuse control
    characters; kinds are EventKind values), so the joined text is unambiguous.
    """
    asked = "\n".join([owner, endpoint_url, ",".join(kinds), str(after_offset)])
    return "sub-" + hashlib.sha256(asked.encode()).hexdigest()[:24]


def delivery_id(subscription_id: str, offset: int) -> str:
    """One event's delivery to one subscription: the same on every attempt and replay."""
    return f"{subscription_id}-{offset}"


def data_json(data: dict[str, Any]) -> str:
    """An event's fields as canonical JSON: what the stream's `data_json` and a delivery's `data` hold."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def delivery_body(subscription_id: str, event: FinanceEvent) -> bytes:
    """The JSON a delivery POSTs (docs/finance-events.md, "The body"); `event.offset` must be stored."""
    if event.offset is None:
        raise ValueError(f"event {event.event_id} has no offset: only stored events are delivered")
    body = {
        "delivery_id": delivery_id(subscription_id, event.offset),
        "subscription_id": subscription_id,
        "offset": event.offset,
        "event_id": event.event_id,
        "kind": event.kind.value,
        "subject": event.subject,
        "occur_time": rfc3339(event.occurred_at),
        "data": event.data,
    }
    # Sorted keys at every level, so `data` is byte for byte the canonical `data_json`.
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_bytes(timestamp: int, delivery: str, body: bytes) -> bytes:
    """What the signature covers: `<timestamp>.<delivery id>.<body>`."""
    return f"{timestamp}.{delivery}.".encode() + body


def signature(secret_hex: str, timestamp: int, delivery: str, body: bytes) -> str:
    """The `Carbon-Gateway-Signature` header's value: `v1=` and the HMAC-SHA256's lowercase hex."""
    mac = hmac.new(bytes.fromhex(secret_hex), signed_bytes(timestamp, delivery, body), hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def delivery_headers(secret_hex: str, timestamp: int, delivery: str, body: bytes) -> dict[str, str]:
    """Every header of one attempt."""
    return {
        "Content-Type": "application/json",
        DELIVERY_HEADER: delivery,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret_hex, timestamp, delivery, body),
    }


def verifies(
    secret_hex: str,
    headers: dict[str, str],
    body: bytes,
    now: float,
    tolerance_s: float = TIMESTAMP_TOLERANCE_S,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is within `tolerance_s` of `now`."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
        sent = headers[SIGNATURE_HEADER]
        delivery = headers[DELIVERY_HEADER]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sent, signature(secret_hex, timestamp, delivery, body))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_endpoint_url(value: str, field: str = "subscription.endpoint_url") -> str:
    """`value` when the gateway may POST deliveries to it; InvalidInput naming `field` otherwise."""

    def refused(why: str, shown: str | None = None) -> InvalidInput:
        return InvalidInput(f"{field} {shown or quoted(value)} {why}; {ENDPOINT_RULE}", field=field)

    if len(value) > MAX_ENDPOINT_LENGTH:
        raise refused(f"is {len(value)} characters long")
    if not value.isascii():
        raise refused("is not ASCII (write an international host name in its xn-- form)")
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in value):
        raise refused("contains a space or a control character")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError:
        raise refused("is not a URL") from None
    if parts.scheme not in ("https", "http"):
        raise refused("is not an https:// URL")
    if not parts.hostname:
        raise refused("names no host")
    if parts.username is not None or parts.password is not None:
        # Not echoed: the refusal is logged, and the credential should be in no log.
        raise refused("carries credentials, which listings would show", shown="(not repeated here)")
    if parts.fragment or value.endswith("#"):
        raise refused("has a fragment, which is never sent")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise refused("is plain http:// to a host that is not loopback: use https://")
    return value


def require_event_kind(value: str, field: str) -> EventKind:
    """One of the event kinds banks hear of, or InvalidInput naming `field`."""
    try:
        return EventKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in EventKind)
        raise InvalidInput(
            f"{field} {quoted(value, 32)} is not an event kind: use one of {known}", field=field
        ) from None
