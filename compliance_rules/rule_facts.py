"""The facts the rule packs read beyond the double-counting ones; the ledger implements the port.

An offset cap is a share of a covered entity's verified emissions, less what the
entity already uses for offset in the year. Those three questions are all the
packs ask of the ledger, so the cap arithmetic runs the same over the database
and over an in-memory fake.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.facts import DoubleCountingFacts
from domain.transfers import AccountRef


class CoveredEntity(BaseModel):
    """An emitter an emissions trading system covers; `market` is that ETS's registry id (cn-sz-ets)."""

    model_config = ConfigDict(frozen=True)

    entity_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    market: str = Field(min_length=1)


class OffsetUse(BaseModel):
    """Units a transfer reserved or used for offset by one covered entity in one compliance year.

    `origin` is the jurisdiction of the registry the units came from (CN-GD, CN,
    XX), the same as `OffsetClaim.origin`: CCER serials do not encode a province,
    so the source registry is the only origin every unit has. With the programme
    it is all an offset limit needs to decide whether the use counts towards it.
    """

    model_config = ConfigDict(frozen=True)

    entity_id: str
    year: int
    transfer_id: str
    programme: str
    origin: str
    quantity: int = Field(gt=0)


@runtime_checkable
class RuleFacts(Protocol):
    """What the rule packs read; the ledger implements it (an in-memory fake serves the unit tests)."""

    def covered_entity_of(self, account: AccountRef) -> CoveredEntity | None:
        """The covered entity holding `account`, or None when the account is no covered entity's."""
        ...

    def verified_emissions(self, entity_id: str, year: int) -> int | None:
        """The entity's verified emissions of `year` in tCO2e, or None when none are recorded."""
        ...

    def offset_used(self, entity_id: str, year: int) -> list[OffsetUse]:
        """Offset uses of the entity in compliance year `year` by other transfers, reserved or settled.

        Released reservations (a refused or undone transfer) are not returned.
        """
        ...


class ComplianceFacts(DoubleCountingFacts, RuleFacts, Protocol):
    """Everything `evaluate` reads when it judges a rulebook as well as the double-counting checks."""
