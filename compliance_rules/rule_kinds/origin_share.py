"""origin_share: offset units from outside an origin may not exceed a share of verified emissions.

A unit's origin is the jurisdiction of the registry it comes from (the
proposal's source jurisdiction): CCER serials do not encode the province of
their project, so the source registry is the only origin every unit carries.
A CCER moved from the national CCER registry (CN) into the Guangdong ETS is
therefore from outside CN-GD, even when its project is in Guangdong; a stricter
reading than the regulator's, never a looser one. Guangdong lets at most 30 %
of its 10 % cap come from outside the province: `max_outside_share = 0.03`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance_rules.findings import Finding
from compliance_rules.iso_codes import iso_jurisdiction
from compliance_rules.proposal import within
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.offset_basis import (
    Basis,
    CapFigures,
    CappedRule,
    cap_or_finding,
    percent,
    programmes_text,
    share_between_0_and_1,
)


class OriginShareParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    origin: str
    max_outside_share: Decimal
    basis: Basis
    programmes: list[str] = Field(default_factory=list)

    _origin = field_validator("origin")(iso_jurisdiction)
    _share = field_validator("max_outside_share")(share_between_0_and_1)


class OriginShareRule(CappedRule):
    kind: Literal["origin_share"]
    params: OriginShareParams

    def _cap(self, context: RuleContext) -> CapFigures | Finding | None:
        """None when the transfer's units are from inside the origin or of a programme not counted."""
        params = self.params
        if within(context.origin, params.origin):
            return None
        if params.programmes and context.proposal.block.programme not in params.programmes:
            return None
        return cap_or_finding(
            self,
            context,
            basis=params.basis,
            share=params.max_outside_share,
            programmes=params.programmes,
            outside_origin=params.origin,
        )

    def _breach(self, cap: CapFigures, context: RuleContext, used: int, total: int) -> str:
        proposal = context.proposal
        origin = self.params.origin
        return (
            f"{proposal.block.quantity} {proposal.block.programme} units from outside {origin} (source "
            f"registry {proposal.source.registry_id} in {context.origin}) would bring {cap.entity.name} "
            f"({cap.entity.entity_id})'s {programmes_text(self.params.programmes)} from outside {origin} "
            f"in {context.year} to {total} tCO2e, above {cap.limit.max_units} "
            f"({percent(self.params.max_outside_share)} of {cap.emissions} tCO2e verified emissions in "
            f"{cap.basis_year}); {used} already reserved or used"
        )
