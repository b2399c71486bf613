"""The arithmetic both offset kinds share: a share of a covered entity's verified emissions.

Caps round down: a cap of 10 % of 12,345 tCO2e admits 1,234 units, never 1,235,
because a unit is a whole tonne and a regulator's cap is a ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import ClassVar, Literal

from compliance_rules.findings import Finding
from compliance_rules.offset_claims import OffsetLimit
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_facts import CoveredEntity
from compliance_rules.rule_kinds.base import RuleBase

# same_year: the compliance year's own verified emissions; previous_year: the year before's
# (Guangdong caps offsets at a share of the previous year's actual emissions).
Basis = Literal["same_year", "previous_year"]


def share_between_0_and_1(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise ValueError("must be between 0 and 1")
    return value


def basis_year(basis: Basis, year: int) -> int:
    return year if basis == "same_year" else year - 1


def capped_units(share: Decimal, emissions: int) -> int:
    return int((share * emissions).to_integral_value(rounding=ROUND_FLOOR))


def percent(share: Decimal) -> str:
    """0.1 as "10 %", 0.025 as "2.5 %"."""
    text = format(share * 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


def programmes_text(programmes: list[str]) -> str:
    return "offsets" if not programmes else f"offsets of {' or '.join(programmes)}"


def covers_programme(programmes: list[str], programme: str) -> bool:
    return not programmes or programme in programmes


@dataclass(frozen=True)
class CapFigures:
    """The figures behind one cap, for the limit the ledger re-checks and the message a holder reads."""

    entity: CoveredEntity
    basis_year: int
    emissions: int
    limit: OffsetLimit

    def exceeded_by(self, context: RuleContext) -> tuple[int, int] | None:
        """(already used, used with this transfer) when this transfer breaks the cap, else None."""
        used = self.limit.used_by(context.offsets_used)
        total = used + context.proposal.block.quantity
        return (used, total) if total > self.limit.max_units else None


def cap_or_finding(
    rule: RuleBase,
    context: RuleContext,
    *,
    basis: Basis,
    share: Decimal,
    programmes: list[str],
    outside_origin: str | None = None,
) -> CapFigures | Finding:
    """The cap's figures, or the finding saying why the cap cannot be computed."""
    destination = context.proposal.destination
    entity = context.entity
    if entity is None:
        return rule.finding(
            f"registry {destination.registry_id} account {destination.account_id} belongs to no covered "
            "entity, so units cannot be used for offset there"
        )
    year = basis_year(basis, context.year)
    emissions = context.verified_emissions(entity.entity_id, year)
    if emissions is None:
        return rule.finding(
            f"no verified emissions of {entity.name} ({entity.entity_id}) are recorded for {year}, "
            f"so the cap of {percent(share)} of them cannot be computed"
        )
    limit = OffsetLimit(
        rule_id=rule.id,
        programmes=list(programmes),
        outside_origin=outside_origin,
        max_units=capped_units(share, emissions),
    )
    return CapFigures(entity=entity, basis_year=year, emissions=emissions, limit=limit)


class CappedRule(RuleBase):
    """What both offset kinds share: a cap to compute, the limit the ledger re-checks when it reserves
    the headroom, and a finding when this transfer would break it. Each kind says which units its cap
    counts (`_cap`) and how a breach reads (`_breach`)."""

    offset_only: ClassVar[bool] = True

    def _cap(self, context: RuleContext) -> CapFigures | Finding | None:
        """The cap's figures, a finding when they cannot be computed, None when the units do not count."""
        raise NotImplementedError

    def _breach(self, cap: CapFigures, context: RuleContext, used: int, total: int) -> str:
        raise NotImplementedError

    def offset_limit(self, context: RuleContext) -> OffsetLimit | None:
        """The limit this transfer counts towards, or None when it does not count or cannot be computed."""
        cap = self._cap(context)
        return cap.limit if isinstance(cap, CapFigures) else None

    def evaluate(self, context: RuleContext) -> list[Finding]:
        cap = self._cap(context)
        if cap is None:
            return []
        if isinstance(cap, Finding):
            return [cap]
        exceeded = cap.exceeded_by(context)
        if exceeded is None:
            return []
        return [self.finding(self._breach(cap, context, *exceeded))]
