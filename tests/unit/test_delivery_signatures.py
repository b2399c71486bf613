"""Deliveries are signed as docs/finance-events.md says, its few lines verify them, and only
endpoints the gateway may POST to are accepted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain import deliveries
from domain.deliveries import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    data_json,
    delivery_body,
    delivery_headers,
    require_endpoint_url,
    require_event_kind,
    subscription_id_for,
    verifies,
)
from domain.errors import QUOTED_MAX, InvalidInput
from domain.finance import EventKind, FinanceEvent

DOC = (Path(__file__).resolve().parents[2] / "docs" / "finance-events.md").read_text()
# The documented example: its secret, delivery, timestamp and signature (computed with `openssl dgst
# -sha256 -mac HMAC`, not with the code under test).
SECRET = bytes(range(32)).hex()
SUBSCRIPTION = "sub-1f0c8e2a9b7d4c6e5f3a2b1c"
TIMESTAMP = 1796212800
SIGNATURE = "v1=3f244d7b6082f85e415a3ea1e9f8f2ac33d58e6febac1913615debe7b6d05e07"
EVENT = FinanceEvent(
    event_id="pledge:p-17:released",
    org="Bank of Shenzhen",
    kind=EventKind.PLEDGE_RELEASED,
    subject="p-17",
    data={
        "pledge_id": "p-17",
        "lender": "Bank of Shenzhen",
        "holder": {"registry_id": "cn-ccer", "account_id": "acct-9"},
        "serial": "CCER-CN-100001-2024-3-1-100",
        "quantity": 100,
        "loan_id": "loan-3",
        "state": "released",
        "consented_transfer_id": "",
    },
    occurred_at=datetime(2026, 12, 2, 8, 0, 0, 123456, tzinfo=UTC),
    offset=1207,
)


def documented_verifier() -> Any:
    """The `verified` function exactly as docs/finance-events.md prints it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.DOTALL)
    source = next(block for block in blocks if "def verified(" in block)
    scope: dict[str, Any] = {}
    exec(source, scope)  # the documentation's own code, run as a bank would run it
    return scope["verified"]


def example_headers(timestamp: int = TIMESTAMP) -> dict[str, str]:
    body = delivery_body(SUBSCRIPTION, EVENT)
    return delivery_headers(SECRET, timestamp, f"{SUBSCRIPTION}-1207", body)


def test_the_documented_example_is_what_the_gateway_sends():
    body = delivery_body(SUBSCRIPTION, EVENT)
    assert body.decode() in DOC
    headers = example_headers()
    assert headers[SIGNATURE_HEADER] == SIGNATURE
    assert f"{SIGNATURE_HEADER}: {SIGNATURE}" in DOC
    assert headers[DELIVERY_HEADER] == f"{SUBSCRIPTION}-1207"
    assert headers[TIMESTAMP_HEADER] == str(TIMESTAMP)


def test_the_body_carries_the_event_and_data_as_the_stream_does():
    event = EVENT.model_copy(update={"data": {"zeta": 1, "名称": "深圳", "alpha": {"b": 2, "a": [1, 2]}}})
    body = delivery_body(SUBSCRIPTION, event)
    parsed = json.loads(body)
    assert parsed["delivery_id"] == f"{SUBSCRIPTION}-1207"
    assert parsed["subscription_id"] == SUBSCRIPTION
    assert (parsed["offset"], parsed["event_id"], parsed["kind"]) == (1207, EVENT.event_id, "pledge.released")
    assert parsed["occur_time"] == "2026-12-02T08:00:00.123456Z"
    assert parsed["data"] == event.data
    # The same bytes as the stream's data_json, UTF-8 not \\u escapes.
    assert f'"data":{data_json(event.data)},'.encode() in body
    assert "深圳".encode() in body


def test_an_event_without_an_offset_is_never_delivered():
    with pytest.raises(ValueError, match="no offset"):
        delivery_body(SUBSCRIPTION, EVENT.model_copy(update={"offset": None}))


def test_the_documented_lines_verify_a_fresh_delivery_and_refuse_every_change(monkeypatch):
    verified = documented_verifier()
    now = 1_800_000_000
    monkeypatch.setattr("time.time", lambda: now + 10.0)
    body = delivery_body(SUBSCRIPTION, EVENT)
    headers = delivery_headers(SECRET, now, f"{SUBSCRIPTION}-1207", body)
    assert verified(SECRET, headers, body)
    assert verifies(SECRET, headers, body, now=now + 10.0)
    tampered = [
        (SECRET, headers, body.replace(b'"quantity":100', b'"quantity":900')),
        (SECRET, headers | {DELIVERY_HEADER: f"{SUBSCRIPTION}-1208"}, body),
        (SECRET, headers | {TIMESTAMP_HEADER: str(now + 1)}, body),
        ("ff" * 32, headers, body),
        # The key is the secret's bytes, not its hex text.
        (SECRET, headers | {SIGNATURE_HEADER: _signed_with_text_key(now, body)}, body),
    ]
    for secret, sent, content in tampered:
        assert not verified(secret, sent, content)
        assert not verifies(secret, sent, content, now=now + 10.0)


def _signed_with_text_key(timestamp: int, body: bytes) -> str:
    import hashlib
    import hmac

    signed = deliveries.signed_bytes(timestamp, f"{SUBSCRIPTION}-1207", body)
    return "v1=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()


def test_a_delivery_older_than_the_tolerance_is_refused(monkeypatch):
    verified = documented_verifier()
    body = delivery_body(SUBSCRIPTION, EVENT)
    headers = example_headers()
    monkeypatch.setattr("time.time", lambda: TIMESTAMP + 301.0)
    assert not verified(SECRET, headers, body)
    assert not verifies(SECRET, headers, body, now=TIMESTAMP + 301.0)
    assert verifies(SECRET, headers, body, now=TIMESTAMP + 299.0)
    assert not verifies(
        SECRET, {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}, body, now=TIMESTAMP
    )


ACCEPTED = [
    "https://bank.example/hooks/carbon",
    "https://bank.example:8443/hooks?tenant=7",
    "https://10.1.2.3/hooks",
    "http://127.0.0.1:8080/hooks",
    "http://127.8.9.10/hooks",
    "http://[::1]:9000/hooks",
    "http://localhost/hooks",
    "HTTPS://Bank.Example/hooks",
]
REFUSED = [
    ("http://bank.example/hooks", "plain http://"),
    ("http://10.0.0.1/hooks", "plain http://"),
    ("http://0.0.0.0:8080/hooks", "plain http://"),
    ("http://localhost.bank.example/hooks", "plain http://"),
    ("http://127.0.0.1.nip.io/hooks", "plain http://"),
    ("ftp://bank.example/hooks", "not an https:// URL"),
    ("bank.example/hooks", "not an https:// URL"),
    ("https:///hooks", "names no host"),
    ("https://user:secret@bank.example/hooks", "credentials"),
    ("https://token@bank.example/hooks", "credentials"),
    ("https://bank.example/hooks#part", "fragment"),
    ("https://bank.example:99999/hooks", "not a URL"),
    ("https://bank.example/ho oks", "a space or a control character"),
    ("https://bank.example/hooks\n", "a space or a control character"),
    ("https://bänk.example/hooks", "not ASCII"),
    ("https://bank.example/" + "x" * 2100, "characters long"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_https_anywhere_and_http_to_loopback_are_accepted(url):
    assert require_endpoint_url(url) == url


@pytest.mark.parametrize(("url", "why"), REFUSED, ids=[u[:40] for u, _ in REFUSED])
def test_other_endpoints_are_refused_naming_the_field(url, why):
    with pytest.raises(InvalidInput) as refused:
        require_endpoint_url(url)
    assert refused.value.field == "subscription.endpoint_url"
    assert why in str(refused.value)
    assert "x" * (QUOTED_MAX + 1) not in str(refused.value)
    assert "secret@" not in str(refused.value) and "token@" not in str(refused.value)


def test_event_kinds_are_the_documented_ones():
    for kind in EventKind:
        assert require_event_kind(kind.value, "kinds[0]") is kind
        assert f"`{kind.value}`" in DOC
    with pytest.raises(InvalidInput) as refused:
        require_event_kind("pledge.exploded", "subscription.kinds[2]")
    assert refused.value.field == "subscription.kinds[2]"


def test_a_subscription_id_names_what_was_asked():
    first = subscription_id_for("Bank A", "https://a.example/h", ("pledge.released",), 0)
    assert first == subscription_id_for("Bank A", "https://a.example/h", ("pledge.released",), 0)
    others = {
        subscription_id_for("Bank B", "https://a.example/h", ("pledge.released",), 0),
        subscription_id_for("Bank A", "https://a.example/g", ("pledge.released",), 0),
        subscription_id_for("Bank A", "https://a.example/h", (), 0),
        subscription_id_for("Bank A", "https://a.example/h", ("pledge.released",), 1),
    }
    assert first not in others and len(others) == 4
    assert re.fullmatch(r"sub-[0-9a-f]{24}", first)
