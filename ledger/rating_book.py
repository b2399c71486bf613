"""Carbon-performance ratings as computed, kept each time they change, and the ledger's side of an
enterprise carbon account.

A rating is recomputed from the ledger's facts inside the transaction that changes
an entity's compliance data (Ledger.record_covered_entity, record_verified_emissions,
load_covered_entities), and again whenever its account is read, so offsets settled
and pledges made since are counted too. When the score or grade changes a new row is
kept and every lender with a loan to the entity hears of it (`rating.changed`, its id
naming the row, so a retried transaction tells nobody twice); when only the inputs
moved, the latest row is brought up to date in place. The entity's row is locked
first, so two recomputations of one entity never both add a row.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance_rules.rule_facts import CoveredEntity
from domain.carbon_rating import Rating, RatingFacts, rate
from domain.errors import NotFound
from domain.finance import EventKind, FinanceEvent
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger import finance_event_rows, loan_rows
from ledger.book import Book
from ledger.models import (
    CoveredEntityAccountRow,
    CoveredEntityRow,
    EntityRatingRow,
    OffsetUseRow,
    PledgeRow,
    VerifiedEmissionsRow,
)
from ledger.offset_rows import USED


@dataclass(frozen=True)
class EnterpriseFacts:
    """What the ledger knows of one covered entity, for its carbon account."""

    entity: CoveredEntity
    accounts: tuple[AccountRef, ...]
    verified_emissions: Mapping[int, int]  # year -> tCO2e
    offsets_used: Mapping[int, int]  # year -> tCO2e of settled offset transfers
    pledges: Mapping[AccountRef, tuple[SerialBlock, ...]]  # unended pledges, by holding account
    ratings: tuple[Rating, ...]  # newest first


class RatingBook(Book):
    """The ledger's part for enterprise ratings (the entity_ratings table)."""

    def refresh(self, entity_id: str) -> Rating:
        """Recompute the entity's rating now; NotFound for an entity no regulator recorded."""
        return self._write(lambda session: self.recompute(session, entity_id, datetime.now(UTC)))

    @staticmethod
    def recompute(session: Session, entity_id: str, at: datetime) -> Rating:
        """The entity's current rating, stored (and told to its lenders) when it changed; inside the
        caller's transaction."""
        # FOR NO KEY UPDATE: two recomputations of the entity wait for each other, while the
        # emissions and offset rows that refer to it (FOR KEY SHARE) are not held up.
        locked = (
            select(CoveredEntityRow)
            .where(CoveredEntityRow.entity_id == entity_id)
            .with_for_update(key_share=True)
        )
        if session.scalars(locked).one_or_none() is None:
            raise NotFound(
                f"no covered entity {entity_id}", field="entity_id", resource_type="covered entity"
            )
        fresh = rate(_rating_facts(session, entity_id)).model_copy(update={"computed_at": at})
        latest = _rows(session, entity_id, limit=1)
        previous = _rating(latest[0]) if latest else None
        if previous is not None and previous.same_standing(fresh):
            if previous.components == fresh.components:
                return previous
            latest[0].components, latest[0].computed_at = list(fresh.components), at
            session.flush()
            return fresh
        row = EntityRatingRow(
            entity_id=entity_id,
            formula_version=fresh.formula_version,
            score=fresh.score,
            grade=fresh.grade,
            components=list(fresh.components),
            computed_at=at,
        )
        session.add(row)
        session.flush()
        _tell_lenders(session, entity_id, row.rating_id, fresh, previous)
        return fresh

    def history(self, entity_id: str) -> builtins.list[Rating]:
        """Every rating kept for the entity, newest first."""
        return self._read(lambda s: [_rating(row) for row in _rows(s, entity_id)])

    def account_facts(self, entity_id: str) -> EnterpriseFacts:
        """The entity, its accounts, emissions, offsets, pledges and ratings; NotFound when unknown."""
        return self._read(lambda s: _account_facts(s, entity_id))


def _rows(session: Session, entity_id: str, limit: int | None = None) -> builtins.list[EntityRatingRow]:
    query = (
        select(EntityRatingRow)
        .where(EntityRatingRow.entity_id == entity_id)
        .order_by(EntityRatingRow.rating_id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _rating(row: EntityRatingRow) -> Rating:
    return Rating(
        formula_version=row.formula_version,
        score=row.score,
        grade=row.grade,
        components=tuple(row.components),
        computed_at=row.computed_at,
    )


def _tell_lenders(
    session: Session, entity_id: str, rating_id: int, rating: Rating, previous: Rating | None
) -> None:
    assert rating.computed_at is not None
    data = {
        "entity_id": entity_id,
        "formula_version": rating.formula_version,
        "score": rating.score,
        "grade": rating.grade,
        "previous_score": None if previous is None else previous.score,
        "previous_grade": None if previous is None else previous.grade,
        "components": list(rating.components),
    }
    events = [
        FinanceEvent(
            event_id=f"rating:{entity_id}:{rating_id}",
            org=lender,
            kind=EventKind.RATING_CHANGED,
            subject=entity_id,
            data=data,
            occurred_at=rating.computed_at,
        )
        for lender in sorted(loan_rows.lenders_of_entity(session, entity_id))
    ]
    finance_event_rows.append(session, events)


def _emissions(session: Session, entity_id: str) -> dict[int, int]:
    rows = session.execute(
        select(VerifiedEmissionsRow.year, VerifiedEmissionsRow.tonnes).where(
            VerifiedEmissionsRow.entity_id == entity_id
        )
    )
    return {year: tonnes for year, tonnes in rows}


def _offsets_used(session: Session, entity_id: str) -> dict[int, int]:
    rows = session.execute(
        select(OffsetUseRow.year, func.sum(OffsetUseRow.quantity))
        .where(OffsetUseRow.entity_id == entity_id, OffsetUseRow.state == USED)
        .group_by(OffsetUseRow.year)
    )
    return {year: int(total) for year, total in rows}


def _pledges(session: Session, entity_id: str) -> dict[AccountRef, tuple[SerialBlock, ...]]:
    """Unended pledges of units in the entity's accounts."""
    query = (
        select(PledgeRow)
        .join(
            CoveredEntityAccountRow,
            (CoveredEntityAccountRow.registry_id == PledgeRow.holder_registry_id)
            & (CoveredEntityAccountRow.account_id == PledgeRow.holder_account_id),
        )
        .where(CoveredEntityAccountRow.entity_id == entity_id, PledgeRow.released_at.is_(None))
        .order_by(PledgeRow.serial_space, PledgeRow.start)
    )
    found: dict[AccountRef, tuple[SerialBlock, ...]] = {}
    for row in session.scalars(query):
        account = AccountRef(registry_id=row.holder_registry_id, account_id=row.holder_account_id)
        found[account] = (*found.get(account, ()), SerialBlock.model_validate(row.block))
    return found


def _rating_facts(session: Session, entity_id: str) -> RatingFacts:
    pledged = sum(block.quantity for blocks in _pledges(session, entity_id).values() for block in blocks)
    return RatingFacts(
        verified_emissions=_emissions(session, entity_id),
        offsets_used=_offsets_used(session, entity_id),
        pledged_t=pledged,
    )


def _account_facts(session: Session, entity_id: str) -> EnterpriseFacts:
    row = session.get(CoveredEntityRow, entity_id)
    if row is None:
        raise NotFound(f"no covered entity {entity_id}", field="entity_id", resource_type="covered entity")
    accounts = session.scalars(
        select(CoveredEntityAccountRow)
        .where(CoveredEntityAccountRow.entity_id == entity_id)
        .order_by(CoveredEntityAccountRow.registry_id, CoveredEntityAccountRow.account_id)
    )
    return EnterpriseFacts(
        entity=CoveredEntity(entity_id=row.entity_id, name=row.name, market=row.market),
        accounts=tuple(AccountRef(registry_id=a.registry_id, account_id=a.account_id) for a in accounts),
        verified_emissions=_emissions(session, entity_id),
        offsets_used=_offsets_used(session, entity_id),
        pledges=_pledges(session, entity_id),
        ratings=tuple(_rating(r) for r in _rows(session, entity_id)),
    )
