"""FinanceService over gRPC: the project library, green loans and enterprise carbon accounts.

The library's entries are recorded, decided on and linked to a registry project; a
bank's loan on an entry hears of that project's issuances. An entity's carbon
account shows its registry holdings and compliance years, and its rating is
recomputed (a new rating kept, its lender told) when a regulator changes its data.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import compliance_pb2, compliance_pb2_grpc, finance_pb2_grpc, transfer_pb2
from protos.carbon.gateway.v1 import finance_pb2 as pb
from tests.e2e.client import every_page
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
_batches = itertools.count(701)
ORG = "plaintext"  # the one caller of a plaintext gateway
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def finance(channel) -> finance_pb2_grpc.FinanceServiceStub:
    return finance_pb2_grpc.FinanceServiceStub(channel)


@pytest.fixture
def compliance(channel) -> compliance_pb2_grpc.ComplianceServiceStub:
    return compliance_pb2_grpc.ComplianceServiceStub(channel)


async def refused(call, request) -> tuple[grpc.StatusCode, list[str]]:
    """The status code of a refused call and the fields its BadRequest names."""
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request)
    status = rpc_status.from_call(error.value)
    fields: list[str] = []
    for detail in status.details if status is not None else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return error.value.code(), fields


def events(gateway: EmbeddedGateway, kind: str, subject: str) -> list:
    assert gateway.ledger is not None
    return [e for e in gateway.ledger.library.events(ORG, 0, [kind], limit=10_000) if e.subject == subject]


def solar_entry(entry_id: str) -> pb.LibraryEntry:
    return pb.LibraryEntry(
        entry_id=entry_id,
        name="Rooftop solar",
        owner_entity="sz-solar-co",
        sector=pb.SECTOR_ENERGY,
        location="CN-GD",
        expected_reductions_t=50_000,
        funding_need=pb.Money(currency_code="CNY", amount="1250000.00"),
    )


def green_loan(loan_id: str, borrower: str, entries: tuple[str, ...] = ()) -> pb.GreenLoan:
    return pb.GreenLoan(
        loan_id=loan_id,
        borrower_entity=borrower,
        amount=pb.Money(currency_code="HKD", amount="8000000"),
        library_entry_ids=list(entries),
        use_of_proceeds="rooftop panels and inverters",
        sign_date="2026-01-05",
        maturity_date="2031-01-05",
    )


def day(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(text).replace(tzinfo=UTC))
    return stamp


async def test_library_entries_are_decided_linked_and_financed_and_lenders_hear_of_issuances(
    gateway, finance, compliance, sandbox: SandboxAdmin, ccer_serial: CcerSerial
):
    serial = ccer_serial(1, 500)
    project = pb.ProjectRef(programme="CCER", project_id=serial.split("-")[2])
    entry = solar_entry("fl-solar")
    first = await finance.RecordLibraryEntry(pb.RecordLibraryEntryRequest(entry=entry))
    again = await finance.RecordLibraryEntry(pb.RecordLibraryEntryRequest(entry=entry))
    assert (first.created, again.created) == (True, False)
    assert first.entry.status == pb.LIBRARY_ENTRY_STATUS_PROPOSED and again.entry == first.entry
    entry.name = "Rooftop solar, phase 1"
    renamed = await finance.RecordLibraryEntry(pb.RecordLibraryEntryRequest(entry=entry))
    assert (renamed.created, renamed.entry.name) == (False, "Rooftop solar, phase 1")
    assert renamed.entry.create_time == first.entry.create_time

    admitted = await finance.SetLibraryEntryStatus(
        pb.SetLibraryEntryStatusRequest(
            entry_id="fl-solar", status=pb.LIBRARY_ENTRY_STATUS_ADMITTED, note="meets the criteria"
        )
    )
    assert (admitted.entry.status, admitted.entry.status_note) == (
        pb.LIBRARY_ENTRY_STATUS_ADMITTED,
        "meets the criteria",
    )
    backwards = pb.SetLibraryEntryStatusRequest(entry_id="fl-solar", status=pb.LIBRARY_ENTRY_STATUS_PROPOSED)
    assert (await refused(finance.SetLibraryEntryStatus, backwards))[0] == grpc.StatusCode.FAILED_PRECONDITION

    link = pb.LinkLibraryProjectRequest(entry_id="fl-solar", project=project)
    assert (await finance.LinkLibraryProject(link)).linked
    linked_again = await finance.LinkLibraryProject(link)
    assert not linked_again.linked and list(linked_again.entry.projects) == [project]
    unknown = pb.LinkLibraryProjectRequest(entry_id="fl-none", project=project)
    assert (await refused(finance.LinkLibraryProject, unknown))[0] == grpc.StatusCode.NOT_FOUND
    assert await finance.GetLibraryEntry(pb.GetLibraryEntryRequest(entry_id="fl-solar")) == linked_again.entry
    missing = pb.GetLibraryEntryRequest(entry_id="fl-none")
    assert (await refused(finance.GetLibraryEntry, missing))[0] == grpc.StatusCode.NOT_FOUND

    await finance.RecordLibraryEntry(pb.RecordLibraryEntryRequest(entry=solar_entry("fl-wind")))
    everything, pages = await every_page(
        finance.ListLibraryEntries, pb.ListLibraryEntriesRequest(), "entries", 1
    )
    ours = [e.entry_id for e in everything if e.entry_id.startswith("fl-")]
    assert ours == ["fl-solar", "fl-wind"] and pages >= 2, "oldest first, a page at a time"
    only = pb.ListLibraryEntriesRequest(status=pb.LIBRARY_ENTRY_STATUS_ADMITTED)
    assert [e.entry_id for e in (await finance.ListLibraryEntries(only)).entries if e.entry_id in ours] == [
        "fl-solar"
    ]

    loan = green_loan("fl-loan-solar", "sz-solar-co", ("fl-solar",))
    recorded = await finance.RecordGreenLoan(pb.RecordGreenLoanRequest(loan=loan))
    assert recorded.created and recorded.loan.lender == ORG
    assert not (await finance.RecordGreenLoan(pb.RecordGreenLoanRequest(loan=loan))).created
    assert await finance.GetGreenLoan(pb.GetGreenLoanRequest(loan_id="fl-loan-solar")) == recorded.loan
    loans, _ = await every_page(finance.ListGreenLoans, pb.ListGreenLoansRequest(), "loans")
    assert recorded.loan in loans
    assert len(events(gateway, "loan.recorded", "fl-loan-solar")) == 1

    issuance = compliance_pb2.RecordIssuanceRequest(
        issuance_id=f"fl-issuance-{project.project_id}",
        registry_id="cn-ccer",
        serial=serial,
        monitoring_start=day("2024-01-01"),
        monitoring_end=day("2024-12-31"),
    )
    await compliance.RecordIssuance(issuance)
    await compliance.RecordIssuance(issuance)  # a retry tells nobody twice
    [heard] = events(gateway, "issuance.recorded", issuance.issuance_id)
    assert heard.event_id == f"issuance:CCER:{issuance.issuance_id}"
    assert (heard.data["project"]["project_id"], heard.data["quantity"]) == (project.project_id, 500)


async def test_bad_library_and_loan_requests_name_the_field_and_store_nothing(finance, sandbox: SandboxAdmin):
    record, lend = finance.RecordLibraryEntry, finance.RecordGreenLoan
    blank = pb.LibraryEntry(entry_id="fl-bad", funding_need=pb.Money(currency_code="CNY", amount="1"))
    assert await refused(record, pb.RecordLibraryEntryRequest(entry=blank)) == (
        INVALID,
        ["entry.name", "entry.owner_entity", "entry.sector", "entry.location", "entry.expected_reductions_t"],
    )
    wrong = solar_entry("fl-bad")
    wrong.location, wrong.funding_need.currency_code = "CN-XX", "XYZ"
    assert await refused(record, pb.RecordLibraryEntryRequest(entry=wrong)) == (
        INVALID,
        ["entry.location", "entry.funding_need.currency_code"],
    )
    wrong.funding_need.amount = "12.345"
    assert (
        "entry.funding_need.amount" in (await refused(record, pb.RecordLibraryEntryRequest(entry=wrong)))[1]
    )
    assert (await refused(finance.GetLibraryEntry, pb.GetLibraryEntryRequest(entry_id="fl-bad")))[0] == (
        grpc.StatusCode.NOT_FOUND
    )

    early = green_loan("fl-loan-bad", "sz-solar-co")
    early.maturity_date = "2025-12-31"
    assert await refused(lend, pb.RecordGreenLoanRequest(loan=early)) == (INVALID, ["loan.maturity_date"])
    twice = green_loan("fl-loan-bad", "sz-solar-co", ("fl-x", "fl-x"))
    twice.amount.amount = "0"
    assert await refused(lend, pb.RecordGreenLoanRequest(loan=twice)) == (
        INVALID,
        ["loan.amount.amount", "loan.library_entry_ids[1]"],
    )
    unknown_entry = green_loan("fl-loan-bad", "sz-solar-co", ("fl-none",))
    assert await refused(lend, pb.RecordGreenLoanRequest(loan=unknown_entry)) == (
        grpc.StatusCode.NOT_FOUND,
        [],
    )
    await lend(pb.RecordGreenLoanRequest(loan=green_loan("fl-loan-once", "sz-solar-co")))
    other = green_loan("fl-loan-once", "another-borrower")
    assert (await refused(lend, pb.RecordGreenLoanRequest(loan=other)))[0] == grpc.StatusCode.ALREADY_EXISTS
    assert (await refused(finance.GetGreenLoan, pb.GetGreenLoanRequest(loan_id="fl-loan-bad")))[0] == (
        grpc.StatusCode.NOT_FOUND
    )


async def test_an_enterprise_account_and_its_rating_follow_the_entitys_compliance_data(
    gateway, finance, compliance, sandbox: SandboxAdmin, account
):
    await sandbox.seed("cn-sz-ets", account, f"SZA-CN-0-2025-{next(_batches)}-1-1000")
    entity_id = f"fl-entity-{account}"
    await compliance.RecordCoveredEntity(
        compliance_pb2.RecordCoveredEntityRequest(
            entity_id=entity_id,
            name="Shenzhen Steel",
            market="cn-sz-ets",
            accounts=[transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=account)],
            verified_emissions=[compliance_pb2.VerifiedEmissions(year=2025, tonnes=1000)],
        )
    )
    await finance.RecordGreenLoan(pb.RecordGreenLoanRequest(loan=green_loan(f"fl-loan-{account}", entity_id)))
    before = await finance.GetEnterpriseAccount(pb.GetEnterpriseAccountRequest(entity_id=entity_id))
    assert [
        (h.registry_id, h.account_id, h.unit_type, h.vintage, h.held, h.pledged) for h in before.holdings
    ] == [("cn-sz-ets", account, "SZA", "2025", 1000, 0)]
    assert [(y.year, y.verified_emissions_t, y.status) for y in before.years] == [
        (2025, 1000, pb.COMPLIANCE_STATUS_COVERED)
    ]
    assert (before.rating.formula_version, before.rating.score, before.rating.grade) == (
        "carbon-performance/1",
        80,
        "A",
    )
    assert not events(gateway, "rating.changed", entity_id), (
        "no loan named the entity when it was first rated"
    )

    # Verified emissions up 20 % in 2026: the regulator's import recomputes the rating in its transaction.
    csv = f"entity_id,name,market,account,year,verified_emissions_t\n{entity_id},Shenzhen Steel,cn-sz-ets,,2026,1200\n"
    await compliance.ImportCoveredEntities(compliance_pb2.ImportCoveredEntitiesRequest(csv=csv))
    assert gateway.ledger is not None
    assert [(r.score, r.grade) for r in gateway.ledger.ratings.history(entity_id)] == [(60, "C"), (80, "A")]
    [told] = events(gateway, "rating.changed", entity_id)
    assert (told.data["previous_score"], told.data["score"], told.data["grade"]) == (80, 60, "C")

    after = await finance.GetEnterpriseAccount(pb.GetEnterpriseAccountRequest(entity_id=entity_id))
    assert (after.rating.score, after.rating.grade) == (60, "C")
    assert {"verified_emissions_t=1200", "previous_emissions_t=1000", "trend_points=0.00"} <= set(
        after.rating.components
    )
    assert [(r.score, r.grade) for r in after.rating_history] == [(80, "A")]
    assert [(y.year, y.status) for y in after.years] == [
        (2025, pb.COMPLIANCE_STATUS_COVERED),
        (2026, pb.COMPLIANCE_STATUS_SHORT),
    ]
    assert len(events(gateway, "rating.changed", entity_id)) == 1, "reading the account changed nothing"

    nobody = pb.GetEnterpriseAccountRequest(entity_id="fl-entity-none")
    assert (await refused(finance.GetEnterpriseAccount, nobody))[0] == grpc.StatusCode.NOT_FOUND
    bad = pb.GetEnterpriseAccountRequest(entity_id="not an id")
    assert await refused(finance.GetEnterpriseAccount, bad) == (INVALID, ["entity_id"])
