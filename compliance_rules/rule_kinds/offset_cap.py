"""offset_cap: units used for offset in a year may not exceed a share of the entity's verified emissions.

With `programmes` the cap counts only those programmes' units (a lower CCER
share inside a total cap, say); empty, it counts every offset unit. A transfer
that is not for offset, or whose programme the cap does not count, is not judged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance_rules.findings import Finding
from compliance_rules.offset_claims import OffsetLimit
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase
from compliance_rules.rule_kinds.offset_basis import (
    Basis,
    CapFigures,
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


class OffsetCapRule(RuleBase):
    offset_only: ClassVar[bool] = True

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
        used, total = exceeded
        block = context.proposal.block
        return [
            self.finding(
                f"{block.quantity} {block.programme} units for offset would bring {cap.entity.name} "
                f"({cap.entity.entity_id})'s {programmes_text(self.params.programmes)} in {context.year} to "
                f"{total} tCO2e, above the cap of {cap.limit.max_units} ({percent(self.params.share)} of "
                f"{cap.emissions} tCO2e verified emissions in {cap.basis_year}); {used} already reserved or used"
            )
        ]
