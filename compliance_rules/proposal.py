"""A transfer as the checks see it: who moves which serials where, and what for.

Built by the caller from the transfer request, the registry catalogue (for the
jurisdictions) and the source registry's current holdings; the checks need
nothing else from the caller, and everything else from `DoubleCountingFacts`
(and, for the rule packs, `RuleFacts`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Purpose

__all__ = [  # Purpose lives in domain
    "INTERNATIONAL",
    "Purpose",
    "TransferProposal",
    "account_key",
    "country_of",
    "within",
]

INTERNATIONAL = "XX"  # registries that belong to no country (Verra, Gold Standard, the A6.4 registry)

# Country (CN), subdivision (CN-GD) or XX; registries validate the codes against ISO 3166 themselves.
_JURISDICTION = r"^(XX|[A-Z]{2}(-[A-Z0-9]{1,3})?)$"


def country_of(jurisdiction: str) -> str | None:
    """The Party of a jurisdiction (CN for CN-GD), or None for an international registry."""
    country = jurisdiction.split("-")[0]
    return None if country == INTERNATIONAL else country


def within(jurisdiction: str, area: str) -> bool:
    """True when `jurisdiction` is `area` or one of its subdivisions (CN-GD is within CN; XX only in XX)."""
    return jurisdiction == area or jurisdiction.startswith(f"{area}-")


def account_key(account: AccountRef) -> str:
    """How `TransferProposal.account_states` names an account: "registry:account".

    Registry ids hold no colon, so the first colon splits the key even when the
    account id has colons of its own.
    """
    return f"{account.registry_id}:{account.account_id}"


class TransferProposal(BaseModel):
    """One transfer to be checked before its source lock.

    `source_holdings` are the source registry's holdings overlapping the block,
    as its adapter reported them, with the registry's statuses.
    `acquiring_party` names the Party using the units when the destination
    registry belongs to none (an international registry); otherwise it defaults
    to the destination's country.
    `compliance_year` is the year of the compliance obligation the units count
    towards (rule packs judge by the rules in force in it); None lets the caller
    of `evaluate` name it, so the pure code never reads a clock.
    `account_states` are the registries' own words for the accounts' states
    ("open", "blocked", ...), keyed by `account_key`; an account missing from it
    is judged by each account-status rule's `missing_state`.
    """

    model_config = ConfigDict(frozen=True)

    transfer_id: str = Field(min_length=1)
    source: AccountRef
    destination: AccountRef
    source_jurisdiction: str = Field(pattern=_JURISDICTION)
    destination_jurisdiction: str = Field(pattern=_JURISDICTION)
    block: SerialBlock
    purpose: Purpose = Purpose.UNSPECIFIED
    acquiring_party: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    source_holdings: tuple[Holding, ...] = ()
    compliance_year: int | None = Field(default=None, ge=1, le=9999)
    account_states: dict[str, str] = Field(default_factory=dict)

    @property
    def crosses_border(self) -> bool:
        """True when source and destination registries sit in different countries (or one in none)."""
        return self.source_jurisdiction.split("-")[0] != self.destination_jurisdiction.split("-")[0]

    @property
    def host_party(self) -> str:
        """The Party where the reductions happened: the host country the serial encodes."""
        return self.block.country

    def account_state(self, account: AccountRef) -> str | None:
        """The registry's word for the state of `account`, or None when the caller did not say."""
        return self.account_states.get(account_key(account))

    @property
    def using_party(self) -> str | None:
        return self.acquiring_party or country_of(self.destination_jurisdiction)

    @property
    def leaves_host(self) -> bool:
        """True when the units go to a Party other than their host."""
        return self.using_party is not None and self.using_party != self.host_party
