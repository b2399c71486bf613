"""What every rule of a pack has, whatever its kind: id, meaning, effective dates, purposes, source.

A rule's id is the code of its findings, so a refusal names the rule a reviewer
can look up in the pack; its meaning and source travel with every finding so a
report still cites the regulation after the pack changes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from compliance_rules.findings import Collision, Finding
from compliance_rules.proposal import Purpose
from compliance_rules.rule_context import RuleContext

RULE_ID = re.compile(r"RULE(-[A-Z0-9]+)+")


class RuleSource(BaseModel):
    """Where a rule's figures come from. `confirmed = false` needs a note saying what is not confirmed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str = Field(min_length=1)
    article: str = Field(min_length=1)
    confirmed: bool
    note: str | None = Field(default=None, validate_default=True)
    url: str | None = None

    @field_validator("note")
    @classmethod
    def _unconfirmed_says_why(cls, note: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("confirmed") is False and not (note and note.strip()):
            raise ValueError("required when confirmed = false: say what could not be confirmed")
        return note

    def cite(self) -> str:
        """The source in one line, as a finding and a report carry it."""
        text = f"{self.document}, {self.article}"
        if not self.confirmed:
            text += f" (not confirmed: {self.note})"
        return text


class RuleBase(BaseModel):
    """The fields every kind shares; each kind adds `kind`, `params` and `evaluate`.

    `purposes` limits the rule to transfers for those purposes (empty: every
    purpose). Offset rules judge offset use only and take no `purposes`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset_only: ClassVar[bool] = False

    id: str
    meaning: str
    effective_from: date
    effective_to: date | None = None
    purposes: tuple[Purpose, ...] = ()
    source: RuleSource

    @field_validator("id")
    @classmethod
    def _rule_id(cls, value: str) -> str:
        if not RULE_ID.fullmatch(value):
            raise ValueError("must be RULE- followed by capital letters and digits in dash-separated parts")
        return value

    @field_validator("meaning")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if not value.strip() or "\n" in value:
            raise ValueError("must be one non-empty line")
        return value

    @field_validator("effective_to")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("effective_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"{value} is before effective_from {start}")
        return value

    @field_validator("purposes")
    @classmethod
    def _offset_rules_judge_offsets(cls, value: tuple[Purpose, ...]) -> tuple[Purpose, ...]:
        if cls.offset_only and value:
            raise ValueError("an offset rule judges offset use only; leave purposes out")
        return value

    def in_force(self, year: int) -> bool:
        """True when the rule's dates cover any day of `year`."""
        return self.effective_from <= date(year, 12, 31) and (
            self.effective_to is None or self.effective_to >= date(year, 1, 1)
        )

    def judges(self, purpose: Purpose) -> bool:
        if self.offset_only:
            return purpose is Purpose.OFFSET
        return not self.purposes or purpose in self.purposes

    def finding(self, message: str, collides_with: Collision | None = None) -> Finding:
        return Finding(
            code=self.id,
            message=message,
            collides_with=collides_with,
            meaning=self.meaning,
            source=self.source.cite(),
        )

    def evaluate(self, context: RuleContext) -> list[Finding]:
        """Every finding of this rule on the transfer; the evaluator calls it only when the rule judges it."""
        raise NotImplementedError
