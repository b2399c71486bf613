"""Paging for every list: page sizes, and page tokens that are opaque and bound to their listing.

A token carries the sort key of the last item a page showed, so the next page
starts after it (stable while items arrive, unlike an offset). It is urlsafe
base64 of a small binary payload, not readable JSON: clients must treat it as
opaque. It is bound to its listing: the payload holds a digest of the listing's
scope (which list) and its query (the filter), and a token shown to another
scope or query is refused naming `page_token`. A digest over the whole payload
makes any edited or truncated token a refusal too.

The digest is not keyed: a token grants nothing (whoever holds one can list the
same items without it), so there is no secret to share between gateways, and a
token stays valid across restarts and on every gateway of one deployment. It also
means anyone can forge one, so nothing in a token is trusted: its shape is checked
before it is decoded (`require_token_shape`), and a moment it carries must be one
UTC can hold, so a forged token at the calendar's edge is refused here and never
fails inside a query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from domain.errors import InvalidInput, quoted

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
Key = tuple[str | int, ...]
T = TypeVar("T")

_VERSION = 1
_BINDING_SIZE = 8
_CHECK_SIZE = 12
_CONTEXT = b"carbon-gateway page token"
_FIELD = "page_token"
# Tokens this gateway issues are a few hundred characters of unpadded urlsafe base64.
MAX_TOKEN_LENGTH = 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
TOKEN_RULE = (
    f"a page token is the next_page_token of an earlier page, as it was sent: at most {MAX_TOKEN_LENGTH} "
    "characters of A-Z a-z 0-9 _ -"
)


def page_size(requested: int) -> int:
    """The page size to serve: 0 is the default, anything above the maximum is the maximum (AIP-158)."""
    if requested < 0:
        raise InvalidInput(f"page_size must not be negative, got {requested}", field="page_size")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _binding(scope: str, query: Mapping[str, str]) -> bytes:
    parts = [scope, *(f"{name}={query[name]}" for name in sorted(query))]
    return hashlib.sha256(b"\x00".join(p.encode() for p in parts)).digest()[:_BINDING_SIZE]


def _check(body: bytes) -> bytes:
    return hashlib.sha256(_CONTEXT + body).digest()[:_CHECK_SIZE]


def _encode_key(key: Key) -> bytes:
    out = bytearray(struct.pack(">B", len(key)))
    for part in key:
        if isinstance(part, int):
            out += b"i" + struct.pack(">q", part)
        else:
            raw = part.encode()
            out += b"s" + struct.pack(">H", len(raw)) + raw
    return bytes(out)


def _decode_key(raw: bytes) -> Key:
    count, at = raw[0], 1
    parts: list[str | int] = []
    for _ in range(count):
        kind, at = raw[at : at + 1], at + 1
        if kind == b"i":
            (number,) = struct.unpack_from(">q", raw, at)
            parts.append(number)
            at += 8
        elif kind == b"s":
            (length,) = struct.unpack_from(">H", raw, at)
            parts.append(raw[at + 2 : at + 2 + length].decode())
            at += 2 + length
        else:
            raise ValueError("unknown key part")
    if at != len(raw):
        raise ValueError("trailing bytes")
    return tuple(parts)


def issue(scope: str, query: Mapping[str, str], after: Key) -> str:
    """The token of the page that starts after the item whose sort key is `after`."""
    body = struct.pack(">B", _VERSION) + _binding(scope, query) + _encode_key(after)
    return base64.urlsafe_b64encode(body + _check(body)).decode().rstrip("=")


def require_token_shape(token: str, field: str = _FIELD) -> str:
    """`token` when it could be a token this gateway issued; InvalidInput naming `field` otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInput(
            f"{field} is {len(token)} characters long (at most {MAX_TOKEN_LENGTH}); {TOKEN_RULE}", field=field
        )
    if not _TOKEN.fullmatch(token):
        raise InvalidInput(
            f"{field} is not a token this gateway issued: {quoted(token)}; {TOKEN_RULE}", field=field
        )
    return token


def _representable(key: Key) -> Key:
    """`key` when every moment it carries (as ISO 8601 text) converts to UTC; ValueError otherwise."""
    for part in key:
        if not isinstance(part, str):
            continue
        try:
            moment = datetime.fromisoformat(part)
        except ValueError:
            continue  # not a moment: an id, a serial space
        if moment.tzinfo is not None:
            try:
                moment.astimezone(UTC)
            except OverflowError as edge:
                raise ValueError("a moment UTC cannot hold") from edge
    return key


def position(token: str, scope: str, query: Mapping[str, str]) -> Key:
    """The sort key a token starts after; INVALID_ARGUMENT naming `page_token` unless this listing issued it."""
    require_token_shape(token)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as bad:
        raise _not_issued() from bad
    body, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
    if len(body) < 2 + _BINDING_SIZE or check != _check(body) or body[0] != _VERSION:
        raise _not_issued()
    if body[1 : 1 + _BINDING_SIZE] != _binding(scope, query):
        raise InvalidInput(
            "page_token was issued for another listing (another method or filter): send the filter of "
            "the first page with it, or no page_token to start again",
            field=_FIELD,
        )
    try:
        return _representable(_decode_key(body[1 + _BINDING_SIZE :]))
    except (ValueError, IndexError, struct.error, UnicodeDecodeError) as bad:
        raise _not_issued() from bad


def _shape(key: Key) -> tuple[type, ...]:
    return tuple(type(part) for part in key)


def _not_issued() -> InvalidInput:
    return InvalidInput("page_token is not a token this gateway issued", field=_FIELD)


def page_of(
    items: Sequence[T],
    key: Callable[[T], Key],
    *,
    scope: str,
    query: Mapping[str, str],
    size: int,
    token: str,
) -> tuple[list[T], str]:
    """One page of `items` in `key` order (keys unique), and the next page's token ("" on the last page).

    For lists read whole (the catalogue, a registry's holdings): paged the same way
    as the ledger's, so a client's paging code is the same for every list.
    """
    ordered = sorted(items, key=key)
    if token:
        after = position(token, scope, query)
        if ordered and _shape(after) != _shape(key(ordered[0])):
            raise _not_issued()  # made to look like this listing's, but not by it
        ordered = [item for item in ordered if key(item) > after]
    shown = ordered[:size]
    more = len(ordered) > size
    return shown, issue(scope, query, key(shown[-1])) if more else ""
