"""Carbon finance as the gateway records it: the project library, green loans, pledges, repos,
public-benefit accounts and their retirements, and the events banks hear of.

Pure models: the ledger stores them, the gRPC edge validates requests into them.
Money is ISO 4217 (pycountry) with a Decimal amount; places are ISO 3166.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import pycountry
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput, quoted
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Reason

_RECORD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
RECORD_ID_RULE = "ids are 1-128 ASCII letters, digits and . _ : -, starting with a letter or digit"
_AMOUNT = re.compile(r"\d{1,15}(\.\d{1,2})?")


def require_record_id(value: str, field: str) -> str:
    """A library entry, loan, pledge, repo or account id, or InvalidInput naming `field`."""
    if not _RECORD_ID.fullmatch(value):
        raise InvalidInput(f"{field} {quoted(value)} is not a valid id; {RECORD_ID_RULE}", field=field)
    return value


class Money(BaseModel):
    """An amount in one ISO 4217 currency."""

    model_config = ConfigDict(frozen=True)

    currency: str
    amount: Decimal

    @classmethod
    def parse(cls, currency: str, amount: str, field: str) -> Money:
        """From the wire's strings; InvalidInput naming `field.currency_code` or `field.amount`."""
        if pycountry.currencies.get(alpha_3=currency.upper() if currency.isascii() else "") is None or (
            currency != currency.upper()
        ):
            raise InvalidInput(
                f"{field}.currency_code {quoted(currency, 16)} is not an ISO 4217 code (CNY, HKD, USD)",
                field=f"{field}.currency_code",
            )
        if not _AMOUNT.fullmatch(amount):
            raise InvalidInput(
                f"{field}.amount {quoted(amount, 32)} is not a non-negative decimal with at most 2 fraction "
                "digits and 15 whole digits",
                field=f"{field}.amount",
            )
        try:
            return cls(currency=currency, amount=Decimal(amount))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
            raise InvalidInput(f"{field}.amount is not a decimal", field=f"{field}.amount") from exc

    def text(self) -> str:
        return f"{self.amount:.2f}"


def require_place(value: str, field: str) -> str:
    """An ISO 3166-2 subdivision (CN-GD) or ISO 3166-1 alpha-2 country (ID), or InvalidInput."""
    known = (
        pycountry.subdivisions.get(code=value)
        if "-" in value
        else pycountry.countries.get(alpha_2=value)
        if len(value) == 2 and value.isupper()
        else None
    )
    if known is None:
        raise InvalidInput(
            f"{field} {quoted(value, 16)} is not an ISO 3166-2 subdivision (CN-GD) or ISO 3166-1 country (ID)",
            field=field,
        )
    return value


def parse_date(value: str, field: str) -> date:
    """A `YYYY-MM-DD` date, or InvalidInput naming `field`."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} {quoted(value, 16)} is not a date (YYYY-MM-DD)", field=field) from exc


class ProjectRef(BaseModel):
    """A project of an issuing programme, as its units' serials name it."""

    model_config = ConfigDict(frozen=True)

    programme: str = Field(min_length=1)
    project_id: str = Field(min_length=1)

    @classmethod
    def of_block(cls, block: SerialBlock) -> ProjectRef:
        return cls(programme=block.programme, project_id=block.project_id)


class Sector(StrEnum):
    ENERGY = "energy"
    INDUSTRY = "industry"
    BUILDINGS = "buildings"
    TRANSPORT = "transport"
    LAND_USE = "land_use"
    WASTE = "waste"
    OTHER = "other"


class LibraryStatus(StrEnum):
    PROPOSED = "proposed"
    ADMITTED = "admitted"
    FUNDED = "funded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class LibraryEntry(BaseModel):
    """An entry of the climate investment and financing project library."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    name: str
    owner_entity: str
    sector: Sector
    location: str
    expected_reductions_t: int = Field(ge=0)
    funding_need: Money
    status: LibraryStatus = LibraryStatus.PROPOSED
    status_note: str = ""
    projects: tuple[ProjectRef, ...] = ()
    recorded_by: str | None = None  # the recording caller's organisation
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def describing(self) -> dict[str, Any]:
        """The fields its owner describes (not the library's status, links or times)."""
        return self.model_dump(
            include={"name", "owner_entity", "sector", "location", "expected_reductions_t"}
        ) | {"funding_need": self.funding_need.model_dump(mode="json")}


class GreenLoan(BaseModel):
    """A green loan: its lender hears of events on the projects it finances."""

    model_config = ConfigDict(frozen=True)

    loan_id: str
    lender: str
    borrower_entity: str
    amount: Money
    library_entry_ids: tuple[str, ...] = ()
    projects: tuple[ProjectRef, ...] = ()
    use_of_proceeds: str
    sign_date: date
    maturity_date: date
    created_at: datetime | None = None


class PledgeState(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    TRANSFERRED = "transferred"  # the consented transfer moved the units
    ENFORCED = "enforced"  # the lender took the units


class Collateral(BaseModel):
    """A pledge as its lender sees it: the units, the loan, where it stands."""

    model_config = ConfigDict(frozen=True)

    pledge_id: str
    lender: str
    holder: AccountRef
    block: SerialBlock
    serial: str
    loan_id: str | None = None
    state: PledgeState = PledgeState.ACTIVE
    consented_transfer_id: str | None = None
    pledged_at: datetime
    ended_at: datetime | None = None


def enforcement_transfer_id(pledge_id: str) -> str:
    return f"pledge-{pledge_id}-enforce"


class RepoState(StrEnum):
    SELLING = "selling"
    SOLD = "sold"
    REPURCHASING = "repurchasing"
    COMPLETED = "completed"
    DEFAULTED = "defaulted"
    FAILED = "failed"


class Repo(BaseModel):
    """A sale with an agreed repurchase, tracked to completion or default."""

    model_config = ConfigDict(frozen=True)

    repo_id: str
    seller: str
    buyer: str
    seller_account: AccountRef
    buyer_account: AccountRef
    serial: str
    quantity: int = Field(gt=0)
    repurchase_quantity: int = Field(gt=0)
    repurchase_date: date
    state: RepoState = RepoState.SELLING
    reasons: tuple[Reason, ...] = ()
    updated_at: datetime | None = None

    @property
    def sale_transfer_id(self) -> str:
        return f"repo-{self.repo_id}-sale"

    @property
    def repurchase_transfer_id(self) -> str:
        return f"repo-{self.repo_id}-repurchase"


class BeneficiaryKind(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class PublicBenefitAccount(BaseModel):
    """A public-benefit carbon account: retirements on an organisation's or person's behalf."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    kind: BeneficiaryKind
    display_name: str
    private: bool = False
    holding: AccountRef
    operator: str

    @property
    def shown_name(self) -> str:
        """The name certificates show: withheld when the beneficiary asked for privacy."""
        if not self.private:
            return self.display_name
        return "a private individual" if self.kind is BeneficiaryKind.PERSON else "a private organisation"


class RetirementState(StrEnum):
    BUYING = "buying"
    RETIRING = "retiring"
    RETIRED = "retired"
    FAILED = "failed"


class Retirement(BaseModel):
    """Units retired for a public-benefit account's beneficiary; its certificate once retired."""

    model_config = ConfigDict(frozen=True)

    retirement_id: str
    account_id: str
    seller: AccountRef | None
    serial: str
    quantity: int | None
    reason: str
    state: RetirementState = RetirementState.BUYING
    reasons: tuple[Reason, ...] = ()
    requested_by: str
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def purchase_transfer_id(self) -> str:
        return f"retire-{self.retirement_id}-buy"

    @property
    def retirement_transfer_id(self) -> str:
        return f"retire-{self.retirement_id}"

    @property
    def certificate_id(self) -> str | None:
        return f"cert-{self.retirement_id}" if self.state is RetirementState.RETIRED else None


class EventKind(StrEnum):
    """What banks hear of (docs/finance.md, "Events")."""

    ISSUANCE_RECORDED = "issuance.recorded"
    TRANSFER_SETTLED = "transfer.settled"
    RETIREMENT_COMPLETED = "retirement.completed"
    PLEDGE_CREATED = "pledge.created"
    PLEDGE_CONSENTED = "pledge.consented"
    PLEDGE_RELEASED = "pledge.released"
    PLEDGE_TRANSFERRED = "pledge.transferred"
    PLEDGE_ENFORCED = "pledge.enforced"
    REPO_SOLD = "repo.sold"
    REPO_COMPLETED = "repo.completed"
    REPO_DEFAULTED = "repo.defaulted"
    REPO_FAILED = "repo.failed"
    RATING_CHANGED = "rating.changed"
    LOAN_RECORDED = "loan.recorded"


class FinanceEvent(BaseModel):
    """One event for one organisation; `offset` is its place in the gateway's event log (None until stored).

    `event_id` names the fact, so the same fact reaching a bank twice (a retried
    activity, a replayed delivery) is recognisably the same.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    org: str
    kind: EventKind
    subject: str
    data: dict[str, Any]
    occurred_at: datetime
    offset: int | None = None
