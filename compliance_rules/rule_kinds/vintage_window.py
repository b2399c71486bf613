"""vintage_window: the vintages a destination accepts, by year or by age in the compliance year.

A block's vintage is written differently by each programme: "2024" (CCER, Gold
Standard, ITMO) or Verra's "01012019-31122019", a period that need not be a
calendar year. The vintage year is the year the period ends in, the year the
last reduction happened. A vintage with no year (CDM's "CP2") is refused: the
rule cannot show that it falls inside the window.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from compliance_rules.findings import Finding, serials
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase

_YEAR = re.compile(r"[0-9]{4}")
_PERIOD = re.compile(r"[0-9]{8}-[0-9]{4}([0-9]{4})")  # DDMMYYYY-DDMMYYYY


def vintage_year(vintage: str) -> int | None:
    """The year a vintage ends in, or None when the vintage names no year."""
    if _YEAR.fullmatch(vintage):
        return int(vintage)
    period = _PERIOD.fullmatch(vintage)
    return int(period.group(1)) if period else None


class VintageWindowParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    earliest: int | None = Field(default=None, ge=1)
    latest: int | None = Field(default=None, ge=1)
    max_age_years: int | None = Field(default=None, ge=0)

    @field_validator("latest")
    @classmethod
    def _after_earliest(cls, value: int | None, info: ValidationInfo) -> int | None:
        earliest = info.data.get("earliest")
        if value is not None and earliest is not None and value < earliest:
            raise ValueError(f"{value} is before earliest {earliest}")
        return value

    @model_validator(mode="after")
    def _says_something(self) -> VintageWindowParams:
        if self.earliest is None and self.latest is None and self.max_age_years is None:
            raise ValueError("name earliest, latest or max_age_years")
        return self


class VintageWindowRule(RuleBase):
    kind: Literal["vintage_window"]
    params: VintageWindowParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        block = context.proposal.block
        year = vintage_year(block.vintage)
        if year is None:
            return [self.finding(f"the vintage {block.vintage!r} of {serials(block)} names no year to judge")]
        params = self.params
        problems = []
        if params.earliest is not None and year < params.earliest:
            problems.append(f"before the earliest eligible vintage {params.earliest}")
        if params.latest is not None and year > params.latest:
            problems.append(f"after the latest eligible vintage {params.latest}")
        age = context.year - year
        if params.max_age_years is not None and age > params.max_age_years:
            problems.append(
                f"{age} years before compliance year {context.year}, older than {params.max_age_years} years"
            )
        return [self.finding(f"vintage {year} of {serials(block)} is {problem}") for problem in problems]
