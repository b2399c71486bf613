"""carbon-performance/1: the documented worked example, each component at its edges, and the grade bands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.carbon_rating import FORMULA_VERSION, RatingFacts, grade_of, rate

DOC = Path(__file__).parents[2] / "docs" / "finance.md"


def component(facts: RatingFacts, name: str) -> str:
    found = dict(line.split("=", 1) for line in rate(facts).components)
    return found[name]


def test_the_worked_example_of_docs_finance_md_is_what_the_formula_computes():
    section = DOC.read_text().split(f"## Carbon-performance rating ({FORMULA_VERSION})", 1)[1]
    example = section.split("### Worked example", 1)[1]
    documented = re.search(r"```text\n(.*?)```", example, re.S)
    assert documented is not None
    rating = rate(
        RatingFacts(verified_emissions={2025: 1000, 2026: 900}, offsets_used={2026: 50}, pledged_t=180)
    )
    assert list(rating.components) == documented.group(1).splitlines()
    assert (rating.formula_version, rating.score, rating.grade) == ("carbon-performance/1", 72, "B")
    assert "rounded 72: grade B" in example


def test_an_entity_without_verified_emissions_is_rated_zero():
    rating = rate(RatingFacts(offsets_used={2026: 10}, pledged_t=5))
    assert (rating.score, rating.grade) == (0, "E")
    assert "latest_year=none" in rating.components


def test_one_reported_year_gets_half_the_trend_points():
    facts = RatingFacts(verified_emissions={2025: 1000})
    assert (rate(facts).score, component(facts, "trend_points")) == (80, "20.00")


@pytest.mark.parametrize(
    ("latest", "points"),
    [(800, "40.00"), (500, "40.00"), (900, "30.00"), (1000, "20.00"), (1200, "0.00"), (5000, "0.00")],
)
def test_trend_points_run_from_a_20_percent_fall_to_a_20_percent_rise(latest, points):
    assert component(RatingFacts(verified_emissions={2025: 1000, 2026: latest}), "trend_points") == points


def test_a_rise_from_zero_earns_no_trend_points():
    facts = RatingFacts(verified_emissions={2025: 0, 2026: 10})
    assert component(facts, "emissions_change") == "1.0000"
    assert component(facts, "trend_points") == "0.00"


def test_offsets_at_the_reference_share_and_pledges_as_large_as_the_emissions_earn_nothing():
    facts = RatingFacts(verified_emissions={2026: 1000}, offsets_used={2026: 100, 2025: 999}, pledged_t=1000)
    assert component(facts, "offset_points") == "0.00"
    assert component(facts, "encumbrance_points") == "0.00"
    assert component(facts, "offsets_used_t") == "100", "only the latest year's offsets count"
    half = RatingFacts(verified_emissions={2026: 1000}, offsets_used={2026: 50}, pledged_t=500)
    assert (component(half, "offset_points"), component(half, "encumbrance_points")) == ("12.50", "10.00")


def test_a_gap_in_reporting_lowers_the_reporting_points():
    facts = RatingFacts(verified_emissions={2022: 1000, 2025: 1000, 2026: 1000})
    assert component(facts, "reporting_continuity") == "0.6000"
    assert component(facts, "reporting_points") == "9.00"
    assert component(facts, "previous_year") == "2025", "the trend compares with the latest earlier report"


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A"),
        (80, "A"),
        (79, "B"),
        (65, "B"),
        (64, "C"),
        (50, "C"),
        (49, "D"),
        (35, "D"),
        (34, "E"),
        (0, "E"),
    ],
)
def test_grade_bands(score, grade):
    assert grade_of(score) == grade
