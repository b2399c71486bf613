"""A transfer as the checks see it: who moves which serials where, and what for.

Built by the caller from the transfer request, the registry catalogue (for the
jurisdictions) and the source registry's current holdings; the checks need
nothing else from the caller, and everything else from `DoubleCountingFacts`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Purpose

__all__ = ["INTERNATIONAL", "Purpose", "TransferProposal", "country_of"]  # Purpose lives in domain

INTERNATIONAL = "XX"  # registries that belong to no country (Verra, Gold Standard, the A6.4 registry)

# Country (CN), subdivision (CN-GD) or XX; registries validate the codes against ISO 3166 themselves.
_JURISDICTION = r"^(XX|[A-Z]{2}(-[A-Z0-9]{1,3})?)$"


def country_of(jurisdiction: str) -> str | None:
    """The Party of a jurisdiction (CN for CN-GD), or None for an international registry."""
    country = jurisdiction.split("-")[0]
    return None if country == INTERNATIONAL else country


class TransferProposal(BaseModel):
    """One transfer to be checked before its source lock.

    `source_holdings` are the source registry's holdings overlapping the block,
    as its adapter reported them, with the registry's statuses.
    `acquiring_party` names the Party using the units when the destination
    registry belongs to none (an international registry); otherwise it defaults
    to the destination's country.
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

    @property
    def crosses_border(self) -> bool:
        """True when source and destination registries sit in different countries (or one in none)."""
        return self.source_jurisdiction.split("-")[0] != self.destination_jurisdiction.split("-")[0]

    @property
    def host_party(self) -> str:
        """The Party where the reductions happened: the host country the serial encodes."""
        return self.block.country

    @property
    def using_party(self) -> str | None:
        return self.acquiring_party or country_of(self.destination_jurisdiction)

    @property
    def leaves_host(self) -> bool:
        """True when the units go to a Party other than their host."""
        return self.using_party is not None and self.using_party != self.host_party
