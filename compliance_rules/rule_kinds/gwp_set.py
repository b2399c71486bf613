"""gwp_set_required: units of a gas other than CO2 must carry the GWP set the destination names.

Every unit is one tCO2e, but a tonne of methane is 28 tCO2e under AR5 and 27.9
under AR6 (domain.gases), so the same reduction converted with another set is
another number of units. CO2 units need no set and are not judged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.findings import Finding, serials
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase
from domain.gases import Gas, GwpSet


class GwpSetParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gwp_set: GwpSet
    gases: list[Gas] = Field(default_factory=list)  # empty: every gas but CO2


class GwpSetRequiredRule(RuleBase):
    kind: Literal["gwp_set_required"]
    params: GwpSetParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        block = context.proposal.block
        if block.gas is Gas.CO2 or (self.params.gases and block.gas not in self.params.gases):
            return []
        if block.gwp_set is self.params.gwp_set:
            return []
        converted = block.gwp_set.value if block.gwp_set else "no GWP set"
        return [
            self.finding(
                f"{serials(block)} are {block.gas.value} units converted with {converted}; "
                f"{context.proposal.destination.registry_id} requires {self.params.gwp_set.value}"
            )
        ]
