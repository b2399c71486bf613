"""What an offset transfer claims against its covered entity's caps, for the ledger to reserve.

Judging a cap is a read (what is used) followed by a write (this transfer's
use). Two transfers judged at the same time could each fit and together exceed
the cap, so the evaluator hands the ledger the claim and every limit it counts
towards, and the ledger re-checks `used + quantity <= max_units` for each limit
inside the transaction that records the use. The arithmetic lives here, once,
so the ledger and the rules cannot disagree about which uses count.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.proposal import within
from compliance_rules.rule_facts import OffsetUse


class OffsetLimit(BaseModel):
    """At most `max_units` of an entity's offset uses in the year may count towards `rule_id`.

    A use counts when its programme is in `programmes` (empty: every programme)
    and, when `outside_origin` is set, it comes from outside that jurisdiction.
    """

    model_config = ConfigDict(frozen=True)

    rule_id: str
    programmes: list[str] = Field(default_factory=list)
    outside_origin: str | None = None
    max_units: int = Field(ge=0)

    def counts(self, programme: str, origin: str) -> bool:
        if self.programmes and programme not in self.programmes:
            return False
        return self.outside_origin is None or not within(origin, self.outside_origin)

    def used_by(self, uses: Iterable[OffsetUse]) -> int:
        """Units of `uses` that count towards this limit."""
        return sum(use.quantity for use in uses if self.counts(use.programme, use.origin))


class OffsetClaim(BaseModel):
    """One transfer's offset use: the entity, the year, what is used, and every limit it counts towards."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    year: int
    transfer_id: str
    programme: str
    origin: str
    quantity: int = Field(gt=0)
    limits: list[OffsetLimit] = Field(default_factory=list)

    def exceeded(self, others: Iterable[OffsetUse]) -> list[OffsetLimit]:
        """The limits this claim would break on top of `others` (the entity's other uses in the year)."""
        uses = [use for use in others if use.transfer_id != self.transfer_id]
        return [limit for limit in self.limits if limit.used_by(uses) + self.quantity > limit.max_units]

    def as_use(self) -> OffsetUse:
        """The use the ledger records once the claim is reserved."""
        return OffsetUse(
            entity_id=self.entity_id,
            year=self.year,
            transfer_id=self.transfer_id,
            programme=self.programme,
            origin=self.origin,
            quantity=self.quantity,
        )
