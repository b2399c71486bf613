"""The ledger's answer to `compliance_rules.facts.DoubleCountingFacts`: the facts the checks read.

Layering: `ledger` imports `compliance_rules` for the port and its fact models
(both sit just above `domain`); the dependency is one way, and
`compliance_rules` must never import `ledger`, so the checks stay runnable over
the in-memory fake.

Every method is one read transaction and one or two index seeks: by serial
space and range (reservations and locations through `serial_index`, everything
else through `serial_spans`), by programme and project, or by plant and period.
Rows come back whole, possibly wider than the block asked about; the checks clip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

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
from compliance_rules.rule_facts import CoveredEntity, OffsetUse
from domain.serials import SerialBlock
from domain.transfers import RETIRED_ACCOUNT_ID, AccountRef
from domain.units import UnitStatus
from ledger import (
    article6_rows,
    crosswalk_rows,
    issuance_rows,
    offset_rows,
    pledge_rows,
    serial_index,
    serial_spans,
)
from ledger.models import LocationRow, ReservationRow, TransferRow

T = TypeVar("T")


class LedgerFacts:
    """`DoubleCountingFacts` and `RuleFacts` over the ledger's tables; built by `Ledger.facts()`."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _read(self, query: Callable[[Session], T]) -> T:
        with self._sessions.begin() as session:
            return query(session)

    # RuleFacts: what the rule packs' offset caps read

    def covered_entity_of(self, account: AccountRef) -> CoveredEntity | None:
        return self._read(lambda s: offset_rows.entity_of(s, account))

    def verified_emissions(self, entity_id: str, year: int) -> int | None:
        return self._read(lambda s: offset_rows.emissions(s, entity_id, year))

    def offset_used(self, entity_id: str, year: int) -> list[OffsetUse]:
        return self._read(lambda s: offset_rows.live_uses(s, entity_id, year))

    def reservations_overlapping(self, block: SerialBlock) -> list[Reservation]:
        return self._read(
            lambda s: [_reservation(r) for r in serial_index.overlapping(s, ReservationRow, block)]
        )

    def locations_overlapping(self, block: SerialBlock) -> list[Location]:
        return self._read(lambda s: [_location(r) for r in serial_index.overlapping(s, LocationRow, block)])

    def lineage(self, block: SerialBlock) -> list[Movement]:
        return self._read(lambda s: _lineage(s, block))

    def pledges_overlapping(self, block: SerialBlock) -> list[Pledge]:
        return self._read(lambda s: pledge_rows.pledges_overlapping(s, block))

    def crosswalk_for(self, programme: str, project_id: str) -> list[CrosswalkEntry]:
        return self._read(lambda s: crosswalk_rows.naming(s, programme, project_id))

    def issuances_overlapping(self, block: SerialBlock) -> list[IssuanceRecord]:
        return self._read(lambda s: issuance_rows.issuances_overlapping(s, block))

    def issuances_in(self, programme: str, project_id: str, period: Period) -> list[IssuanceRecord]:
        return self._read(lambda s: issuance_rows.issuances_in(s, programme, project_id, period))

    def credited_generation(self, block: SerialBlock) -> list[CreditedGeneration]:
        return self._read(lambda s: issuance_rows.generation_overlapping(s, block))

    def generation_certificates(self, plant_id: str, period: Period) -> list[GenerationCertificate]:
        return self._read(lambda s: issuance_rows.certificates_in(s, plant_id, period))

    def authorisations_covering(self, block: SerialBlock) -> list[Authorisation]:
        return self._read(lambda s: article6_rows.authorisations_covering(s, block))

    def first_transfers_overlapping(self, block: SerialBlock) -> list[FirstTransfer]:
        return self._read(lambda s: article6_rows.first_transfers_overlapping(s, block))


def _lineage(session: Session, block: SerialBlock) -> list[Movement]:
    """Settled transfers of serials shared with `block`, oldest first.

    A transfer settles to its request's destination (the workflow settles it
    there), so the transfer row alone says where the serials went.
    """
    query = (
        select(TransferRow)
        .where(serial_spans.overlapping(TransferRow, block), TransferRow.settled_at.is_not(None))
        .order_by(TransferRow.settled_at, TransferRow.transfer_id)
    )
    return [_movement(row) for row in session.scalars(query)]


def _movement(row: TransferRow) -> Movement:
    assert row.settled_at is not None  # the query asked for settled transfers only
    return Movement(
        transfer_id=row.transfer_id,
        block=SerialBlock.model_validate(row.block),
        source=AccountRef(registry_id=row.source_registry_id, account_id=row.source_account_id),
        destination=AccountRef(
            registry_id=row.destination_registry_id, account_id=row.destination_account_id
        ),
        settled_at=row.settled_at,
    )


def _reservation(row: ReservationRow) -> Reservation:
    return Reservation(
        transfer_id=row.transfer_id,
        block=SerialBlock.model_validate(row.block).with_range(row.start, row.end),
        source=AccountRef(registry_id=row.source_registry_id, account_id=row.source_account_id),
        reserved_at=row.reserved_at,
    )


def _location(row: LocationRow) -> Location:
    # A retirement settles its serials into the registry's pseudo-account for retired units.
    retired = row.account_id == RETIRED_ACCOUNT_ID
    return Location(
        block=SerialBlock.model_validate(row.block).with_range(row.start, row.end),
        holder=AccountRef(registry_id=row.registry_id, account_id=row.account_id),
        transfer_id=row.transfer_id,
        settled_at=row.settled_at,
        status=UnitStatus.RETIRED if retired else UnitStatus.HELD,
    )
