"""Public-benefit accounts over gRPC: a retirement shows in the registry, the ledger, the certificate and
its receipt, and the retired units cannot move again."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import grpc
import httpx
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from adapters import catalogue
from domain.transfers import AccountRef
from ledger_anchor.merkle import leaf_hash
from ledger_anchor.receipt import SettlementReceipt
from ledger_anchor.verify import verify_receipt_file
from protos.carbon.gateway.v1 import (
    compliance_pb2,
    compliance_pb2_grpc,
    finance_pb2_grpc,
    oversight_pb2,
    oversight_pb2_grpc,
    registry_pb2,
    transfer_pb2,
)
from protos.carbon.gateway.v1 import finance_pb2 as pb
from tests.e2e.client import SETTLED, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial
from workflows.retirement import RetirementWorkflow

pytestmark = pytest.mark.e2e
_n = itertools.count(1)
HOSTILE = '<script>alert("pwned")</script> & Sons <img src=x onerror=alert(1)>'
REASON = "offsetting our 2026 events"
SZ = "cn-sz-ets"
ORGANISATION, PERSON = pb.BENEFICIARY_KIND_ORGANISATION, pb.BENEFICIARY_KIND_PERSON


@pytest.fixture
def finance(channel) -> finance_pb2_grpc.FinanceServiceStub:
    return finance_pb2_grpc.FinanceServiceStub(channel)


def ccer(account_id: str, registry_id: str = "cn-ccer") -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id=registry_id, account_id=account_id)


async def open_account(
    finance,
    account_id: str,
    holding: str,
    name: str,
    kind: int = ORGANISATION,
    private: bool = False,
    registry_id: str = "cn-ccer",
) -> pb.OpenPublicBenefitAccountResponse:
    account = pb.PublicBenefitAccount(
        account_id=account_id,
        kind=kind,
        display_name=name,
        private=private,
        holding=ccer(holding, registry_id),
    )
    return await finance.OpenPublicBenefitAccount(pb.OpenPublicBenefitAccountRequest(account=account))


def retire(retirement_id: str, account_id: str, serial: str, **fields: Any) -> pb.RetireForBeneficiaryRequest:
    return pb.RetireForBeneficiaryRequest(
        retirement_id=retirement_id, account_id=account_id, serial=serial, reason=REASON, **fields
    )


async def ended(finance, retirement_id: str, timeout_s: float = 20) -> pb.GetRetirementCertificateResponse:
    """The retirement once RETIRED or FAILED, looked at every 50 ms."""
    ask = pb.GetRetirementCertificateRequest(retirement_id=retirement_id)
    async with asyncio.timeout(timeout_s):
        while True:
            seen = await finance.GetRetirementCertificate(ask)
            if seen.state in (pb.RETIREMENT_STATE_RETIRED, pb.RETIREMENT_STATE_FAILED):
                return seen
            await asyncio.sleep(0.05)


async def anchored_certificate(finance, retirement_id: str, timeout_s: float = 20) -> dict[str, Any]:
    """The JSON certificate once its receipt is there (the test gateway anchors every second)."""
    ask = pb.GetRetirementCertificateRequest(retirement_id=retirement_id, format=pb.CERTIFICATE_FORMAT_JSON)
    async with asyncio.timeout(timeout_s):
        while True:
            seen = await finance.GetRetirementCertificate(ask)
            assert seen.media_type == "application/json"
            document: dict[str, Any] = json.loads(seen.content)
            if document["settlement"]["anchored"]:
                return document
            assert document["receipt"] is None
            await asyncio.sleep(0.2)


async def html_certificate(finance, retirement_id: str) -> str:
    seen = await finance.GetRetirementCertificate(
        pb.GetRetirementCertificateRequest(retirement_id=retirement_id, format=pb.CERTIFICATE_FORMAT_HTML)
    )
    assert seen.media_type == "text/html; charset=utf-8"
    return seen.content.decode("utf-8")


async def holdings(registries, account_id: str, registry_id: str = "cn-ccer") -> list[tuple[str, str]]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sorted((h.serial, registry_pb2.UnitStatus.Name(h.status)) for h in found.holdings)


async def registry_retirements(
    gateway, account_id: str, registry_id: str = "cn-ccer"
) -> list[dict[str, Any]]:
    """The retirements the sandbox registry itself records for the account (its wire shows them)."""
    async with httpx.AsyncClient(base_url=gateway.sandbox_url, timeout=10) as http:
        response = await http.get(f"/registries/{registry_id}/holdings", params={"account_id": account_id})
    response.raise_for_status()
    return [row["retirement"] for row in response.json()["holdings"] if row.get("retirement")]


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_a_bought_retirement_shows_in_registry_ledger_and_certificate_and_cannot_move_again(
    gateway,
    channel,
    finance,
    transfers,
    registries,
    sandbox: SandboxAdmin,
    account,
    ccer_serial: CcerSerial,
    tmp_path,
):
    seller, holding, pb_id, rid = f"{account}-seller", f"{account}-pb", f"pb-{account}", f"r-{account}"
    await sandbox.seed("cn-ccer", seller, ccer_serial(1, 100))
    await sandbox.open_account(SZ, holding)  # Shenzhen's registry holds CCERs too
    block = catalogue.parse_serial("cn-ccer", ccer_serial(1, 40))
    loan = pb.GreenLoan(
        loan_id=f"loan-{account}",
        borrower_entity="Project developer",
        amount=pb.Money(currency_code="CNY", amount="1000000.00"),
        projects=[pb.ProjectRef(programme=block.programme, project_id=block.project_id)],
        use_of_proceeds="wind farm",
        sign_date="2026-01-05",
        maturity_date="2030-01-05",
    )
    await finance.RecordGreenLoan(pb.RecordGreenLoanRequest(loan=loan))  # its lender hears of retirements

    opened = await open_account(finance, pb_id, holding, HOSTILE, registry_id=SZ)
    assert opened.created and opened.account.operator == "plaintext"
    asked = retire(rid, pb_id, ccer_serial(1, 100), seller=ccer(seller), quantity=40)
    first = await finance.RetireForBeneficiary(asked)
    assert first.state == pb.RETIREMENT_STATE_BUYING and not first.certificate_id
    assert (await finance.RetireForBeneficiary(asked)).state != pb.RETIREMENT_STATE_FAILED  # the same one
    other = retire(rid, pb_id, ccer_serial(1, 100), seller=ccer(seller), quantity=41)
    assert (await refused(finance.RetireForBeneficiary(other))).code() == grpc.StatusCode.ALREADY_EXISTS

    done = await ended(finance, rid)
    assert done.state == pb.RETIREMENT_STATE_RETIRED, done.reasons
    assert done.certificate_id == f"cert-{rid}"

    # The registry: the bought units are retired in the backing account, for the beneficiary.
    assert await holdings(registries, holding, SZ) == [(ccer_serial(1, 40), "UNIT_STATUS_RETIRED")]
    assert (ccer_serial(41, 100), "UNIT_STATUS_HELD") in await holdings(registries, seller)
    assert await registry_retirements(gateway, holding, SZ) == [
        {"key": f"retire-{rid}:retire", "beneficiary": HOSTILE, "reason": REASON}
    ]
    # The ledger: the purchase settled, and the serials live at the registry's "retired" mark.
    for transfer_id in (f"retire-{rid}-buy", f"retire-{rid}"):
        moved = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
        assert moved.state in SETTLED and moved.quantity == 40, (transfer_id, moved.reasons)
    retired_at = AccountRef(registry_id=SZ, account_id="#retired")
    assert gateway.ledger.location_of(block) == [(block, retired_at, f"retire-{rid}")]
    again = await open_account(finance, pb_id, holding, HOSTILE, registry_id=SZ)
    assert not again.created and again.account.retired_t == 40
    events = [e for e in gateway.ledger.finance.events("plaintext", 0, ["retirement.completed"], 10_000)]
    assert [e.event_id for e in events if e.subject == rid] == [f"retirement:{rid}:completed"]

    # The certificate and its receipt, which verifies against the anchored log on the chain.
    cert = await anchored_certificate(finance, rid)
    assert cert["certificate_id"] == f"cert-{rid}"
    assert cert["beneficiary"] == {"name": HOSTILE, "kind": "organisation"}
    assert cert["reason"] == REASON
    assert (cert["units"]["serial"], cert["units"]["quantity"]) == (ccer_serial(1, 40), 40)
    assert cert["registry"]["registry_id"] == SZ and cert["retired_at"]
    receipt = SettlementReceipt.model_validate(cert["receipt"])
    assert cert["settlement"]["leaf_hash"] == "0x" + leaf_hash(receipt.leaf_bytes()).hex()
    proof = await oversight_pb2_grpc.OversightServiceStub(channel).GetSettlementProof(
        oversight_pb2.GetSettlementProofRequest(transfer_id=f"retire-{rid}")
    )
    assert (proof.leaf, proof.leaf_index) == (receipt.leaf_bytes(), cert["settlement"]["leaf_index"])
    receipt.write(tmp_path / "receipt.json")
    verdict = verify_receipt_file(tmp_path / "receipt.json", gateway.chain_url, min_confirmations=2)
    assert verdict.ok, verdict.reason
    assert "carbon-gateway verify receipt.json" in cert["verify"]

    page = await html_certificate(finance, rid)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Sons &lt;img" in page
    assert "<script" not in page and "<img" not in page  # the name is text, never markup
    assert "http://" not in page and "https://" not in page and "<link" not in page  # nothing fetched
    assert receipt.root in page

    # Retired units cannot move again: not by a transfer, not by another retirement.
    moved_again = transfer_request(f"again-{account}", (SZ, holding), ("cn-ccer", seller), ccer_serial(1, 40))
    assert (
        await refused(transfers.SubmitTransfer(moved_again))
    ).code() == grpc.StatusCode.FAILED_PRECONDITION
    verdict_now = await compliance_pb2_grpc.ComplianceServiceStub(channel).EvaluateTransfer(
        compliance_pb2.EvaluateTransferRequest(transfer=moved_again)
    )
    assert not verdict_now.allowed
    assert any(f.code == "DC-USE" and f"retire-{rid}" in f.message for f in verdict_now.findings)
    await finance.RetireForBeneficiary(retire(f"{rid}-twice", pb_id, ccer_serial(1, 40)))
    twice = await ended(finance, f"{rid}-twice")
    assert twice.state == pb.RETIREMENT_STATE_FAILED
    assert [r.code for r in twice.reasons] == ["UNITS-NOT-HELD"]

    # The workflow's history (a purchase looked at between timers, then the retirement) replays.
    history = await gateway.client.get_workflow_handle(f"transfer/retire-{rid}").fetch_history()
    await Replayer(workflows=[RetirementWorkflow], data_converter=pydantic_data_converter).replay_workflow(
        history
    )


async def test_a_private_person_is_not_named_anywhere(
    gateway, finance, sandbox: SandboxAdmin, account, ccer_serial
):
    holding, pb_id, rid = f"{account}-pb", f"pb-{account}", f"r-{account}"
    await sandbox.seed("cn-ccer", holding, ccer_serial(1, 10))
    await open_account(finance, pb_id, holding, "Wei Zhang", kind=PERSON, private=True)

    started = await finance.RetireForBeneficiary(retire(rid, pb_id, ccer_serial(1, 10)))
    assert started.state == pb.RETIREMENT_STATE_RETIRING  # nothing to buy
    done = await ended(finance, rid)
    assert done.state == pb.RETIREMENT_STATE_RETIRED, done.reasons

    document = json.loads(done.content)
    assert document["beneficiary"] == {"name": "a private individual", "kind": "person"}
    assert document["units"]["quantity"] == 10
    page = await html_certificate(finance, rid)
    assert "a private individual" in page
    for shown in (done.content.decode(), page, json.dumps(await registry_retirements(gateway, holding))):
        assert "Wei Zhang" not in shown


async def test_a_pledged_block_and_a_registry_without_a_write_api_are_refused(
    finance, transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    holding, pb_id = f"{account}-pb", f"pb-{account}"
    verra = pb.PublicBenefitAccount(
        account_id=f"{pb_id}-verra",
        kind=ORGANISATION,
        display_name="Acme",
        holding=transfer_pb2.AccountRef(registry_id="verra", account_id="acme-verra"),
    )
    evidence = await refused(
        finance.OpenPublicBenefitAccount(pb.OpenPublicBenefitAccountRequest(account=verra))
    )
    assert evidence.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no write API" in (evidence.details() or "")

    await sandbox.seed("cn-ccer", holding, ccer_serial(1, 20))
    await open_account(finance, pb_id, holding, "Acme")
    await finance.Pledge(
        pb.PledgeRequest(pledge_id=f"pledge-{account}", holder=ccer(holding), serial=ccer_serial(1, 20))
    )
    rid = f"r-{account}"
    await finance.RetireForBeneficiary(retire(rid, pb_id, ccer_serial(1, 20), quantity=5))
    done = await ended(finance, rid)
    assert done.state == pb.RETIREMENT_STATE_FAILED and not done.content
    assert "DC-STATUS" in [r.code for r in done.reasons], done.reasons
    rejected = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=f"retire-{rid}"))
    assert rejected.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert await holdings(registries, holding) == [(ccer_serial(1, 20), "UNIT_STATUS_HELD")]

    # The pseudo-account is the ledger's alone: nobody can send units to it.
    to_retired = transfer_request(
        f"t-{account}", ("cn-ccer", holding), ("cn-ccer", "#retired"), ccer_serial(1, 5)
    )
    assert (await refused(transfers.SubmitTransfer(to_retired))).code() == grpc.StatusCode.INVALID_ARGUMENT
    unknown = pb.GetRetirementCertificateRequest(retirement_id=f"nothing-{next(_n)}")
    assert (await refused(finance.GetRetirementCertificate(unknown))).code() == grpc.StatusCode.NOT_FOUND
    too_long = retire("r" * 118, pb_id, ccer_serial(1, 5))
    assert (await refused(finance.RetireForBeneficiary(too_long))).code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_retirement_whose_replies_are_lost_waits_for_the_registry_and_retires_once(
    gateway, finance, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    holding, pb_id, rid = f"{account}-pb", f"pb-{account}", f"r-{account}"
    await sandbox.seed("cn-ccer", holding, ccer_serial(1, 10))
    await open_account(finance, pb_id, holding, "Acme")
    await sandbox.fail("cn-ccer", lost_reply_rate=1.0, operations=["retire"])

    await finance.RetireForBeneficiary(retire(rid, pb_id, ccer_serial(1, 10)))
    async with asyncio.timeout(10):  # the registry retires, but no answer comes back
        while await holdings(registries, holding) != [(ccer_serial(1, 10), "UNIT_STATUS_RETIRED")]:
            await asyncio.sleep(0.05)
    waiting = await finance.GetRetirementCertificate(pb.GetRetirementCertificateRequest(retirement_id=rid))
    assert waiting.state == pb.RETIREMENT_STATE_RETIRING  # maybe retired: never failed, serials still held
    # Past the registry call a cancel changes nothing: releasing the serials now could count them twice.
    await gateway.client.get_workflow_handle(f"transfer/retire-{rid}").cancel()

    await sandbox.clear_all_faults()
    done = await ended(finance, rid)
    assert done.state == pb.RETIREMENT_STATE_RETIRED, done.reasons
    assert len(await registry_retirements(gateway, holding)) == 1
