"""The rule in force is the one whose dates cover any day of the compliance year."""

import pytest

from compliance_rules import evaluate, load_rulebook
from tests.unit.rule_fake_facts import book, ccer_units, offset, rule, with_entities

CAP = {"share": 0.10, "basis": "same_year"}


def in_force(year: int, **dates) -> bool:
    one = book(rule("offset_cap", CAP, **dates))
    return bool(one.packs[0].rules[0].in_force(year))


@pytest.mark.parametrize(
    ("dates", "year", "expected"),
    [
        ({"effective_from": "2025-01-01"}, 2024, False),  # the day before effective_from is in 2024
        ({"effective_from": "2025-01-01"}, 2025, True),
        ({"effective_from": "2024-12-31"}, 2024, True),  # in force on the last day of the year
        ({"effective_from": "2024-12-31"}, 2023, False),
        ({"effective_from": "2020-01-01", "effective_to": "2024-12-31"}, 2024, True),  # the year it ends in
        ({"effective_from": "2020-01-01", "effective_to": "2024-12-31"}, 2025, False),
        ({"effective_from": "2020-01-01", "effective_to": "2025-01-01"}, 2025, True),
        ({"effective_from": "2020-01-01"}, 2999, True),  # open end
    ],
)
def test_a_rule_is_in_force_in_a_year_its_dates_touch(dates, year, expected):
    assert in_force(year, **dates) is expected


def test_a_pack_that_changes_between_years_judges_each_year_by_its_own_figure():
    changing = book(
        rule("offset_cap", {**CAP, "share": 0.10}, rule_id="RULE-CAP-2024", effective_to="2024-12-31"),
        rule("offset_cap", {**CAP, "share": 0.05}, rule_id="RULE-CAP-2025", effective_from="2025-01-01"),
    )
    facts = with_entities(emissions={("SZ-E1", 2024): 100_000, ("SZ-E1", 2025): 100_000})
    in_2024 = evaluate(offset(ccer_units(6_000)), facts, rulebook=changing, compliance_year=2024)
    in_2025 = evaluate(offset(ccer_units(6_000)), facts, rulebook=changing, compliance_year=2025)
    assert in_2024.allowed
    assert [f.code for f in in_2025.findings] == ["RULE-CAP-2025"]
    assert "above the cap of 5000 (5 % of 100000" in in_2025.findings[0].message
    assert in_2024.judgement is not None and in_2024.judgement.rule_ids == ["RULE-CAP-2024"]
    assert in_2025.judgement is not None and in_2025.judgement.rule_ids == ["RULE-CAP-2025"]


def test_shenzhen_judges_pilot_years_by_the_pilot_rules_and_later_years_by_order_343():
    shipped = load_rulebook()
    facts = with_entities(emissions={("SZ-E1", 2021): 100_000, ("SZ-E1", 2023): 100_000})
    pilot = evaluate(offset(ccer_units(8_000)), facts, rulebook=shipped, compliance_year=2021)
    later = evaluate(offset(ccer_units(8_000)), facts, rulebook=shipped, compliance_year=2023)
    assert pilot.allowed  # 10 % CCER under the pilot
    assert [f.code for f in later.findings] == ["RULE-SZ-OFFSET-CCER"]  # 5 % CCER since order No. 343
    assert pilot.judgement is not None
    assert pilot.judgement.rule_ids == ["RULE-SZ-PILOT-OFFSET-CCER", "RULE-SZ-PILOT-ELIGIBLE", "RULE-SZ-GWP"]


def test_in_the_year_order_343_took_effect_both_eras_are_in_force_and_the_stricter_binds():
    shipped = load_rulebook()
    facts = with_entities(emissions={("SZ-E1", 2022): 100_000})
    decision = evaluate(offset(ccer_units(8_000)), facts, rulebook=shipped, compliance_year=2022)
    assert [f.code for f in decision.findings] == ["RULE-SZ-OFFSET-CCER"]
    assert decision.judgement is not None
    assert {"RULE-SZ-PILOT-OFFSET-CCER", "RULE-SZ-OFFSET-CCER"} <= set(decision.judgement.rule_ids)
