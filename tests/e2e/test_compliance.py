"""ComplianceService over gRPC: dry runs, the regulators' facts, Article 6 claims and lineage."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf import timestamp_pb2

from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import compliance_pb2_grpc, registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, fields_named, final_state, transfer_request
from tests.e2e.covered_entities import make_covered
from tests.e2e.sandbox_admin import SandboxAdmin

pytestmark = pytest.mark.e2e
_n = itertools.count(1)
NDC, OFFSET = transfer_pb2.PURPOSE_NDC, transfer_pb2.PURPOSE_OFFSET
INVALID, PRECONDITION = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION


@pytest.fixture
def compliance(channel) -> compliance_pb2_grpc.ComplianceServiceStub:
    return compliance_pb2_grpc.ComplianceServiceStub(channel)


async def test_the_check_catalogue_lists_every_double_counting_check(compliance):
    found = await compliance.ListChecks(pb.ListChecksRequest())
    assert {c.code for c in found.checks} == {"DC-USE", "DC-ISSUE", "DC-GREEN-POWER", "DC-CLAIM", "DC-STATUS"}
    assert all(c.meaning.endswith(".") for c in found.checks)


async def test_a_dry_run_moves_and_stores_nothing(
    gateway, compliance, transfers, registries, sandbox: SandboxAdmin, account
):
    serial = f"CCER-CN-{710_000 + next(_n)}-2024-1-1-100"
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    make_covered(gateway, "cn-sz-ets", f"{account}-sz")  # an emitter: offsets are judged against its cap
    before = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account)
    )
    dry = request(f"dry-{account}", ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial, OFFSET)
    verdict = await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=dry))
    assert verdict.allowed and not verdict.findings
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=dry.transfer_id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    after = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account)
    )
    assert after == before
    malformed = request("dry-bad", ("cn-ccer", account), ("cn-sz-ets", "x"), "CCER-nonsense")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=malformed))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_crosswalked_project_is_refused_as_double_issuance(
    compliance, sandbox: SandboxAdmin, account
):
    project = 720_000 + next(_n)
    serial = f"CCER-CN-{project}-2024-1-1-100"
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    csv = (
        "programme_a,project_a,programme_b,project_b,period_start,period_end,source_reference,loaded_by\n"
        f"CCER,{project},VCS,{project},2023-01-01,2024-12-31,regulator notice {project},regulator\n"
    )
    imported = await compliance.ImportCrosswalk(pb.ImportCrosswalkRequest(csv=csv))
    assert (imported.loaded, imported.total) == (1, 1)
    again = await compliance.ImportCrosswalk(pb.ImportCrosswalkRequest(csv=csv))
    assert again.loaded == 0, "loading the same entry twice stores it once"
    exported = await compliance.ExportCrosswalk(pb.ExportCrosswalkRequest())
    assert f"regulator notice {project}" in exported.csv
    dry = request(f"dry-issue-{account}", ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    verdict = await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=dry))
    assert not verdict.allowed
    assert "DC-ISSUE" in [f.code for f in verdict.findings]
    with pytest.raises(grpc.aio.AioRpcError) as bad_csv:
        await compliance.ImportCrosswalk(pb.ImportCrosswalkRequest(csv="programme_a\nCCER\n"))
    assert bad_csv.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_an_authorised_itmo_records_its_first_transfer_and_adjustment(
    compliance, transfers, sandbox: SandboxAdmin, account
):
    project = 730 + next(_n)
    serial = f"CA0004-VU-CH-{project}-1-3000-2023"
    await sandbox.seed("vu-national", account, serial)
    await sandbox.open_account("cn-ccer", f"{account}-cn")
    unauthorised = request(
        f"itmo-no-auth-{account}", ("vu-national", account), ("cn-ccer", f"{account}-cn"), serial, NDC
    )
    verdict = await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=unauthorised))
    assert "DC-CLAIM" in [f.code for f in verdict.findings]

    await compliance.RecordAuthorisation(
        pb.RecordAuthorisationRequest(
            authorisation_id=f"VU-AUTH-{project}",
            host_party="VU",
            authorised_use=pb.AUTHORISED_USE_NDC,
            cooperative_approach_id="VU-CN-2025",
            authorised_on=day("2025-03-01"),
            registry_id="vu-national",
            serial=serial,
        )
    )
    transfer_id = f"itmo-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("vu-national", account), ("cn-ccer", f"{account}-cn"), serial, NDC, 1000)
    )
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons
    firsts = {
        f.transfer_id: f
        for f in (await compliance.ListFirstTransfers(pb.ListFirstTransfersRequest())).first_transfers
    }
    assert firsts[transfer_id].adjustment == pb.CORRESPONDING_ADJUSTMENT_NOT_STARTED
    assert (firsts[transfer_id].host_party, firsts[transfer_id].acquiring_party) == ("VU", "CN")

    # Used abroad (NDC) while the host has not applied the adjustment: flagged.
    flagged = await compliance.ListUnadjustedUses(pb.ListUnadjustedUsesRequest())
    mine = [u for u in flagged.uses if u.transfer_id == transfer_id]
    assert [(u.host_party, u.using_party, u.adjustment) for u in mine] == [
        ("VU", "CN", pb.CORRESPONDING_ADJUSTMENT_NOT_STARTED)
    ]
    for state in (pb.CORRESPONDING_ADJUSTMENT_PENDING, pb.CORRESPONDING_ADJUSTMENT_APPLIED):
        moved = await compliance.AdvanceCorrespondingAdjustment(
            pb.AdvanceCorrespondingAdjustmentRequest(transfer_id=transfer_id, state=state)
        )
        assert moved.first_transfer.adjustment == state
    flagged = await compliance.ListUnadjustedUses(pb.ListUnadjustedUsesRequest())
    assert transfer_id not in [u.transfer_id for u in flagged.uses], "an applied adjustment clears the flag"
    with pytest.raises(grpc.aio.AioRpcError) as backwards:
        await compliance.AdvanceCorrespondingAdjustment(
            pb.AdvanceCorrespondingAdjustmentRequest(
                transfer_id=transfer_id, state=pb.CORRESPONDING_ADJUSTMENT_PENDING
            )
        )
    assert backwards.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    csv = await compliance.ExportArticle6Actions(pb.ExportArticle6ActionsRequest(format=pb.EXPORT_FORMAT_CSV))
    assert csv.content_type == "text/csv"
    assert f"VU-AUTH-{project}" in csv.content and "first transfer" in csv.content.lower()
    as_json = await compliance.ExportArticle6Actions(
        pb.ExportArticle6ActionsRequest(format=pb.EXPORT_FORMAT_JSON)
    )
    assert as_json.content.lstrip().startswith("[") and f"VU-AUTH-{project}" in as_json.content


async def test_lineage_follows_a_mirrored_block_across_registries(
    compliance, transfers, sandbox: SandboxAdmin, account
):
    first = 700_000_000 + next(_n) * 10_000
    serial = f"9660-{first}-{first + 99}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
    await sandbox.seed("hk-core-climate", account, serial)
    await sandbox.open_account("mo-micx", f"{account}-mo")
    await sandbox.open_account("hk-core-climate", f"{account}-back")
    hops = [
        (("hk-core-climate", account), ("mo-micx", f"{account}-mo")),
        (("mo-micx", f"{account}-mo"), ("hk-core-climate", f"{account}-back")),
    ]
    for i, (source, destination) in enumerate(hops):
        await transfers.SubmitTransfer(request(f"hop-{i}-{account}", source, destination, serial))
        assert (await final_state(transfers, f"hop-{i}-{account}")).state in SETTLED
    lineage = await compliance.GetLineage(pb.GetLineageRequest(registry_id="hk-core-climate", serial=serial))
    assert [m.transfer_id for m in lineage.movements] == [f"hop-0-{account}", f"hop-1-{account}"]
    assert lineage.movements[0].destination.registry_id == "mo-micx"
    settled = [m.settle_time.ToDatetime(tzinfo=UTC) for m in lineage.movements]
    assert settled == sorted(settled) and settled[0].year >= 2025


async def test_green_power_already_certified_is_refused(gateway, compliance, sandbox: SandboxAdmin, account):
    project = 740_000 + next(_n)
    serial = f"CCER-CN-{project}-2024-1-1-900"  # 900 credits for 900 of the plant's 1,000 MWh
    await sandbox.seed("cn-ccer", account, serial)
    make_covered(gateway, "cn-sz-ets", f"{account}-sz")
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    plant = f"wind-farm-{project}"
    await compliance.RecordCreditedGeneration(
        pb.RecordCreditedGenerationRequest(
            issuance_id=f"ccer-issuance-{project}",
            registry_id="cn-ccer",
            serial=serial,
            plant_id=plant,
            period_start=day("2024-01-01"),
            period_end=day("2024-12-31"),
            generated_mwh=1000,
            credited_mwh=900,
        )
    )
    dry = request(f"green-{account}", ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial, OFFSET)
    assert (await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=dry))).allowed

    # A green-electricity certificate over the whole year claims the same MWh again.
    recorded = await compliance.RecordGenerationCertificate(
        pb.RecordGenerationCertificateRequest(
            certificate_id=f"GEC-{project}",
            programme="GEC",
            plant_id=plant,
            period_start=day("2024-01-01"),
            period_end=day("2024-12-31"),
            mwh=300.5,
        )
    )
    assert recorded.created
    verdict = await compliance.EvaluateTransfer(pb.EvaluateTransferRequest(transfer=dry))
    assert not verdict.allowed
    finding = next(f for f in verdict.findings if f.code == "DC-GREEN-POWER")
    assert finding.collides_with.serial_space.startswith("CCER:")

    local_midnight = timestamp_pb2.Timestamp()
    local_midnight.FromJsonString("2023-12-31T16:00:00Z")  # 2024-01-01 00:00 in Shenzhen: not a UTC day
    for bad, field in (
        ({"mwh": float("nan")}, "mwh"),
        ({"mwh": -5.0}, "mwh"),
        ({"mwh": float("inf")}, "mwh"),
        ({"period_start": day("2024-12-31"), "period_end": day("2024-01-01")}, "period_end"),
        ({"period_start": local_midnight}, "period_start"),
    ):
        fields = {
            "certificate_id": "bad",
            "programme": "GEC",
            "plant_id": plant,
            "period_start": day("2024-01-01"),
            "period_end": day("2024-12-31"),
            "mwh": 1.0,
        } | bad
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await compliance.RecordGenerationCertificate(pb.RecordGenerationCertificateRequest(**fields))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
        assert fields_named(refused.value) == [field], refused.value.details()


async def test_pledges_recorded_here_are_refused_pointing_to_the_bank_s_own_door(compliance, account):
    holder = transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account)
    asks = [
        compliance.RecordPledge(
            pb.RecordPledgeRequest(
                pledge_id="P1", lender="bank", holder=holder, serial="CCER-CN-1-2024-1-1-5"
            )
        ),
        compliance.ReleasePledge(pb.ReleasePledgeRequest(pledge_id="P1")),
    ]
    for ask in asks:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await ask
        assert refused.value.code() == PRECONDITION
        assert "FinanceService.Pledge" in refused.value.details()


def day(text: str) -> timestamp_pb2.Timestamp:
    """A calendar day as the contract sends one: 00:00:00 UTC of that day."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(text).replace(tzinfo=UTC))
    return stamp


def request(
    transfer_id, source, destination, serial, purpose=transfer_pb2.PURPOSE_UNSPECIFIED, quantity=None
):
    return transfer_request(transfer_id, source, destination, serial, quantity=quantity, purpose=purpose)
