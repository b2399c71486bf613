"""offset_cap: units used for offset in a year may not exceed a share of the entity's verified emissions.

With `programmes` the cap counts only those programmes' units (a lower CCER
share inside a total cap, say); empty, it counts every offset unit. A transfer
that is not for offset, or whose programme the cap does not count, is not judged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance_rules.findings import Finding
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


class OffsetCapParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    share: Decimal
    basis: Basis
    programmes: list[str] = Field(default_factory=list)

    _share = field_validator("share")(share_between_0_and_1)


class OffsetCapRule(CappedRule):
    kind: Literal["offset_cap"]
    params: OffsetCapParams

    def _cap(self, context: RuleContext) -> CapFigures | Finding | None:
        """None when the transfer's programme does not count towards this cap."""
        programmes = self.params.programmes
        if programmes and context.proposal.block.programme not in programmes:
            return None
        return cap_or_finding(
            self, context, basis=self.params.basis, share=self.params.share, programmes=programmes
        )

    def _breach(self, cap: CapFigures, context: RuleContext, used: int, total: int) -> str:
        block = context.proposal.block
        return (
            f"{block.quantity} {block.programme} units for offset would bring {cap.entity.name} "
            f"({cap.entity.entity_id})'s {programmes_text(self.params.programmes)} in {context.year} to "
            f"{total} tCO2e, above the cap of {cap.limit.max_units} ({percent(self.params.share)} of "
            f"{cap.emissions} tCO2e verified emissions in {cap.basis_year}); {used} already reserved or used"
        )
