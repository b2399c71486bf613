"""FinanceService: the climate project library, green loans and enterprise carbon accounts (with their rating).

Project owners and the library describe entries and link them to registry projects;
banks record the green loans they made (the lender is always the caller's
organisation) and from then on hear of the financed projects' events. An enterprise
account puts together what the entity's registries say it holds now and what the
ledger knows (verified emissions, offsets used, pledges, the rating).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc

from adapters import catalogue
from domain import paging
from domain.carbon_rating import Rating
from domain.enterprise_accounts import (
    ComplianceStatus,
    ComplianceYear,
    EnterpriseHolding,
    allowances_by_year,
    compliance_years,
    enterprise_holdings,
)
from domain.errors import InvalidInput
from domain.finance import (
    GreenLoan,
    LibraryEntry,
    LibraryStatus,
    Money,
    ProjectRef,
    Sector,
    parse_date,
    require_place,
    require_record_id,
)
from domain.transfers import require_account_id
from gateway import wire
from gateway.finance_base import FinanceRpcs
from gateway.roles import current_caller
from gateway.servicers import mapped, mapped_on
from protos.carbon.gateway.v1 import finance_pb2 as pb

ON_ENTRY = ("library entry", "entry_id")
ON_LOAN = ("green loan", "loan_id")
ON_ENTITY = ("covered entity", "entity_id")

_SECTORS = {
    pb.SECTOR_ENERGY: Sector.ENERGY,
    pb.SECTOR_INDUSTRY: Sector.INDUSTRY,
    pb.SECTOR_BUILDINGS: Sector.BUILDINGS,
    pb.SECTOR_TRANSPORT: Sector.TRANSPORT,
    pb.SECTOR_LAND_USE: Sector.LAND_USE,
    pb.SECTOR_WASTE: Sector.WASTE,
    pb.SECTOR_OTHER: Sector.OTHER,
}
_STATUSES = {
    pb.LIBRARY_ENTRY_STATUS_PROPOSED: LibraryStatus.PROPOSED,
    pb.LIBRARY_ENTRY_STATUS_ADMITTED: LibraryStatus.ADMITTED,
    pb.LIBRARY_ENTRY_STATUS_FUNDED: LibraryStatus.FUNDED,
    pb.LIBRARY_ENTRY_STATUS_CLOSED: LibraryStatus.CLOSED,
    pb.LIBRARY_ENTRY_STATUS_WITHDRAWN: LibraryStatus.WITHDRAWN,
}
_COMPLIANCE = {
    ComplianceStatus.NOT_REPORTED: pb.COMPLIANCE_STATUS_NOT_REPORTED,
    ComplianceStatus.COVERED: pb.COMPLIANCE_STATUS_COVERED,
    ComplianceStatus.SHORT: pb.COMPLIANCE_STATUS_SHORT,
}


class LibraryRpcs(FinanceRpcs):
    """The RPCs of this part of FinanceService (mixed into gateway.finance_servicer.FinanceServicer)."""

    # The project library

    @mapped
    async def RecordLibraryEntry(
        self, request: pb.RecordLibraryEntryRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordLibraryEntryResponse:
        caller = current_caller()
        entry = entry_from_proto(request.entry, recorded_by=caller.org)
        stored, created = await asyncio.to_thread(
            self._ledger.library.record_entry, entry, caller.visible_org, datetime.now(UTC)
        )
        return pb.RecordLibraryEntryResponse(entry=entry_to_proto(stored), created=created)

    @mapped_on(ON_ENTRY)
    async def SetLibraryEntryStatus(
        self, request: pb.SetLibraryEntryStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetLibraryEntryStatusResponse:
        entry_id = require_record_id(request.entry_id, "entry_id")
        status = _STATUSES[request.status]  # the bounds refused unknown numbers, REQUIRED the unspecified one
        stored = await asyncio.to_thread(
            self._ledger.library.set_status, entry_id, status, request.note, datetime.now(UTC)
        )
        return pb.SetLibraryEntryStatusResponse(entry=entry_to_proto(stored))

    @mapped_on(ON_ENTRY)
    async def LinkLibraryProject(
        self, request: pb.LinkLibraryProjectRequest, context: grpc.aio.ServicerContext
    ) -> pb.LinkLibraryProjectResponse:
        entry_id = require_record_id(request.entry_id, "entry_id")
        project = _project(request.project)
        editor = current_caller().visible_org
        stored, linked = await asyncio.to_thread(
            self._ledger.library.link_project, entry_id, project, editor, datetime.now(UTC)
        )
        return pb.LinkLibraryProjectResponse(entry=entry_to_proto(stored), linked=linked)

    @mapped_on(ON_ENTRY)
    async def GetLibraryEntry(
        self, request: pb.GetLibraryEntryRequest, context: grpc.aio.ServicerContext
    ) -> pb.LibraryEntry:
        entry_id = require_record_id(request.entry_id, "entry_id")
        return entry_to_proto(await asyncio.to_thread(self._ledger.library.entry, entry_id))

    @mapped
    async def ListLibraryEntries(
        self, request: pb.ListLibraryEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListLibraryEntriesResponse:
        status = _STATUSES.get(request.status)  # unspecified: every status
        size = paging.page_size(request.page_size)
        entries, token = await asyncio.to_thread(
            self._ledger.library.entries, status, size, request.page_token
        )
        return pb.ListLibraryEntriesResponse(
            entries=[entry_to_proto(e) for e in entries], next_page_token=token
        )

    # Green loans

    @mapped
    async def RecordGreenLoan(
        self, request: pb.RecordGreenLoanRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordGreenLoanResponse:
        loan = loan_from_proto(request.loan, lender=current_caller().org)
        stored, created = await asyncio.to_thread(self._ledger.library.record_loan, loan, datetime.now(UTC))
        return pb.RecordGreenLoanResponse(loan=loan_to_proto(stored), created=created)

    @mapped_on(ON_LOAN)
    async def GetGreenLoan(
        self, request: pb.GetGreenLoanRequest, context: grpc.aio.ServicerContext
    ) -> pb.GreenLoan:
        loan_id = require_record_id(request.loan_id, "loan_id")
        lender = current_caller().visible_org
        return loan_to_proto(await asyncio.to_thread(self._ledger.library.loan, loan_id, lender))

    @mapped
    async def ListGreenLoans(
        self, request: pb.ListGreenLoansRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListGreenLoansResponse:
        size = paging.page_size(request.page_size)
        lender = current_caller().visible_org
        loans, token = await asyncio.to_thread(self._ledger.library.loans, lender, size, request.page_token)
        return pb.ListGreenLoansResponse(loans=[loan_to_proto(loan) for loan in loans], next_page_token=token)

    # Enterprise carbon accounts

    @mapped_on(ON_ENTITY)
    async def GetEnterpriseAccount(
        self, request: pb.GetEnterpriseAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetEnterpriseAccountResponse:
        entity_id = require_account_id(request.entity_id, "entity_id")
        # A read never writes (the audit log records every change): the rating shown is the one
        # computed when the entity's compliance data last changed.
        facts = await asyncio.to_thread(self._ledger.ratings.account_facts, entity_id)
        # A CSV import may name registries the gateway does not link: nothing can be read there.
        linked = {p.registry_id: p for p in catalogue.all_profiles()}
        readable = [account for account in facts.accounts if account.registry_id in linked]
        answers = await asyncio.gather(*(self._desk.holdings_of(account) for account in readable))
        held = [holding for answer in answers for holding in answer]
        market = facts.entity.market
        programme = linked[market].info.programme if market in linked else ""
        allowances = allowances_by_year(held, market, programme, facts.pledges)
        years = compliance_years(facts.verified_emissions, facts.offsets_used, allowances)
        msg = pb.GetEnterpriseAccountResponse(
            entity_id=facts.entity.entity_id,
            name=facts.entity.name,
            market=market,
            holdings=[_holding_to_proto(h) for h in enterprise_holdings(held, facts.pledges)],
            years=[_year_to_proto(y) for y in years],
            rating_history=[rating_to_proto(r) for r in facts.ratings[1:]],
        )
        if facts.ratings:
            msg.rating.CopyFrom(rating_to_proto(facts.ratings[0]))
        return msg


def _project(msg: pb.ProjectRef) -> ProjectRef:
    return ProjectRef(programme=msg.programme, project_id=msg.project_id)


def _no_repeats(values: list[str], field: str) -> None:
    """InvalidInput naming the first element that repeats an earlier one."""
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            raise InvalidInput(f"{field}[{index}] repeats {field}[{seen[value]}]", field=f"{field}[{index}]")
        seen[value] = index


def entry_from_proto(msg: pb.LibraryEntry, recorded_by: str) -> LibraryEntry:
    """The entry the request describes (its OUTPUT_ONLY fields ignored); every bad field named at once."""
    wire.every_refusal(
        lambda: require_record_id(msg.entry_id, "entry.entry_id"),
        lambda: require_place(msg.location, "entry.location"),
        lambda: Money.parse(msg.funding_need.currency_code, msg.funding_need.amount, "entry.funding_need"),
    )
    return LibraryEntry(
        entry_id=msg.entry_id,
        name=msg.name,
        owner_entity=msg.owner_entity,
        sector=_SECTORS[msg.sector],
        location=msg.location,
        expected_reductions_t=msg.expected_reductions_t,
        funding_need=Money.parse(
            msg.funding_need.currency_code, msg.funding_need.amount, "entry.funding_need"
        ),
        recorded_by=recorded_by,
    )


def loan_from_proto(msg: pb.GreenLoan, lender: str) -> GreenLoan:
    """The loan the request describes, made by `lender`; every bad field named at once."""
    entry_ids = list(msg.library_entry_ids)
    projects = [_project(p) for p in msg.projects]
    wire.every_refusal(
        lambda: require_record_id(msg.loan_id, "loan.loan_id"),
        lambda: _positive(Money.parse(msg.amount.currency_code, msg.amount.amount, "loan.amount")),
        lambda: _no_repeats(entry_ids, "loan.library_entry_ids"),
        lambda: _no_repeats([f"{p.programme}\x00{p.project_id}" for p in projects], "loan.projects"),
        lambda: parse_date(msg.sign_date, "loan.sign_date"),
        lambda: parse_date(msg.maturity_date, "loan.maturity_date"),
    )
    signed, matures = (
        parse_date(msg.sign_date, "loan.sign_date"),
        parse_date(msg.maturity_date, "loan.maturity_date"),
    )
    if matures < signed:
        raise InvalidInput(
            f"loan.maturity_date {matures} is before loan.sign_date {signed}", field="loan.maturity_date"
        )
    return GreenLoan(
        loan_id=msg.loan_id,
        lender=lender,
        borrower_entity=msg.borrower_entity,
        amount=Money.parse(msg.amount.currency_code, msg.amount.amount, "loan.amount"),
        library_entry_ids=tuple(sorted(entry_ids)),
        projects=tuple(sorted(projects, key=lambda p: (p.programme, p.project_id))),
        use_of_proceeds=msg.use_of_proceeds,
        sign_date=signed,
        maturity_date=matures,
    )


def _positive(money: Money) -> None:
    if money.amount <= 0:
        raise InvalidInput("loan.amount.amount must be more than 0", field="loan.amount.amount")


def _money_to_proto(money: Money) -> pb.Money:
    return pb.Money(currency_code=money.currency, amount=money.text())


def _project_to_proto(project: ProjectRef) -> pb.ProjectRef:
    return pb.ProjectRef(programme=project.programme, project_id=project.project_id)


def entry_to_proto(entry: LibraryEntry) -> pb.LibraryEntry:
    msg = pb.LibraryEntry(
        entry_id=entry.entry_id,
        name=entry.name,
        owner_entity=entry.owner_entity,
        sector=next(k for k, v in _SECTORS.items() if v is entry.sector),
        location=entry.location,
        expected_reductions_t=entry.expected_reductions_t,
        funding_need=_money_to_proto(entry.funding_need),
        status=next(k for k, v in _STATUSES.items() if v is entry.status),
        projects=[_project_to_proto(p) for p in entry.projects],
        status_note=entry.status_note,
    )
    if entry.created_at is not None:
        msg.create_time.FromDatetime(entry.created_at)
    if entry.updated_at is not None:
        msg.update_time.FromDatetime(entry.updated_at)
    return msg


def loan_to_proto(loan: GreenLoan) -> pb.GreenLoan:
    msg = pb.GreenLoan(
        loan_id=loan.loan_id,
        lender=loan.lender,
        borrower_entity=loan.borrower_entity,
        amount=_money_to_proto(loan.amount),
        library_entry_ids=list(loan.library_entry_ids),
        projects=[_project_to_proto(p) for p in loan.projects],
        use_of_proceeds=loan.use_of_proceeds,
        sign_date=loan.sign_date.isoformat(),
        maturity_date=loan.maturity_date.isoformat(),
    )
    if loan.created_at is not None:
        msg.create_time.FromDatetime(loan.created_at)
    return msg


def rating_to_proto(rating: Rating) -> pb.CarbonRating:
    msg = pb.CarbonRating(
        formula_version=rating.formula_version,
        score=rating.score,
        grade=rating.grade,
        components=list(rating.components),
    )
    if rating.computed_at is not None:
        msg.compute_time.FromDatetime(rating.computed_at)
    return msg


def _holding_to_proto(holding: EnterpriseHolding) -> pb.EnterpriseHolding:
    return pb.EnterpriseHolding(
        registry_id=holding.registry_id,
        account_id=holding.account_id,
        unit_type=holding.unit_type,
        vintage=holding.vintage,
        held=holding.held,
        pledged=holding.pledged,
    )


def _year_to_proto(year: ComplianceYear) -> pb.ComplianceYear:
    return pb.ComplianceYear(
        year=year.year,
        verified_emissions_t=year.verified_emissions_t,
        offsets_used_t=year.offsets_used_t,
        status=_COMPLIANCE[year.status],
    )
