"""The facts the double-counting checks read, and the one port the ledger implements to serve them.

Every lookup is given a serial block or a project and returns only the rows that
overlap it, so each is an index seek on (serial space, start, end) or
(programme, project), whatever the size of the ledger. The checks clip the rows
to the proposed block themselves; an implementation may return rows wider than
the block.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compliance_rules.corresponding_adjustment import AdjustmentState, advance_adjustment
from compliance_rules.periods import Period
from domain.errors import InvalidInput
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from domain.units import UnitStatus


class Reservation(BaseModel):
    """Serials held by a transfer in flight, from its reservation until it settles or is undone."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    block: SerialBlock
    source: AccountRef
    reserved_at: datetime


class Location(BaseModel):
    """Where settled serials live now, and the transfer that put them there.

    `status` is RETIRED once the holder retired them there, so a retirement in one
    registry still blocks the same serials everywhere else.
    """

    model_config = ConfigDict(frozen=True)

    block: SerialBlock
    holder: AccountRef
    transfer_id: str
    settled_at: datetime
    status: UnitStatus = UnitStatus.HELD


class Movement(BaseModel):
    """One settled transfer of (part of) a range: a link in a mirrored block's lineage."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    block: SerialBlock
    source: AccountRef
    destination: AccountRef
    settled_at: datetime


class Pledge(BaseModel):
    """Units pledged to a lender (carbon-asset pledge or repo); locked until the lender releases them,
    except for the one transfer the lender consented to (`consented_transfer_id`)."""

    model_config = ConfigDict(frozen=True)

    pledge_id: str
    lender: str
    block: SerialBlock
    holder: AccountRef
    consented_transfer_id: str | None = None


class CrosswalkEntry(BaseModel):
    """A regulator's statement that two registrations are the same project.

    Symmetric: A ↔ B says the same as B ↔ A. `period`, when given, limits the
    statement to the monitoring periods in which both registrations covered the
    same reductions (a project that moved from one programme to another, say).
    """

    model_config = ConfigDict(frozen=True)

    programme_a: str = Field(min_length=1)
    project_a: str = Field(min_length=1)
    programme_b: str = Field(min_length=1)
    project_b: str = Field(min_length=1)
    period: Period | None = None
    source_reference: str = Field(min_length=1)  # the regulator's document or decision
    loaded_by: str = Field(min_length=1)

    @model_validator(mode="after")
    def _two_registrations(self) -> CrosswalkEntry:
        if (self.programme_a, self.project_a) == (self.programme_b, self.project_b):
            raise InvalidInput("a crosswalk entry links two different registrations", field="project_b")
        return self

    @property
    def key(self) -> tuple[tuple[str, str], tuple[str, str], Period | None]:
        """Identity for idempotent loading: the unordered pair of registrations and the period."""
        a, b = sorted([(self.programme_a, self.project_a), (self.programme_b, self.project_b)])
        return a, b, self.period

    def other_side(self, programme: str, project_id: str) -> tuple[str, str] | None:
        """The registration linked to (programme, project_id), or None if neither side is it."""
        if (self.programme_a, self.project_a) == (programme, project_id):
            return self.programme_b, self.project_b
        if (self.programme_b, self.project_b) == (programme, project_id):
            return self.programme_a, self.project_a
        return None


class IssuanceRecord(BaseModel):
    """An issuance: the units a programme issued for one project's monitoring period."""

    model_config = ConfigDict(frozen=True)

    issuance_id: str
    programme: str
    project_id: str
    monitoring_period: Period
    block: SerialBlock


class CreditedGeneration(BaseModel):
    """The electricity behind an issuance of credits from a generating plant.

    Read from the issuance's monitoring report: the plant's net generation in
    the monitoring period, and how much of it the issuance credited. The block is
    the whole issuance, so a transfer of part of it can be placed within it.
    """

    model_config = ConfigDict(frozen=True)

    issuance_id: str
    programme: str
    plant_id: str
    period: Period
    generated_mwh: Decimal = Field(gt=0)
    credited_mwh: Decimal = Field(gt=0)
    block: SerialBlock

    @model_validator(mode="after")
    def _credited_within_generated(self) -> CreditedGeneration:
        # A report crediting more than the plant generated is a data error, not a double count.
        if self.credited_mwh > self.generated_mwh:
            raise InvalidInput(
                f"issuance {self.issuance_id} credits {self.credited_mwh} MWh of {self.generated_mwh} generated",
                field="credited_mwh",
            )
        return self


class GenerationCertificate(BaseModel):
    """Another claim on a plant's MWh: a green-electricity certificate, or a credit of another programme."""

    model_config = ConfigDict(frozen=True)

    certificate_id: str
    programme: str  # e.g. GEC (China green electricity certificate), I-REC, CCER, VCS
    plant_id: str
    period: Period
    mwh: Decimal = Field(gt=0)


class AuthorisedUse(StrEnum):
    NDC = "NDC"  # towards another Party's nationally determined contribution
    OIMP = "OIMP"  # other international mitigation purposes (CORSIA, say)
    MITIGATION_CONTRIBUTION = "mitigation_contribution"  # A6.4ERs not authorised for either


class Authorisation(BaseModel):
    """A host Party's authorisation of mitigation outcomes, for a serial block or a project's vintage."""

    model_config = ConfigDict(frozen=True)

    authorisation_id: str
    host_party: str = Field(pattern=r"^[A-Z]{2}$")
    authorised_use: AuthorisedUse
    cooperative_approach_id: str
    authorised_on: date
    mitigation_type: str = "emission reduction"
    block: SerialBlock | None = None
    programme: str | None = None
    project_id: str | None = None
    vintage: str | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> Authorisation:
        project_scope = (self.programme, self.project_id, self.vintage)
        if (self.block is None) == (None in project_scope):
            raise InvalidInput(
                "an authorisation names either a serial block or a programme, project and vintage",
                field="block",
            )
        return self

    def covering(self, block: SerialBlock) -> SerialBlock | None:
        """The part of `block` this authorisation covers, or None."""
        if self.block is None:
            same = (block.programme, block.project_id, block.vintage) == (
                self.programme,
                self.project_id,
                self.vintage,
            )
            return block if same else None
        if not self.block.overlaps(block):
            return None
        return block.with_range(max(block.start, self.block.start), min(block.end, self.block.end))


class FirstTransfer(BaseModel):
    """The first transfer of authorised units out of the host Party, and its corresponding adjustment."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    authorisation_id: str
    block: SerialBlock
    host_party: str
    acquiring_party: str
    transferred_at: datetime
    adjustment: AdjustmentState = AdjustmentState.NOT_STARTED

    def with_adjustment(self, new: AdjustmentState) -> FirstTransfer:
        """This record with the adjustment moved forward; IllegalTransition on any other move."""
        return self.model_copy(update={"adjustment": advance_adjustment(self.adjustment, new)})


class DoubleCountingFacts(Protocol):
    """What the checks read; the ledger implements it (an in-memory fake serves the unit tests)."""

    def reservations_overlapping(self, block: SerialBlock) -> list[Reservation]:
        """Reservations of transfers in flight sharing serials with `block` (same serial space)."""
        ...

    def locations_overlapping(self, block: SerialBlock) -> list[Location]:
        """Current locations of settled serials shared with `block`."""
        ...

    def lineage(self, block: SerialBlock) -> list[Movement]:
        """Every settled transfer that moved serials shared with `block`, oldest first."""
        ...

    def pledges_overlapping(self, block: SerialBlock) -> list[Pledge]:
        """Unreleased pledges over serials shared with `block`."""
        ...

    def crosswalk_for(self, programme: str, project_id: str) -> list[CrosswalkEntry]:
        """Crosswalk entries naming (programme, project_id) on either side."""
        ...

    def issuances_overlapping(self, block: SerialBlock) -> list[IssuanceRecord]:
        """Issuances whose serial block shares serials with `block`."""
        ...

    def issuances_in(self, programme: str, project_id: str, period: Period) -> list[IssuanceRecord]:
        """Issuances of (programme, project_id) whose monitoring period shares days with `period`."""
        ...

    def credited_generation(self, block: SerialBlock) -> list[CreditedGeneration]:
        """Generation records of issuances whose serial block shares serials with `block`."""
        ...

    def generation_certificates(self, plant_id: str, period: Period) -> list[GenerationCertificate]:
        """Certificates of `plant_id` whose generation period shares days with `period`."""
        ...

    def authorisations_covering(self, block: SerialBlock) -> list[Authorisation]:
        """Authorisations whose block shares serials with `block`, or naming its programme, project, vintage."""
        ...

    def first_transfers_overlapping(self, block: SerialBlock) -> list[FirstTransfer]:
        """Recorded first transfers of serials shared with `block`."""
        ...
