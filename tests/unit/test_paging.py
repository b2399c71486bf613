"""Page tokens are opaque, tamper-evident and bound to the listing (scope and filter) that issued them."""

import base64
import json

import pytest

from domain import paging
from domain.errors import InvalidInput

QUERY = {"registry_id": "cn-ccer", "account_id": "*"}


def _refused(token: str, scope: str = "holdings", query: dict[str, str] = QUERY) -> str:
    with pytest.raises(InvalidInput) as refused:
        paging.position(token, scope, query)
    assert refused.value.field == "page_token"
    return refused.value.message


def test_a_token_round_trips_its_position():
    token = paging.issue("holdings", QUERY, ("acct-1", "CCER:1", 42, "held"))
    assert paging.position(token, "holdings", dict(reversed(QUERY.items()))) == (
        "acct-1",
        "CCER:1",
        42,
        "held",
    )


def test_a_token_is_not_readable_json():
    token = paging.issue("transfers", {}, ("2025-01-01T00:00:00+00:00", "t-1"))
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    with pytest.raises(ValueError):
        json.loads(raw)
    assert "=" not in token and "+" not in token and "/" not in token


def test_another_filter_or_scope_is_refused():
    token = paging.issue("holdings", QUERY, ("acct-1",))
    assert "another listing" in _refused(token, query={**QUERY, "account_id": "=acct-2"})
    assert "another listing" in _refused(token, scope="registries")


@pytest.mark.parametrize("token", ["not-a-token", "", "AAAA", "%%%"])
def test_a_token_this_gateway_did_not_issue_is_refused(token):
    assert "not a token this gateway issued" in _refused(token)


def test_an_edited_token_is_refused():
    token = paging.issue("holdings", QUERY, ("acct-1",))
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-13] ^= 1  # the last byte of the position
    edited = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert "not a token this gateway issued" in _refused(edited)


def test_page_of_pages_through_in_key_order_and_ends_without_a_token():
    items = [5, 3, 9, 1, 7]
    seen, token = [], ""
    while True:
        page, token = paging.page_of(items, lambda n: (n,), scope="s", query={}, size=2, token=token)
        seen.append(page)
        if not token:
            break
    assert seen == [[1, 3], [5, 7], [9]]
    assert paging.page_of([1, 2], lambda n: (n,), scope="s", query={}, size=2, token="") == ([1, 2], "")


def test_a_token_shaped_for_another_key_is_refused():
    forged = paging.issue("s", {}, ("one",))
    with pytest.raises(InvalidInput):
        paging.page_of([1, 2], lambda n: (n,), scope="s", query={}, size=1, token=forged)


@pytest.mark.parametrize(("asked", "served"), [(0, 50), (1, 1), (500, 500), (10_000, 500)])
def test_page_sizes_default_and_cap(asked, served):
    assert paging.page_size(asked) == served


def test_a_negative_page_size_is_refused():
    with pytest.raises(InvalidInput) as refused:
        paging.page_size(-1)
    assert refused.value.field == "page_size"
