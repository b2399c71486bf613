"""What the public window reads: settled transfers, finished retirements, market totals.

Only settled facts are read here (a transfer still moving, refused or undone is
nobody's business but its parties'), and reads are bounded: the newest few, or
the settlements overlapping one serial range. The market totals are one pass
over the settled rows, which the site caches per log size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance import PublicBenefitAccount, Retirement, RetirementState
from domain.transfers import Transfer, TransferState
from ledger.book import Book
from ledger.models import PublicBenefitAccountRow, RetirementRow, SettlementLogRow, TransferRow
from ledger.retirement_book import account_from_row, retirement_from_row
from ledger.transfer_rows import from_row

_SETTLED = (TransferState.SETTLED.value, TransferState.ANCHORED.value)
_READ_CHUNK = 5_000


class MarketCell(BaseModel):
    """Units settled (and how many settlements) for one combination of the market's dimensions."""

    model_config = ConfigDict(frozen=True)

    source_registry: str
    destination_registry: str
    programme: str
    unit_type: str
    vintage: str
    month: str  # YYYY-MM of the settlement, UTC
    units: int
    settlements: int


class LoggedSettlement(BaseModel):
    """A settled transfer and its place in the settlement log."""

    model_config = ConfigDict(frozen=True)

    transfer: Transfer
    leaf_index: int


class RetiredFor(BaseModel):
    """A finished retirement and the public-benefit account it was made for."""

    model_config = ConfigDict(frozen=True)

    retirement: Retirement
    account: PublicBenefitAccount


class PublicBook(Book):
    def market(self) -> list[MarketCell]:
        """Every settled transfer, summed by registries, unit class, vintage and month."""
        query = select(
            TransferRow.source_registry_id,
            TransferRow.destination_registry_id,
            TransferRow.block,
            TransferRow.settled_at,
            TransferRow.end - TransferRow.start + 1,
        ).where(TransferRow.state.in_(_SETTLED))

        def read(session: Session) -> list[MarketCell]:
            units: dict[tuple[str, ...], int] = defaultdict(int)
            count: dict[tuple[str, ...], int] = defaultdict(int)
            for source, destination, block, at, quantity in session.execute(
                query.execution_options(yield_per=_READ_CHUNK)
            ):
                key = (
                    source,
                    destination,
                    block["programme"],
                    block["unit_type"],
                    block["vintage"],
                    f"{at:%Y-%m}",
                )
                units[key] += int(quantity)
                count[key] += 1
            return [_cell(key, units[key], count[key]) for key in sorted(units)]

        return self._read(read)

    def recent_settlements(self, limit: int) -> list[LoggedSettlement]:
        """The newest settlements in log order, newest first."""
        query = (
            select(TransferRow, SettlementLogRow.leaf_index)
            .join(SettlementLogRow, SettlementLogRow.transfer_id == TransferRow.transfer_id)
            .order_by(SettlementLogRow.leaf_index.desc())
            .limit(limit)
        )
        return self._read(lambda s: _logged(s.execute(query)))

    def settled(self, transfer_id: str) -> LoggedSettlement | None:
        """The transfer if it settled into the log, else None (unknown, moving, refused or undone)."""
        query = (
            select(TransferRow, SettlementLogRow.leaf_index)
            .join(SettlementLogRow, SettlementLogRow.transfer_id == TransferRow.transfer_id)
            .where(TransferRow.transfer_id == transfer_id)
        )
        found = self._read(lambda s: _logged(s.execute(query)))
        return found[0] if found else None

    def settled_overlapping(
        self, serial_space: str, start: int, end: int, limit: int
    ) -> list[LoggedSettlement]:
        """Settlements of any units `start..end` of `serial_space`, oldest first: a serial's public trail."""
        query = (
            select(TransferRow, SettlementLogRow.leaf_index)
            .join(SettlementLogRow, SettlementLogRow.transfer_id == TransferRow.transfer_id)
            .where(
                TransferRow.serial_space == serial_space,
                TransferRow.start <= end,
                TransferRow.end >= start,
            )
            .order_by(SettlementLogRow.leaf_index)
            .limit(limit)
        )
        return self._read(lambda s: _logged(s.execute(query)))

    def recent_retirements(self, limit: int) -> list[RetiredFor]:
        """The newest finished retirements, newest first."""
        query = (
            select(RetirementRow, PublicBenefitAccountRow)
            .join(PublicBenefitAccountRow, PublicBenefitAccountRow.account_id == RetirementRow.account_id)
            .where(RetirementRow.state == RetirementState.RETIRED.value)
            .order_by(RetirementRow.retired_at.desc(), RetirementRow.retirement_id.desc())
            .limit(limit)
        )
        return self._read(lambda s: _retired(s.execute(query)))

    def retired(self, retirement_id: str) -> RetiredFor | None:
        """The retirement if it finished, else None."""
        query = (
            select(RetirementRow, PublicBenefitAccountRow)
            .join(PublicBenefitAccountRow, PublicBenefitAccountRow.account_id == RetirementRow.account_id)
            .where(
                RetirementRow.retirement_id == retirement_id,
                RetirementRow.state == RetirementState.RETIRED.value,
            )
        )
        found = self._read(lambda s: _retired(s.execute(query)))
        return found[0] if found else None

    def retired_by_transfer(self, transfer_ids: list[str]) -> dict[str, datetime]:
        """Which of these settlements were retirements: their transfer id and when."""
        wanted = [t.removeprefix("retire-") for t in transfer_ids if t.startswith("retire-")]
        if not wanted:
            return {}
        query = select(RetirementRow.retirement_id, RetirementRow.retired_at).where(
            RetirementRow.retirement_id.in_(wanted), RetirementRow.state == RetirementState.RETIRED.value
        )
        return self._read(lambda s: {f"retire-{rid}": at for rid, at in s.execute(query) if at is not None})


def _cell(key: tuple[str, ...], units: int, settlements: int) -> MarketCell:
    source, destination, programme, unit_type, vintage, month = key
    return MarketCell(
        source_registry=source,
        destination_registry=destination,
        programme=programme,
        unit_type=unit_type,
        vintage=vintage,
        month=month,
        units=units,
        settlements=settlements,
    )


def _logged(rows: Iterable[Any]) -> list[LoggedSettlement]:
    found = []
    for row, leaf_index in rows:
        if row.state in _SETTLED:
            found.append(LoggedSettlement(transfer=from_row(row), leaf_index=int(leaf_index)))
    return found


def _retired(rows: Iterable[Any]) -> list[RetiredFor]:
    return [RetiredFor(retirement=retirement_from_row(r), account=account_from_row(a)) for r, a in rows]
