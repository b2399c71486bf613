"""Reconciliation over gRPC on a gateway of its own: a clean system is consistent; each discrepancy
injected out of band (a registry's book edited, Verra releasing immobilised units after settlement, a
ledger row edited, a transfer stuck, a cross-border use without adjustment) shows with its code; a
transfer touching serials under review waits, then settles; resolutions show in the next report."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from compliance_rules.rulebook import PACKS_FOLDER, load_rulebook
from gateway.reconciliation_checks import GatewayChecks
from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import compliance_pb2, compliance_pb2_grpc, oversight_pb2_grpc, transfer_pb2
from protos.carbon.gateway.v1 import oversight_pb2 as pb
from protos.carbon.gateway.v1 import transfer_pb2_grpc as tgrpc
from tests.e2e.client import SETTLED, fields_named, final_state, gateway_settings, transfer_request
from tests.e2e.covered_entities import make_covered
from tests.e2e.sandbox_admin import SandboxAdmin, conserving
from tests.e2e.test_cli import run as run_cli
from workflows.reconciliation import ReconciliationWorkflow

pytestmark = pytest.mark.e2e
S = transfer_pb2
VERRA_FIRST = 7_100_000
HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def verra_serial(first: int, last: int) -> str:
    return f"9660-{first}-{last}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedGateway]:
    settings = gateway_settings(
        tmp_path_factory.mktemp("reconciling"),
        anchor_interval_s=1.0,
        registry_timeout_s=10.0,
        registry_attempts=2,
        step_attempts=3,
        step_initial_interval_s=0.1,
        step_max_interval_s=0.5,
        step_timeout_s=15.0,
        evidence_poll_s=0.3,
        evidence_min_interval_s=0.0,
        reconciliation_interval_s=0,  # on demand only: the test decides when a run happens
        reconciliation_stuck_after_s=0,
    )
    running = await EmbeddedGateway(settings).start()
    yield running
    await running.stop()


@pytest.fixture(scope="module")
async def channel(gateway: EmbeddedGateway) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as ch:
        yield ch


@pytest.fixture(scope="module")
async def sandbox(gateway: EmbeddedGateway) -> AsyncIterator[SandboxAdmin]:
    """Conservation across the module: units change only by what the tests did out of band."""
    async with conserving(gateway.sandbox_url) as admin:
        yield admin


@pytest.fixture
def oversight(channel) -> oversight_pb2_grpc.OversightServiceStub:
    return oversight_pb2_grpc.OversightServiceStub(channel)


@pytest.fixture
def transfers(channel) -> tgrpc.TransferServiceStub:
    return tgrpc.TransferServiceStub(channel)


async def run(oversight, run_id: str, timeout_s: float = 60) -> pb.Reconciliation:
    started = await oversight.RunReconciliation(pb.RunReconciliationRequest(reconciliation_id=run_id))
    assert started.reconciliation_id == run_id
    for _ in range(int(timeout_s / 0.2)):
        got = await oversight.GetReconciliation(pb.GetReconciliationRequest(reconciliation_id=run_id))
        if got.finish_time.seconds:
            return got
        await asyncio.sleep(0.2)
    raise AssertionError(f"reconciliation {run_id} did not finish")


async def report(oversight, run_id: str, fmt: int) -> bytes:
    chunks = oversight.GetReconciliationReport(
        pb.GetReconciliationReportRequest(reconciliation_id=run_id, format=fmt)
    )
    return b"".join([c.content async for c in chunks])


async def report_json(oversight, run_id: str) -> dict[str, Any]:
    return json.loads(await report(oversight, run_id, pb.REPORT_FORMAT_JSON))


async def move(transfers, transfer_id: str, source, destination, serial: str, **extra: Any) -> None:
    await transfers.SubmitTransfer(transfer_request(transfer_id, source, destination, serial, **extra))
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons


def codes_at(found: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in found["findings"] if f["code"] == code]


async def test_a_clean_system_reports_consistent(gateway, oversight, transfers, sandbox: SandboxAdmin):
    await sandbox.seed("cn-ccer", "clean", "CCER-CN-990001-2024-3-1-100")
    await sandbox.open_account("cn-sz-ets", "clean-sz")
    await move(
        transfers, "clean-1", ("cn-ccer", "clean"), ("cn-sz-ets", "clean-sz"), "CCER-CN-990001-2024-3-1-100"
    )
    done = await run(oversight, "clean-run")
    assert done.state == pb.RECONCILIATION_STATE_CONSISTENT, done
    assert (done.findings, done.compared_blocks) == (0, 1)
    assert done.requested_by and done.stage == "done"
    body = await report_json(oversight, "clean-run")
    assert body["state"] == "consistent" and body["findings"] == []
    assert any(
        t["registry_id"] == "cn-sz-ets" and t["ledger_units"] == 100 == t["registry_units"]
        for t in body["totals"]
    )
    listed = await oversight.ListReconciliations(pb.ListReconciliationsRequest())
    assert "clean-run" in [r.reconciliation_id for r in listed.reconciliations]
    # The run's history replays on the current code; RECORD_HISTORIES=1 keeps it for the replay test.
    history = await gateway.client.get_workflow_handle("reconciliation-clean-run").fetch_history()
    await Replayer(
        workflows=[ReconciliationWorkflow], data_converter=pydantic_data_converter
    ).replay_workflow(history)
    if os.environ.get("RECORD_HISTORIES"):
        (HISTORIES / "reconciliation_consistent.json").write_text(history.to_json())


async def test_a_transfer_touching_serials_under_review_waits_then_settles(
    gateway, oversight, transfers, sandbox: SandboxAdmin
):
    serial = "CCER-CN-990002-2024-3-1-50"
    await sandbox.seed("cn-ccer", "waits", serial)
    await sandbox.open_account("cn-gd-ets", "waits-gd")
    # One registry answers its holdings slowly, so the snapshot (and its hold) lasts a while.
    await sandbox.fail("mo-micx", latency_ms=3000, operations=["holdings"])
    await oversight.RunReconciliation(pb.RunReconciliationRequest(reconciliation_id="slow-run"))
    for _ in range(100):
        got = await oversight.GetReconciliation(pb.GetReconciliationRequest(reconciliation_id="slow-run"))
        if got.stage == "snapshot":
            break
        await asyncio.sleep(0.05)
    await transfers.SubmitTransfer(
        transfer_request("waits-1", ("cn-ccer", "waits"), ("cn-gd-ets", "waits-gd"), serial)
    )
    await asyncio.sleep(1.5)
    during = await transfers.GetTransfer(S.GetTransferRequest(transfer_id="waits-1"))
    still = await oversight.GetReconciliation(pb.GetReconciliationRequest(reconciliation_id="slow-run"))
    assert not still.finish_time.seconds, "the run was meant to be reading the slow registry"
    assert during.state == S.TRANSFER_STATE_CHECKED, (
        "the transfer reserved while its serials were under review"
    )
    done = await final_state(transfers, "waits-1")
    assert done.state in SETTLED
    await sandbox.clear_all_faults()
    finished = await run(oversight, "slow-run")
    assert finished.state == pb.RECONCILIATION_STATE_CONSISTENT


async def test_each_injected_discrepancy_shows_with_its_code(
    gateway, oversight, transfers, channel, sandbox: SandboxAdmin
):
    # Registry books edited out of band: one destination row deleted, another shrunk.
    for n in (3, 4):
        await sandbox.seed("cn-ccer", f"book-{n}", f"CCER-CN-99000{n}-2024-3-1-100")
        await sandbox.open_account("cn-sz-ets", f"book-{n}-sz")
        await move(
            transfers,
            f"book-{n}",
            ("cn-ccer", f"book-{n}"),
            ("cn-sz-ets", f"book-{n}-sz"),
            f"CCER-CN-99000{n}-2024-3-1-100",
        )
    book = sqlite3.connect(gateway.settings.data_dir / "sandbox.sqlite3")
    with book:
        book.execute("DELETE FROM holdings WHERE registry_id = 'cn-sz-ets' AND account_id = 'book-3-sz'")
        (row_id, raw) = book.execute(
            "SELECT row_id, block FROM holdings WHERE registry_id = 'cn-sz-ets' AND account_id = 'book-4-sz'"
        ).fetchone()
        shrunk = json.loads(raw) | {"end": 90}
        book.execute(
            "UPDATE holdings SET last_unit = 90, block = ? WHERE row_id = ?", (json.dumps(shrunk), row_id)
        )
    book.close()
    sandbox.seeded["CCER/CCER"] -= 100 + 10

    # Verra releases the immobilised units after the gateway credited Core Climate.
    serial = verra_serial(VERRA_FIRST, VERRA_FIRST + 99)
    await sandbox.seed("verra", "released", serial)
    await sandbox.open_account("hk-core-climate", "released-hk")
    await transfers.SubmitTransfer(
        transfer_request("verra-out", ("verra", "released"), ("hk-core-climate", "released-hk"), serial)
    )
    await sandbox.holder_acts(
        "verra", "immobilise", "released", serial, "Immobilised for gateway transfer verra-out"
    )
    assert (await final_state(transfers, "verra-out")).state in SETTLED
    await sandbox.holder_acts("verra", "release", "released", serial, "")
    sandbox.seeded["VCS/VCU"] += 100

    # A settled row edited in the ledger.
    await sandbox.seed("cn-ccer", "edited", "CCER-CN-990005-2024-3-1-10")
    await sandbox.open_account("cn-sz-ets", "edited-sz")
    await move(
        transfers, "edited-1", ("cn-ccer", "edited"), ("cn-sz-ets", "edited-sz"), "CCER-CN-990005-2024-3-1-10"
    )
    with gateway.ledger._engine.begin() as db:
        db.execute(
            text(
                "UPDATE transfers SET destination_account_id = 'someone-else' WHERE transfer_id = 'edited-1'"
            )
        )

    # A transfer stuck waiting for a person: its source refuses to let the units go.
    await sandbox.seed("cn-ccer", "stuck", "CCER-CN-990006-2024-3-1-20")
    await sandbox.open_account("cn-gd-ets", "stuck-gd")
    await sandbox.fail("cn-ccer", refusal_rate=1.0, operations=["finalise"])
    await transfers.SubmitTransfer(
        transfer_request(
            "stuck-1", ("cn-ccer", "stuck"), ("cn-gd-ets", "stuck-gd"), "CCER-CN-990006-2024-3-1-20"
        )
    )
    assert (await final_state(transfers, "stuck-1")).state == S.TRANSFER_STATE_NEEDS_INTERVENTION

    # A cross-border use abroad with no corresponding adjustment applied.
    itmo = "CA0004-VU-CH-990-1-500-2023"
    await sandbox.seed("vu-national", "itmo", itmo)
    await sandbox.open_account("cn-ccer", "itmo-cn")
    compliance = compliance_pb2_grpc.ComplianceServiceStub(channel)
    authorised_on = compliance_pb2.RecordAuthorisationRequest().authorised_on
    authorised_on.FromJsonString("2025-03-01T00:00:00Z")
    await compliance.RecordAuthorisation(
        compliance_pb2.RecordAuthorisationRequest(
            authorisation_id="VU-AUTH-990",
            host_party="VU",
            authorised_use=compliance_pb2.AUTHORISED_USE_NDC,
            cooperative_approach_id="VU-CN-2025",
            authorised_on=authorised_on,
            registry_id="vu-national",
            serial=itmo,
        )
    )
    await move(
        transfers, "itmo-1", ("vu-national", "itmo"), ("cn-ccer", "itmo-cn"), itmo, purpose=S.PURPOSE_NDC
    )

    # Someone tries to move the released Verra units again: the double-counting checks refuse.
    await sandbox.open_account("hk-core-climate", "again-hk")
    await transfers.SubmitTransfer(
        transfer_request("verra-again", ("verra", "released"), ("hk-core-climate", "again-hk"), serial)
    )
    assert (await final_state(transfers, "verra-again")).state == S.TRANSFER_STATE_REJECTED

    done = await run(oversight, "dirty-run")
    assert done.state == pb.RECONCILIATION_STATE_MANUAL_INTERVENTION_REQUIRED
    listed = await oversight.ListReconciliations(pb.ListReconciliationsRequest())
    [shown] = [r for r in listed.reconciliations if r.reconciliation_id == "dirty-run"]
    assert (shown.findings, shown.open_findings) == (done.findings, done.findings) == (7, 7)
    assert shown.findings_by_code["REC-MISSING"] == 1
    found = await report_json(oversight, "dirty-run")
    [missing] = codes_at(found, "REC-MISSING")
    assert (missing["account_id"], missing["quantity"], missing["transfer_ids"]) == (
        "book-3-sz",
        100,
        ["book-3"],
    )
    assert [t["transfer_id"] for t in missing["trail"]] == ["book-3"], "the audit trail names the transfer"
    [short] = codes_at(found, "REC-QUANTITY")
    assert (short["account_id"], short["start"], short["end"]) == ("book-4-sz", 91, 100)
    [twice] = codes_at(found, "REC-LIVE-TWICE")
    assert (twice["registry_id"], twice["account_id"], twice["quantity"]) == ("verra", "released", 100)
    assert twice["finding_class"] == "invalid_units" and twice["serial"] == serial
    [log] = codes_at(found, "REC-LOG")
    assert log["cause"] == "SETTLED-ROW-CHANGED" and "edited-1" in log["message"]
    [stuck] = codes_at(found, "REC-STUCK")
    assert stuck["transfer_ids"] == ["stuck-1"] and stuck["transfer_state"] == "needs_intervention"
    [unadjusted] = codes_at(found, "REC-A6-UNADJUSTED")
    assert (
        unadjusted["transfer_ids"] == ["itmo-1"] and unadjusted["finding_class"] == "discrepant_transaction"
    )
    [alert] = codes_at(found, "REC-DC-ALERT")
    assert alert["transfer_ids"] == ["verra-again"] and alert["cause"] == "DC-USE"
    assert not codes_at(found, "REC-EXTRA"), "each discrepancy is named once, by its most specific code"

    csv_rows = (await report(oversight, "dirty-run", pb.REPORT_FORMAT_CSV)).decode().splitlines()
    assert len(csv_rows) == 1 + len(found["findings"])
    pdf = PdfReader(io.BytesIO(await report(oversight, "dirty-run", pb.REPORT_FORMAT_PDF)))
    pdf_text = " ".join(page.extract_text() for page in pdf.pages)
    for f in found["findings"]:
        assert f["finding_id"] in pdf_text
    html = (await report(oversight, "dirty-run", pb.REPORT_FORMAT_HTML)).decode()
    assert "REC-LIVE-TWICE" in html and "Invalid units" in html

    # The regulator resolves the stuck transfer's finding; the operator finishes the transfer.
    resolved = await oversight.ResolveFinding(
        pb.ResolveFindingRequest(
            reconciliation_id="dirty-run", finding_id=stuck["finding_id"], note="desk retried finalise"
        )
    )
    assert resolved.resolved_by and resolved.reconciliation.open_findings == done.findings - 1
    listed = await oversight.ListReconciliations(pb.ListReconciliationsRequest())
    assert [r.open_findings for r in listed.reconciliations if r.reconciliation_id == "dirty-run"] == [
        done.findings - 1
    ], "a listing shows the resolution too"
    again = await oversight.ResolveFinding(
        pb.ResolveFindingRequest(
            reconciliation_id="dirty-run", finding_id=stuck["finding_id"], note="desk retried finalise"
        )
    )
    assert again.resolve_time == resolved.resolve_time, "the same resolution again changes nothing"
    await sandbox.clear_all_faults()
    await transfers.ResolveTransfer(
        S.ResolveTransferRequest(
            transfer_id="stuck-1", resolution=S.RESOLUTION_RETRY, reason="registry fixed", operator="ops-reg"
        )
    )
    assert (await final_state(transfers, "stuck-1")).state in SETTLED

    # The next report: the stuck finding is gone and listed as resolved since; a recurring one keeps its past.
    await oversight.ResolveFinding(
        pb.ResolveFindingRequest(
            reconciliation_id="dirty-run", finding_id=twice["finding_id"], note="Verra asked to re-immobilise"
        )
    )
    await run(oversight, "next-run")
    later = await report_json(oversight, "next-run")
    assert not codes_at(later, "REC-STUCK")
    assert not codes_at(later, "REC-DC-ALERT"), "a refusal is reported by the first run after it"
    assert [f["finding_id"] for f in later["resolved_earlier"]] == [stuck["finding_id"]]
    [back] = codes_at(later, "REC-LIVE-TWICE")
    assert back["earlier_resolution"]["note"] == "Verra asked to re-immobilise"
    assert back["resolution"] is None

    # Put the Verra units back where the ledger says they left, so the module's books balance.
    await sandbox.holder_acts(
        "verra", "immobilise", "released", serial, "Immobilised for gateway transfer verra-out"
    )
    sandbox.seeded["VCS/VCU"] -= 100


async def test_bad_requests_name_their_fields_and_change_nothing(oversight):
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await oversight.GetReconciliation(pb.GetReconciliationRequest(reconciliation_id="never-ran"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await oversight.RunReconciliation(pb.RunReconciliationRequest(reconciliation_id="no spaces allowed"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fields_named(bad.value) == ["reconciliation_id"]
    with pytest.raises(grpc.aio.AioRpcError) as unformatted:
        await report(oversight, "clean-run", pb.REPORT_FORMAT_UNSPECIFIED)
    assert unformatted.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as no_finding:
        await oversight.ResolveFinding(
            pb.ResolveFindingRequest(reconciliation_id="clean-run", finding_id="clean-run-00009", note="n")
        )
    assert no_finding.value.code() == grpc.StatusCode.NOT_FOUND
    assert "never-ran" not in [
        r.reconciliation_id
        for r in (await oversight.ListReconciliations(pb.ListReconciliationsRequest())).reconciliations
    ]


async def test_the_reconcile_command_shows_progress_writes_the_reports_and_resolves(gateway, tmp_path):
    shown = await run_cli(gateway, "reconcile", "--id", "cli-run", "--out", str(tmp_path), terminal=True)
    assert shown.code == 1, shown.err  # the dirty run's findings are still there
    assert "reconciliation cli-run: manual_intervention_required" in shown.out
    assert "REC-MISSING: 1" in shown.out and "REC-LIVE-TWICE" not in shown.out, "Verra re-immobilised"
    assert "100%" in shown.err and "done" in shown.err, "the progress bar reached its end"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [f"reconciliation-cli-run.{ext}" for ext in ("csv", "html", "json", "pdf")]
    body = json.loads((tmp_path / "reconciliation-cli-run.json").read_text())
    missing = next(f for f in body["findings"] if f["code"] == "REC-MISSING")
    resolved = await run_cli(
        gateway,
        "reconcile",
        "--id",
        "cli-run",
        "--resolve",
        missing["finding_id"],
        "--note",
        "registry restored",
    )
    assert resolved.code == 0 and f"finding {missing['finding_id']} resolved" in resolved.out
    refused = await run_cli(
        gateway, "reconcile", "--id", "cli-run", "--resolve", "cli-run-99999", "--note", "x"
    )
    assert refused.code == 2 and "NOT_FOUND" in refused.err


async def test_offsets_above_a_cap_tightened_after_their_use_are_found(
    gateway, transfers, sandbox: SandboxAdmin, tmp_path
):
    serial = "CCER-CN-990007-2024-3-1-50"
    await sandbox.seed("cn-ccer", "capped", serial)
    await sandbox.open_account("cn-sz-ets", "capped-sz")
    entity = make_covered(gateway, "cn-sz-ets", "capped-sz", tonnes=1000)  # CCER cap: 5 %, 50 units
    await move(
        transfers,
        "capped-1",
        ("cn-ccer", "capped"),
        ("cn-sz-ets", "capped-sz"),
        serial,
        purpose=S.PURPOSE_OFFSET,
    )
    checks = GatewayChecks(gateway.ledger, gateway.settings, gateway.rulebook)
    assert [f for f in checks.offsets_above_caps() if f.account_id == entity] == []
    # The regulator lowers the CCER share to 2 %: the use already made is now 30 units too many.
    packs = tmp_path / "packs"
    shutil.copytree(PACKS_FOLDER, packs, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    pack = packs / "cn-sz-ets.toml"
    pack.write_text(pack.read_text().replace("share = 0.05", "share = 0.02"))
    stricter = GatewayChecks(gateway.ledger, gateway.settings, load_rulebook(packs))
    [above] = [f for f in stricter.offsets_above_caps() if f.account_id == entity]
    assert (above.code.value, above.cause, above.quantity) == ("REC-OFFSET-CAP", "RULE-SZ-OFFSET-CCER", 30)
    assert above.transfer_ids == ["capped-1"]
