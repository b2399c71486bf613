"""host_countries: the host countries a destination accepts units from, or refuses them from.

The host is the country the serial encodes (`block.country`, ISO 3166-1
alpha-2), where the reductions happened, whichever registry holds them now.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from compliance_rules.findings import Finding, serials
from compliance_rules.iso_codes import iso_country
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase

Country = Annotated[str, AfterValidator(iso_country)]


class HostCountriesParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: list[Country] = Field(default_factory=list)  # empty: any host not excluded
    excluded: list[Country] = Field(default_factory=list)

    @model_validator(mode="after")
    def _says_something(self) -> HostCountriesParams:
        if not (self.allowed or self.excluded):
            raise ValueError("name allowed or excluded host countries")
        both = sorted(set(self.allowed) & set(self.excluded))
        if both:
            raise ValueError(f"{', '.join(both)} both allowed and excluded")
        return self


class HostCountriesRule(RuleBase):
    kind: Literal["host_countries"]
    params: HostCountriesParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        block = context.proposal.block
        host = block.country
        destination = context.proposal.destination.registry_id
        if host in self.params.excluded:
            return [self.finding(f"{serials(block)} are hosted in {host}, which {destination} excludes")]
        if self.params.allowed and host not in self.params.allowed:
            return [
                self.finding(
                    f"{serials(block)} are hosted in {host}; {destination} accepts units hosted in "
                    f"{', '.join(self.params.allowed)}"
                )
            ]
        return []
