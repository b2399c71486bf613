"""Covered entities, their verified emissions, and the units each uses for offset per compliance year.

An offset cap is headroom, and headroom is a concurrency question like double use:
two transfers that each fit under an entity's cap but not together must not both
settle. So a transfer's offset use is reserved in the same transaction as its
serials, after taking a lock on the entity's year (PostgreSQL: an advisory lock;
SQLite: the write lock BEGIN IMMEDIATE already holds), and the claim's limits are
checked against every other live use. The use becomes `used` at settlement and
`released` when the transfer is rejected or compensated.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from compliance_rules.offset_claims import OffsetClaim
from compliance_rules.rule_facts import CoveredEntity, OffsetUse
from domain.errors import AlreadyExists, DoubleCountingConflict, NotFound
from domain.transfers import AccountRef
from ledger.models import CoveredEntityAccountRow, CoveredEntityRow, OffsetUseRow, VerifiedEmissionsRow

RESERVED, USED, RELEASED = "reserved", "used", "released"


def record_entity(session: Session, entity: CoveredEntity, accounts: list[AccountRef]) -> bool:
    """Store a covered entity and its accounts once (True when anything was new).

    The same entity again is a no-op; another name or market under its id, or an
    account already another entity's, is refused.
    """
    row = session.get(CoveredEntityRow, entity.entity_id)
    added = row is None
    if row is None:
        session.add(CoveredEntityRow(entity_id=entity.entity_id, name=entity.name, market=entity.market))
    elif (row.name, row.market) != (entity.name, entity.market):
        raise AlreadyExists(
            f"covered entity {entity.entity_id} exists with another name or market", field="entity_id"
        )
    for account in accounts:
        held = session.get(CoveredEntityAccountRow, (account.registry_id, account.account_id))
        if held is None:
            session.add(
                CoveredEntityAccountRow(
                    registry_id=account.registry_id, account_id=account.account_id, entity_id=entity.entity_id
                )
            )
            added = True
        elif held.entity_id != entity.entity_id:
            raise AlreadyExists(
                f"account {account.registry_id}:{account.account_id} belongs to entity {held.entity_id}",
                field="accounts",
            )
    return added


def record_emissions(session: Session, entity_id: str, year: int, tonnes: int) -> bool:
    """Store an entity's verified emissions for a year once; another figure for that year is refused."""
    if session.get(CoveredEntityRow, entity_id) is None:
        raise NotFound(f"no covered entity {entity_id}", field="entity_id")
    row = session.get(VerifiedEmissionsRow, (entity_id, year))
    if row is None:
        session.add(VerifiedEmissionsRow(entity_id=entity_id, year=year, tonnes=tonnes))
        return True
    if row.tonnes != tonnes:
        raise AlreadyExists(
            f"entity {entity_id} has verified emissions of {row.tonnes} t for {year}",
            field="verified_emissions",
        )
    return False


def entity_of(session: Session, account: AccountRef) -> CoveredEntity | None:
    held = session.get(CoveredEntityAccountRow, (account.registry_id, account.account_id))
    if held is None:
        return None
    row = session.get(CoveredEntityRow, held.entity_id)
    assert row is not None  # the foreign key keeps every account's entity
    return CoveredEntity(entity_id=row.entity_id, name=row.name, market=row.market)


def emissions(session: Session, entity_id: str, year: int) -> int | None:
    row = session.get(VerifiedEmissionsRow, (entity_id, year))
    return None if row is None else row.tonnes


def live_uses(session: Session, entity_id: str, year: int) -> list[OffsetUse]:
    """Every reserved or used offset of the entity in the year (released ones no longer count)."""
    rows = session.scalars(
        select(OffsetUseRow).where(
            OffsetUseRow.entity_id == entity_id, OffsetUseRow.year == year, OffsetUseRow.state != RELEASED
        )
    )
    return [OffsetUse.model_validate(row, from_attributes=True) for row in rows]


def reserve(session: Session, claim: OffsetClaim, at: datetime) -> None:
    """Reserve the claim's units under every limit, or raise naming the first limit it would break.

    A retry finds its own reservation and changes nothing.
    """
    if session.get(OffsetUseRow, claim.transfer_id) is not None:
        return
    _lock_entity_year(session, claim.entity_id, claim.year)
    broken = claim.exceeded(live_uses(session, claim.entity_id, claim.year))
    if broken:
        limit = broken[0]
        raise DoubleCountingConflict(
            f"{claim.quantity} more units for offset would take entity {claim.entity_id} past {limit.max_units} "
            f"units in {claim.year} under {limit.rule_id}: another transfer took the headroom first",
            code=limit.rule_id,
        )
    session.add(OffsetUseRow(**claim.as_use().model_dump(), state=RESERVED, updated_at=at))


def mark(session: Session, transfer_id: str, state: str, at: datetime) -> None:
    """Settled (`used`) or undone (`released`); nothing when the transfer used nothing for offset."""
    row = session.get(OffsetUseRow, transfer_id)
    if row is not None and row.state != state:
        row.state, row.updated_at = state, at


def _lock_entity_year(session: Session, entity_id: str, year: int) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serialises every writer
    digest = hashlib.sha256(f"offset:{entity_id}:{year}".encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )


def entity_years(session: Session) -> list[tuple[str, int]]:
    """Every (entity, year) with offset uses that still count, for a reconciliation's cap check."""
    query = (
        select(OffsetUseRow.entity_id, OffsetUseRow.year)
        .where(OffsetUseRow.state != RELEASED)
        .distinct()
        .order_by(OffsetUseRow.entity_id, OffsetUseRow.year)
    )
    return [(entity, year) for entity, year in session.execute(query)]
