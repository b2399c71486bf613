"""An in-memory `DoubleCountingFacts` over plain lists, and sample blocks, for the double-counting tests.

A fake for speed: the ledger's implementation answers the same questions from
its indexes, and its own tests hold it to the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from compliance_rules.facts import (
    Authorisation,
    CreditedGeneration,
    CrosswalkEntry,
    FirstTransfer,
    GenerationCertificate,
    IssuanceRecord,
    Location,
    Movement,
    Pledge,
    Reservation,
)
from compliance_rules.periods import Period
from compliance_rules.proposal import Purpose, TransferProposal
from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
VERRA_ACCOUNT = AccountRef(registry_id="verra", account_id="holder-1")
HK_ACCOUNT = AccountRef(registry_id="hk-core-climate", account_id="hk-7")
SZ_ACCOUNT = AccountRef(registry_id="cn-sz-puhui", account_id="sz-3")


@dataclass
class InMemoryFacts:
    reservations: list[Reservation] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    pledges: list[Pledge] = field(default_factory=list)
    crosswalk: list[CrosswalkEntry] = field(default_factory=list)
    issuances: list[IssuanceRecord] = field(default_factory=list)
    generation: list[CreditedGeneration] = field(default_factory=list)
    certificates: list[GenerationCertificate] = field(default_factory=list)
    authorisations: list[Authorisation] = field(default_factory=list)
    first_transfers: list[FirstTransfer] = field(default_factory=list)

    def reservations_overlapping(self, block: SerialBlock) -> list[Reservation]:
        return [r for r in self.reservations if r.block.overlaps(block)]

    def locations_overlapping(self, block: SerialBlock) -> list[Location]:
        return [r for r in self.locations if r.block.overlaps(block)]

    def lineage(self, block: SerialBlock) -> list[Movement]:
        return sorted((m for m in self.movements if m.block.overlaps(block)), key=lambda m: m.settled_at)

    def pledges_overlapping(self, block: SerialBlock) -> list[Pledge]:
        return [p for p in self.pledges if p.block.overlaps(block)]

    def crosswalk_for(self, programme: str, project_id: str) -> list[CrosswalkEntry]:
        return [e for e in self.crosswalk if e.other_side(programme, project_id) is not None]

    def issuances_overlapping(self, block: SerialBlock) -> list[IssuanceRecord]:
        return [i for i in self.issuances if i.block.overlaps(block)]

    def issuances_in(self, programme: str, project_id: str, period: Period) -> list[IssuanceRecord]:
        return [
            i
            for i in self.issuances
            if (i.programme, i.project_id) == (programme, project_id) and i.monitoring_period.overlaps(period)
        ]

    def credited_generation(self, block: SerialBlock) -> list[CreditedGeneration]:
        return [g for g in self.generation if g.block.overlaps(block)]

    def generation_certificates(self, plant_id: str, period: Period) -> list[GenerationCertificate]:
        return [c for c in self.certificates if c.plant_id == plant_id and c.period.overlaps(period)]

    def authorisations_covering(self, block: SerialBlock) -> list[Authorisation]:
        return [a for a in self.authorisations if a.covering(block) is not None]

    def first_transfers_overlapping(self, block: SerialBlock) -> list[FirstTransfer]:
        return [f for f in self.first_transfers if f.block.overlaps(block)]


def vcs(start: int, end: int, *, country: str = "CN", project: str = "1060") -> SerialBlock:
    return SerialBlock(
        programme="VCS",
        serial_space="VCS",
        project_id=project,
        vintage="01012019-31122019",
        unit_type="VCU",
        country=country,
        start=start,
        end=end,
    )


def gs(batch: int, start: int, end: int) -> SerialBlock:
    return SerialBlock(
        programme="GS",
        serial_space=f"GS:{batch}",
        project_id="GS7495",
        vintage="2025",
        unit_type="VER",
        country="KE",
        start=start,
        end=end,
    )


def ccer(start: int, end: int, *, project: str = "123", vintage: str = "2019", batch: int = 1) -> SerialBlock:
    return SerialBlock(
        programme="CCER",
        serial_space=f"CCER:{project}:{vintage}:{batch}",
        project_id=project,
        vintage=vintage,
        unit_type="CCER",
        country="CN",
        start=start,
        end=end,
    )


def period(start: str, end: str) -> Period:
    return Period(start=date.fromisoformat(start), end=date.fromisoformat(end))


def proposal(
    block: SerialBlock,
    *,
    transfer_id: str = "T2",
    source: AccountRef = VERRA_ACCOUNT,
    destination: AccountRef = HK_ACCOUNT,
    source_jurisdiction: str = "XX",
    destination_jurisdiction: str = "HK",
    purpose: Purpose = Purpose.VOLUNTARY,
    acquiring_party: str | None = None,
    holdings: tuple[Holding, ...] = (),
) -> TransferProposal:
    return TransferProposal(
        transfer_id=transfer_id,
        source=source,
        destination=destination,
        source_jurisdiction=source_jurisdiction,
        destination_jurisdiction=destination_jurisdiction,
        block=block,
        purpose=purpose,
        acquiring_party=acquiring_party,
        source_holdings=holdings,
    )
