"""The audit log through the running gateway: ListAuditEvents pages and filters it, GetAuditHead pins it,
the chain verifies on the client, and `carbon-gateway audit-log` reads and checks it as a regulator would.

The session gateway is shared, so each test appends under an organisation of its own and filters on it;
only the whole-log checks read every event.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from domain.audit import AuditRecord, verify_chain
from gateway.audit_log_command import event_from_proto
from gateway.runtime import EmbeddedGateway
from gateway.settings import ENV_PREFIX
from protos.carbon.gateway.v1 import oversight_pb2, oversight_pb2_grpc
from tests.e2e.client import SETTLED, final_state, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
SUBMIT = "/carbon.gateway.v1.TransferService/SubmitTransfer"
RESOLVE = "/carbon.gateway.v1.TransferService/ResolveTransfer"
_orgs = itertools.count(1)
AUDIT_LOG = (str(Path(sys.executable).with_name("carbon-gateway")), "audit-log")


@pytest.fixture
def oversight(channel: grpc.aio.Channel) -> oversight_pb2_grpc.OversightServiceStub:
    return oversight_pb2_grpc.OversightServiceStub(channel)


@pytest.fixture
def org() -> str:
    """An organisation no other test records calls for."""
    return f"org-audit-{os.getpid()}-{next(_orgs)}"


def appended(gateway: EmbeddedGateway, org: str) -> list[AuditRecord]:
    """Five calls by `org` straight into the gateway's ledger: two methods, two of them refused."""
    assert gateway.ledger is not None
    start = datetime.now(UTC).replace(microsecond=123456)
    records = [
        AuditRecord(
            at=start + timedelta(seconds=n),
            role="exchange" if method == SUBMIT else "bank",
            org=org,
            caller=f"caller-{n}",
            method=method,
            target=f"tr-{org}-{n}",
            outcome=outcome,
            reason="" if outcome == "OK" else "ROLE-NOT-ALLOWED",
        )
        for n, (method, outcome) in enumerate(
            [
                (SUBMIT, "OK"),
                (RESOLVE, "PERMISSION_DENIED"),
                (SUBMIT, "OK"),
                (RESOLVE, "PERMISSION_DENIED"),
                (SUBMIT, "OK"),
            ]
        )
    ]
    for record in records:
        gateway.ledger.append_audit(record)
    return records


async def every_event(
    oversight, audit_filter: oversight_pb2.AuditEventFilter | None = None, page_size: int = 500
):
    """Every event the filter matches, page by page; and the number of pages."""
    request = oversight_pb2.ListAuditEventsRequest(filter=audit_filter, page_size=page_size)
    found, pages = [], 0
    while True:
        page = await oversight.ListAuditEvents(request)
        found += page.events
        pages += 1
        if not page.next_page_token:
            return found, pages
        request.page_token = page.next_page_token


def refused_field(error: grpc.aio.AioRpcError) -> list[str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    status = rpc_status.from_call(error)
    assert status is not None
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


async def test_events_page_in_seq_order_and_filter_by_method_org_outcome_and_time(gateway, oversight, org):
    records = appended(gateway, org)

    listed, pages = await every_event(oversight, oversight_pb2.AuditEventFilter(org=org), page_size=2)
    assert pages == 3
    assert [e.caller for e in listed] == [r.caller for r in records]
    seqs = [e.seq for e in listed]
    assert seqs == sorted(seqs) and seqs == list(range(seqs[0], seqs[0] + 5))  # appended one after another
    first = listed[0]
    assert (first.role, first.method, first.target, first.outcome, first.reason) == (
        "exchange",
        SUBMIT,
        f"tr-{org}-0",
        "OK",
        "",
    )
    assert first.time.ToDatetime(tzinfo=UTC) == records[0].at  # to the microsecond
    assert [e.prev_hash for e in listed[1:]] == [e.hash for e in listed[:-1]]

    async def callers(**wanted) -> list[str]:
        found, _ = await every_event(oversight, oversight_pb2.AuditEventFilter(org=org, **wanted))
        return [e.caller for e in found]

    assert await callers(method=RESOLVE) == ["caller-1", "caller-3"]
    assert await callers(outcome="PERMISSION_DENIED") == ["caller-1", "caller-3"]
    assert await callers(method=SUBMIT, outcome="OK") == ["caller-0", "caller-2", "caller-4"]
    window = oversight_pb2.AuditEventFilter(org=org)
    window.start_time.FromDatetime(records[1].at)
    window.end_time.FromDatetime(records[3].at)
    found, _ = await every_event(oversight, window)
    assert [e.caller for e in found] == ["caller-1", "caller-2"]  # start inclusive, end exclusive
    assert await callers(outcome="OK", method=RESOLVE) == []


async def test_a_bad_page_token_or_outcome_is_invalid_argument_naming_the_field(gateway, oversight, org):
    appended(gateway, org)
    mine = oversight_pb2.AuditEventFilter(org=org)
    token = (
        await oversight.ListAuditEvents(oversight_pb2.ListAuditEventsRequest(filter=mine, page_size=1))
    ).next_page_token
    assert token

    for bad in (
        oversight_pb2.ListAuditEventsRequest(filter=mine, page_token="not-a-token"),
        oversight_pb2.ListAuditEventsRequest(filter=mine, page_token=token[:-2]),
        oversight_pb2.ListAuditEventsRequest(
            filter=oversight_pb2.AuditEventFilter(org="other"), page_token=token
        ),
        oversight_pb2.ListAuditEventsRequest(page_token=token),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await oversight.ListAuditEvents(bad)
        assert refused_field(refused.value) == ["page_token"]

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await oversight.ListAuditEvents(
            oversight_pb2.ListAuditEventsRequest(filter=oversight_pb2.AuditEventFilter(outcome="denied"))
        )
    assert refused_field(refused.value) == ["filter.outcome"]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await oversight.ListAuditEvents(oversight_pb2.ListAuditEventsRequest(page_size=-1))
    assert refused_field(refused.value) == ["page_size"]


async def test_the_whole_log_verifies_on_the_client_and_ends_at_the_head(gateway, oversight, org):
    appended(gateway, org)
    listed, _ = await every_event(oversight, page_size=7)
    assert [e.seq for e in listed] == list(range(len(listed)))
    assert verify_chain([event_from_proto(e) for e in listed]) is None
    head = await oversight.GetAuditHead(oversight_pb2.GetAuditHeadRequest())
    assert (head.size, head.hash) == (len(listed), listed[-1].hash)


# Needs the access interceptor (gateway/access.py) recording calls into the ledger, as the runtime wires it.
async def test_the_interceptor_records_submit_transfer_calls_allowed_and_refused(
    gateway, transfers, oversight, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(1, 10)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-to")
    transfer_id = f"audited-{account}"
    await transfers.SubmitTransfer(
        transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-to"), serial)
    )
    refused_id = f"audited-refused-{account}"
    with pytest.raises(grpc.aio.AioRpcError):
        await transfers.SubmitTransfer(
            transfer_request(refused_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-to"), "not a serial")
        )
    assert (await final_state(transfers, transfer_id)).state in SETTLED

    listed, _ = await every_event(oversight, oversight_pb2.AuditEventFilter(method=SUBMIT))
    shown = {e.target: e for e in listed if e.target in (transfer_id, refused_id)}
    assert shown[transfer_id].outcome == "OK"
    assert shown[refused_id].outcome == "INVALID_ARGUMENT"
    # Development mode: the one unauthenticated caller, holding every role.
    assert (shown[transfer_id].role, shown[transfer_id].org) == ("admin", "plaintext")
    reads, _ = await every_event(
        oversight, oversight_pb2.AuditEventFilter(method=SUBMIT.replace("Submit", "Get"))
    )
    assert reads == [], "reads are not recorded"


# The command


@dataclass
class Shown:
    code: int
    out: str
    err: str

    def json_lines(self) -> list:
        return [json.loads(line) for line in self.out.splitlines()]


async def audit_log(gateway: EmbeddedGateway, *args: str) -> Shown:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    env[ENV_PREFIX + "GRPC_PORT"] = str(gateway.grpc_port)
    env[ENV_PREFIX + "PLAINTEXT"] = "true"  # the session gateway runs in development mode
    process = await asyncio.create_subprocess_exec(
        *AUDIT_LOG, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert "Traceback" not in err.decode(), err.decode()
    return Shown(process.returncode or 0, out.decode(), err.decode())


async def test_the_command_lists_filters_and_prints_json_lines(gateway, org):
    records = appended(gateway, org)

    lines = (await audit_log(gateway, "--org", org, "--json")).json_lines()
    assert [line["caller"] for line in lines] == [r.caller for r in records]
    assert set(lines[0]) >= {"seq", "time", "role", "org", "method", "target", "outcome", "prev_hash", "hash"}

    denied = await audit_log(
        gateway, "--org", org, "--outcome", "permission_denied", "--method", "TransferService/ResolveTransfer",
        "--since", records[1].at.isoformat(), "--until", records[4].at.isoformat(),
    )  # fmt: skip
    rows = [line.split("\t") for line in denied.out.splitlines()]
    assert rows[0] == [
        "seq",
        "time",
        "role",
        "org",
        "caller",
        "method",
        "target",
        "outcome",
        "reason",
        "hash",
    ]
    assert [(r[4], r[5], r[7], r[8]) for r in rows[1:]] == [
        ("caller-1", RESOLVE, "PERMISSION_DENIED", "ROLE-NOT-ALLOWED"),
        ("caller-3", RESOLVE, "PERMISSION_DENIED", "ROLE-NOT-ALLOWED"),
    ]
    assert rows[1][1] == records[1].at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert bytes.fromhex(rows[1][9]) == base64.b64decode(lines[1]["hash"])  # hex here, base64 in JSON


async def test_the_command_verifies_the_chain_and_names_the_first_broken_seq(gateway, oversight, org):
    assert gateway.ledger is not None
    appended(gateway, org)
    head = await oversight.GetAuditHead(oversight_pb2.GetAuditHeadRequest())
    pinned = f"{head.size}:{head.hash.hex()}"

    verified = await audit_log(gateway, "--verify", "--pinned-head", pinned, "--org", org, "--json")
    assert verified.code == 0, verified.err
    assert [line["org"] for line in verified.json_lines()] == [org] * 5  # the filters choose what is shown
    verdict = verified.err.strip().splitlines()[-1]
    assert verdict.startswith("audit log verified: ") and " events, chain unbroken; head " in verdict

    forged = await audit_log(gateway, "--verify", "--pinned-head", f"{head.size}:{'00' * 32}")
    assert forged.code == 1
    assert forged.err.strip().splitlines()[-1] == (
        f"audit log broken at seq {head.size - 1}: its hash is not the pinned head's: the log was rewritten"
    )

    # Someone with database access rewrites who made a call: the chain names that event.
    mine = gateway.ledger.audit_events(after_seq=-1, limit=500, org=org, method=RESOLVE)[0]
    database = gateway.settings.resolved_ledger_url().removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_events SET caller = 'someone-else' WHERE seq = ?", (mine.seq,))
    try:
        tampered = await audit_log(gateway, "--verify", "--org", "org-nobody")
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE audit_events SET caller = ? WHERE seq = ?", (mine.caller, mine.seq))
    assert tampered.code == 1, tampered.err
    assert tampered.out.splitlines()[1:] == [], "the filters matched nothing, so no rows"
    assert tampered.err.strip().splitlines()[-1] == (
        f"audit log broken at seq {mine.seq}: its hash is not the hash of its fields"
    )
    assert gateway.ledger.verify_audit_log() is None
