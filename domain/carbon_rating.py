"""The carbon-performance rating banks read beside an entity's compliance record (docs/finance.md).

Formula `carbon-performance/1`: four components, each a measure turned into points
out of its weight, summed into a 0-100 score that is banded into a grade A-E. It
reads only facts the gateway's ledger holds (verified emissions, offsets used,
units pledged to lenders), so the ledger recomputes it in the transaction that
changes them and anyone holding the same facts gets the same figures. Arithmetic
is in exact decimals, so the worked example in docs/finance.md comes out exactly.
A change to any constant here is a new formula version, documented beside the old.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

FORMULA_VERSION = "carbon-performance/1"

TREND_WEIGHT = 40
OFFSET_WEIGHT = 25
ENCUMBRANCE_WEIGHT = 20
REPORTING_WEIGHT = 15
# A fall of this share in verified emissions year on year earns every trend point; a rise of it, none.
TREND_SWING = Decimal("0.20")
# Offsets meeting this share of the latest year's emissions earn no offset points: the largest offset
# cap the shipped rule packs allow, fixed here so grades compare across markets.
OFFSET_REFERENCE = Decimal("0.10")
# The lowest score of each grade, best first.
GRADE_BANDS: tuple[tuple[int, str], ...] = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (0, "E"))

_ZERO, _ONE, _HALF = Decimal(0), Decimal(1), Decimal("0.5")
_POINTS, _MEASURE = Decimal("0.01"), Decimal("0.0001")


class RatingFacts(BaseModel):
    """What the formula reads of one entity."""

    model_config = ConfigDict(frozen=True)

    verified_emissions: dict[int, int] = Field(default_factory=dict)  # year -> tCO2e
    offsets_used: dict[int, int] = Field(default_factory=dict)  # year -> tCO2e, settled offset transfers
    pledged_t: int = Field(default=0, ge=0)  # units of the entity's accounts under unended pledges


class Rating(BaseModel):
    """A computed rating: the inputs and each component as `name=value` lines, in the documented order."""

    model_config = ConfigDict(frozen=True)

    formula_version: str
    score: int = Field(ge=0, le=100)
    grade: str
    components: tuple[str, ...]
    computed_at: datetime | None = None

    def same_standing(self, other: Rating) -> bool:
        """Same formula, score and grade: what a bank is told about when it changes."""
        return (self.formula_version, self.score, self.grade) == (
            other.formula_version,
            other.score,
            other.grade,
        )


def grade_of(score: int) -> str:
    return next(grade for lowest, grade in GRADE_BANDS if score >= lowest)


def _clamp(value: Decimal) -> Decimal:
    return min(max(value, _ZERO), _ONE)


def _share(part: int, whole: int) -> Decimal:
    """part / whole; anything of nothing counts as the whole (a share of 1)."""
    if whole == 0:
        return _ZERO if part == 0 else _ONE
    return Decimal(part) / Decimal(whole)


def _text(value: Decimal | int | None, places: Decimal = _MEASURE) -> str:
    if value is None:
        return "none"
    if isinstance(value, int):
        return str(value)
    return str(value.quantize(places, ROUND_HALF_UP))


def rate(facts: RatingFacts) -> Rating:
    """The entity's rating under carbon-performance/1 (an entity with no verified emissions scores 0, E)."""
    years = sorted(facts.verified_emissions)
    latest = years[-1] if years else None
    previous = years[-2] if len(years) > 1 else None
    emitted = facts.verified_emissions.get(latest, 0) if latest is not None else 0
    before = facts.verified_emissions[previous] if previous is not None else None
    offsets = facts.offsets_used.get(latest, 0) if latest is not None else 0
    spanned = latest - years[0] + 1 if latest is not None else 0

    change = None if before is None else _share(emitted - before, before)  # a rise from 0 counts as +100 %
    offset_share = _share(offsets, emitted)
    encumbrance = _share(facts.pledged_t, emitted)
    continuity = Decimal(len(years)) / Decimal(spanned) if spanned else _ZERO

    if latest is None:
        trend = offset = encumbered = reporting = _ZERO
    else:
        trend = TREND_WEIGHT * (_HALF if change is None else _clamp(_HALF - change / (2 * TREND_SWING)))
        offset = OFFSET_WEIGHT * _clamp(_ONE - offset_share / OFFSET_REFERENCE)
        encumbered = ENCUMBRANCE_WEIGHT * _clamp(_ONE - encumbrance)
        reporting = REPORTING_WEIGHT * continuity
    score = int((trend + offset + encumbered + reporting).quantize(_ONE, ROUND_HALF_UP))
    lines = (
        f"latest_year={_text(latest)}",
        f"verified_emissions_t={emitted}",
        f"previous_year={_text(previous)}",
        f"previous_emissions_t={_text(before)}",
        f"offsets_used_t={offsets}",
        f"pledged_t={facts.pledged_t}",
        f"reported_years={len(years)}",
        f"spanned_years={spanned}",
        f"emissions_change={_text(change)}",
        f"trend_points={_text(trend, _POINTS)}",
        f"offset_share={_text(offset_share)}",
        f"offset_points={_text(offset, _POINTS)}",
        f"encumbrance={_text(encumbrance)}",
        f"encumbrance_points={_text(encumbered, _POINTS)}",
        f"reporting_continuity={_text(continuity)}",
        f"reporting_points={_text(reporting, _POINTS)}",
    )
    return Rating(formula_version=FORMULA_VERSION, score=score, grade=grade_of(score), components=lines)
