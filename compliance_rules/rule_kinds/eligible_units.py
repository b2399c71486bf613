"""eligible_units: which programmes, unit types and project types may come into the destination.

A block's project type is `block.attributes["project_type"]` when its registry
supplies one (Gold Standard serials encode it; CCER and most others do not),
compared without regard to case. An unknown project type cannot be shown to be
excluded, so the pack must say what it means: `unknown_project_type = "allow"`
lets it through (the regulator's own surrender review stays the control),
`"refuse"` refuses it until the registry says what the project is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from compliance_rules.findings import Finding, serials
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase


class EligibleUnitsParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    programmes: list[str] = Field(default_factory=list)  # empty: any programme
    unit_types: list[str] = Field(default_factory=list)  # empty: any unit type
    excluded_project_types: list[str] = Field(default_factory=list)
    unknown_project_type: Literal["allow", "refuse"] | None = Field(default=None, validate_default=True)

    @field_validator("unknown_project_type")
    @classmethod
    def _said_when_types_excluded(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("excluded_project_types"):
            raise ValueError('required when excluded_project_types is set: "allow" or "refuse"')
        return value

    @model_validator(mode="after")
    def _says_something(self) -> EligibleUnitsParams:
        if not (self.programmes or self.unit_types or self.excluded_project_types):
            raise ValueError("name programmes, unit_types or excluded_project_types")
        return self


class EligibleUnitsRule(RuleBase):
    kind: Literal["eligible_units"]
    params: EligibleUnitsParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        block = context.proposal.block
        destination = context.proposal.destination.registry_id
        params = self.params
        findings = []
        if params.programmes and block.programme not in params.programmes:
            findings.append(
                self.finding(
                    f"{block.programme} units are not eligible in {destination}: eligible programmes are "
                    f"{', '.join(params.programmes)}"
                )
            )
        if params.unit_types and block.unit_type not in params.unit_types:
            findings.append(
                self.finding(
                    f"{block.unit_type} units are not eligible in {destination}: eligible unit types are "
                    f"{', '.join(params.unit_types)}"
                )
            )
        return findings + self._project_type(context)

    def _project_type(self, context: RuleContext) -> list[Finding]:
        excluded = self.params.excluded_project_types
        if not excluded:
            return []
        block = context.proposal.block
        project_type = block.attributes.get("project_type")
        if project_type is None:
            if self.params.unknown_project_type == "allow":
                return []
            return [
                self.finding(
                    f"{serials(block)} carry no project type, and units of unknown project type are refused "
                    f"where {', '.join(excluded)} projects are excluded"
                )
            ]
        if project_type.casefold() in {t.casefold() for t in excluded}:
            return [
                self.finding(
                    f"{serials(block)} come from a {project_type} project, and {', '.join(excluded)} projects "
                    f"are excluded in {context.proposal.destination.registry_id}"
                )
            ]
        return []
