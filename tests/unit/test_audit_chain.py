"""The audit log's canonical bytes and hash chain: the worked example in docs/security.md is the golden answer."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from domain.audit import (
    FIELD_ORDER,
    GENESIS_HASH,
    AuditEvent,
    AuditRecord,
    canonical_bytes,
    chain_hash,
    chained,
    first_break,
    rfc3339,
    verify_chain,
)
from gateway.audit_log_command import ChainCheck, audit_log, event_from_proto
from gateway.cli import _to_json
from gateway.oversight_servicer import audit_event_to_proto

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

# The known answers, also written out in docs/security.md (and recomputed there with xxd and sha256sum).
BYTES_0 = (
    "0100000001300000001b323032362d30312d30355430393a33303a30302e3132333435365a0000000865786368616e6765"
    "000000056f72672d6100000005616c696365000000312f636172626f6e2e676174657761792e76312e5472616e736665"
    "72536572766963652f5375626d69745472616e736665720000000474722d31000000024f4b00000000"
)
HASH_0 = "39137b3454551e90b4c8201cc6ea569c1dc97161258e4936c26456057d8152df"
BYTES_1 = (
    "0100000001310000001b323032362d30312d30355430393a33313a30322e3030303030305a0000000462616e6b00000014"
    "536f6369c3a974c3a92047c3a96ec3a972616c65000000056a6f73c3a9000000322f636172626f6e2e676174657761792e"
    "76312e5472616e73666572536572766963652f5265736f6c76655472616e736665720000000474722d3100000011504552"
    "4d495353494f4e5f44454e49454400000010524f4c452d4e4f542d414c4c4f574544"
)
HASH_1 = "ff3a60b769ec5209ef74bd2f8f32f42f1ffe074f7ae83dd20112eb8c59687537"
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _doc_block(marker: str) -> str:
    match = re.search(rf"<!-- audit-example:{marker} -->\s*```\w*\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match, f"docs/security.md has no audit-example:{marker} block"
    return match.group(1).strip()


def _doc_records() -> list[tuple[int, AuditRecord]]:
    return [(e.pop("seq"), AuditRecord.model_validate(e)) for e in json.loads(_doc_block("events"))]


def _record(n: int, **changes: object) -> AuditRecord:
    fields: dict[str, object] = {
        "at": T0 + timedelta(seconds=n, microseconds=n),
        "role": "exchange",
        "org": f"org-{n % 3}",
        "caller": f"caller-{n}",
        "method": "/carbon.gateway.v1.TransferService/SubmitTransfer",
        "target": f"tr-{n}",
        "outcome": "OK",
        "reason": "",
    }
    return AuditRecord.model_validate(fields | changes)


def _chain(count: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for n in range(count):
        events.append(chained(_record(n), n, events[-1].hash if events else GENESIS_HASH))
    return events


# Known answers


def test_worked_example_bytes_and_hashes_match_the_code_and_the_docs():
    (seq0, first), (seq1, second) = _doc_records()
    assert canonical_bytes(seq0, first).hex() == BYTES_0 == _doc_block("bytes-0")
    assert canonical_bytes(seq1, second).hex() == BYTES_1 == _doc_block("bytes-1")
    assert (len(bytes.fromhex(BYTES_0)), len(bytes.fromhex(BYTES_1))) == (138, 181)
    event0 = chained(first, seq0, GENESIS_HASH)
    event1 = chained(second, seq1, event0.hash)
    assert event0.hash.hex() == HASH_0 == _doc_block("hash-0")
    assert event1.hash.hex() == HASH_1 == _doc_block("hash-1")
    assert event1.prev_hash == event0.hash


def test_the_hash_is_plain_sha256_over_previous_hash_then_canonical_bytes():
    assert hashlib.sha256(bytes.fromhex(BYTES_0)).hexdigest() == HASH_0
    assert hashlib.sha256(bytes.fromhex(HASH_0 + BYTES_1)).hexdigest() == HASH_1
    assert chain_hash(b"", bytes.fromhex(BYTES_0)).hex() == HASH_0


def test_layout_is_version_byte_then_nine_length_prefixed_utf8_fields():
    (_, second) = _doc_records()[1]
    raw = canonical_bytes(1, second)
    assert raw[0] == 1
    offset, texts = 1, []
    while offset < len(raw):
        length = int.from_bytes(raw[offset : offset + 4], "big")
        texts.append(raw[offset + 4 : offset + 4 + length].decode("utf-8"))
        offset += 4 + length
    assert offset == len(raw)
    assert len(texts) == len(FIELD_ORDER) == 9
    assert texts == [
        "1",
        "2026-01-05T09:31:02.000000Z",
        "bank",
        "Société Générale",
        "josé",
        "/carbon.gateway.v1.TransferService/ResolveTransfer",
        "tr-1",
        "PERMISSION_DENIED",
        "ROLE-NOT-ALLOWED",
    ]


def test_time_is_utc_with_six_fractional_digits_whatever_zone_it_came_in():
    moment = datetime(2026, 1, 5, 17, 30, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    assert rfc3339(moment) == "2026-01-05T09:30:00.000005Z"
    assert rfc3339(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000000Z"
    same = _record(0, at=moment)
    assert canonical_bytes(0, same) == canonical_bytes(0, _record(0, at=moment.astimezone(UTC)))


def test_a_naive_time_and_a_negative_seq_are_refused():
    with pytest.raises(ValidationError):
        _record(0, at=datetime(2026, 1, 5, 9, 30))
    with pytest.raises(ValueError):
        canonical_bytes(-1, _record(0))


# The chain


def test_an_unbroken_chain_verifies_whole_and_from_any_point():
    events = _chain(6)
    assert verify_chain(events) is None
    assert verify_chain([]) is None
    assert verify_chain(events[3:], events[2].hash, 3) is None


ALTERED = [
    ("seq", 7),
    ("at", T0 + timedelta(seconds=2, microseconds=3)),
    ("role", "admin"),
    ("org", "org-x"),
    ("caller", "caller-x"),
    ("method", "/carbon.gateway.v1.TransferService/ResolveTransfer"),
    ("target", "tr-x"),
    ("outcome", "PERMISSION_DENIED"),
    ("reason", "ROLE-NOT-ALLOWED"),
]


@pytest.mark.parametrize(("field", "value"), ALTERED)
def test_an_altered_field_is_found_at_its_event(field: str, value: object):
    events = _chain(5)
    events[2] = events[2].model_copy(update={field: value})
    assert verify_chain(events) == 2


def test_every_field_of_the_canonical_bytes_is_tried_altered():
    assert [name for name, _ in ALTERED] == list(FIELD_ORDER)


def test_an_altered_hash_or_previous_hash_is_found_at_its_event():
    events = _chain(5)
    forged = events[3].model_copy(update={"hash": bytes(32)})
    assert verify_chain([*events[:3], forged, *events[4:]]) == 3
    relinked = events[3].model_copy(update={"prev_hash": events[1].hash})
    assert verify_chain([*events[:3], relinked, *events[4:]]) == 3


def test_an_event_rechained_after_its_change_still_breaks_the_next_one():
    events = _chain(5)
    rewritten = chained(_record(2, outcome="PERMISSION_DENIED"), 2, events[1].hash)
    assert verify_chain([*events[:2], rewritten, *events[3:]]) == 3


def test_a_dropped_event_is_named_by_its_own_seq():
    events = _chain(5)
    assert verify_chain(events[:2] + events[3:]) == 2
    assert verify_chain(events[1:]) == 0
    found = first_break(events[:2] + events[3:])
    assert found is not None and "expected event 2, found event 3" in found.why


def test_a_reordered_event_is_found_where_the_order_first_differs():
    events = _chain(5)
    assert verify_chain([events[0], events[2], events[1], *events[3:]]) == 1
    renumbered = [
        events[0],
        events[2].model_copy(update={"seq": 1}),
        events[1].model_copy(update={"seq": 2}),
        *events[3:],
    ]
    assert verify_chain(renumbered) == 1


# What a regulator does with it: the CLI's check and the script in the docs


def test_the_cli_check_follows_the_chain_and_holds_the_log_to_a_pinned_head():
    events = _chain(4)
    check = ChainCheck(pinned=(3, events[2].hash))
    for event in events:
        check.feed(event_from_proto(audit_event_to_proto(event)))
    assert check.verdict() is None
    assert (check.size, check.last) == (4, events[3].hash)

    rewritten = ChainCheck(pinned=(3, bytes(32)))
    for event in events:
        rewritten.feed(event)
    assert rewritten.verdict() is not None and rewritten.verdict().seq == 2

    truncated = ChainCheck(pinned=(4, events[3].hash))
    for event in events[:2]:
        truncated.feed(event)
    assert truncated.verdict() is not None and truncated.verdict().seq == 2


def _run_doc_script(lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _doc_block("verify-script")],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_docs_script_verifies_the_json_the_cli_prints_and_names_a_break():
    events = _chain(4)
    lines = [json.dumps(_to_json(audit_event_to_proto(e))) for e in events]
    whole = _run_doc_script(lines)
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout.strip() == f"4 events, head 4:{events[3].hash.hex()}"

    tampered = json.loads(lines[2]) | {"caller": "someone-else"}
    broken = _run_doc_script([*lines[:2], json.dumps(tampered), lines[3]])
    assert broken.returncode == 1
    assert broken.stderr.strip() == "audit log broken at seq 2"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--since", "2026-01-01T00:00:00"], "has no time zone"),
        (["--until", "yesterday"], "not an RFC 3339 time"),
        (["--method", "SubmitTransfer"], "expected /PACKAGE.SERVICE/METHOD or SERVICE/METHOD"),
        (["--outcome", "denied"], "'denied' is not one of"),
        (["--pinned-head", f"3:{HASH_0}"], "--pinned-head goes with --verify"),
        (["--verify", "--pinned-head", "3:abcd"], "expected SIZE:HASH"),
    ],
)
def test_the_command_refuses_bad_options_before_calling_anyone(args: list[str], said: str):
    done = CliRunner().invoke(audit_log, [*args, "--target", "127.0.0.1:1"])
    assert done.exit_code == 2, done.output
    assert said in done.output
