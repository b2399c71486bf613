"""Date periods: monitoring periods, generation periods, crosswalk windows.

Double issuance and green-power double counting are both questions of whether
two periods share days, and how many; one inclusive, day-granular type answers
both so the arithmetic is the same everywhere.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator

from domain.errors import InvalidInput


class Period(BaseModel):
    """Days `start..end`, both inclusive (a monitoring report's "01/01/2019 to 31/12/2019")."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise InvalidInput(f"period end {self.end} is before start {self.start}", field="period")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def overlap(self, other: Period) -> Period | None:
        """The days both periods share, or None."""
        if not self.overlaps(other):
            return None
        return Period(start=max(self.start, other.start), end=min(self.end, other.end))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"
