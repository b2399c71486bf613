"""offset_cap and origin_share at their boundaries: exactly at the cap passes, one unit over is refused."""

from compliance_rules import Rulebook, evaluate, load_rulebook
from compliance_rules.proposal import Purpose
from tests.unit.rule_fake_facts import (
    CN_EMITTER,
    GD_EMITTER,
    GD_ENTITY,
    GD_PUHUI_OWNER,
    PUHUI_OWNER,
    ccer_units,
    offset,
    phcer,
    puhui,
    use,
    with_entities,
)

BOOK: Rulebook = load_rulebook()


def codes(decision):
    return [f.code for f in decision.findings]


def test_ccer_exactly_at_the_shenzhen_ccer_cap_passes_and_one_more_unit_is_refused():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000}, uses=[use(4_000)])
    assert evaluate(offset(ccer_units(1_000)), facts, rulebook=BOOK, compliance_year=2025).allowed
    over = evaluate(offset(ccer_units(1_001)), facts, rulebook=BOOK, compliance_year=2025)
    assert codes(over) == ["RULE-SZ-OFFSET-CCER"]
    assert over.findings[0].message == (
        "1001 CCER units for offset would bring Shenzhen Metro (SZ-E1)'s offsets of CCER in 2025 to 5001 "
        "tCO2e, above the cap of 5000 (5 % of 100000 tCO2e verified emissions in 2025); "
        "4000 already reserved or used"
    )


def test_the_total_cap_counts_every_programme_and_carbon_inclusive_units_may_fill_it():
    facts = with_entities(
        emissions={("SZ-E1", 2025): 100_000},
        uses=[use(5_000, programme="CCER"), use(3_000, programme="SZ-PUHUI", origin="CN-GD")],
    )
    at_total = offset(puhui(1, 2_000), source=PUHUI_OWNER)
    assert evaluate(at_total, facts, rulebook=BOOK, compliance_year=2025).allowed
    over_total = offset(puhui(1, 2_001), source=PUHUI_OWNER)
    decision = evaluate(over_total, facts, rulebook=BOOK, compliance_year=2025)
    assert codes(decision) == ["RULE-SZ-OFFSET-TOTAL"]  # the PUHUI cap (10 %) counts only 5001
    assert "Shenzhen Metro (SZ-E1)'s offsets in 2025 to 10001 tCO2e, above the cap of 10000" in (
        decision.findings[0].message
    )


def test_caps_round_down_to_whole_units():
    facts = with_entities(emissions={("SZ-E1", 2025): 19_999})  # 5 % = 999.95
    assert evaluate(offset(ccer_units(999)), facts, rulebook=BOOK, compliance_year=2025).allowed
    assert not evaluate(offset(ccer_units(1_000)), facts, rulebook=BOOK, compliance_year=2025).allowed


def test_uses_of_other_years_entities_and_this_transfer_itself_do_not_count():
    facts = with_entities(
        emissions={("SZ-E1", 2025): 100_000},
        uses=[
            use(4_000, year=2024),
            use(4_000, entity=GD_ENTITY),
            use(4_000, transfer_id="T-NEW"),  # our own reservation, on a retried check
        ],
    )
    assert evaluate(offset(ccer_units(5_000)), facts, rulebook=BOOK, compliance_year=2025).allowed


def test_an_account_of_no_covered_entity_cannot_take_units_for_offset():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000})
    facts.entities.clear()
    decision = evaluate(offset(ccer_units(10)), facts, rulebook=BOOK, compliance_year=2025)
    assert codes(decision) == ["RULE-SZ-OFFSET-TOTAL", "RULE-SZ-OFFSET-CCER"]
    assert decision.findings[0].message == (
        "registry cn-sz-ets account sz-emitter belongs to no covered entity, "
        "so units cannot be used for offset there"
    )
    assert decision.offset_claim is None


def test_without_verified_emissions_the_cap_cannot_be_computed_and_the_transfer_is_refused():
    decision = evaluate(offset(ccer_units(10)), with_entities(), rulebook=BOOK, compliance_year=2025)
    assert codes(decision) == ["RULE-SZ-OFFSET-TOTAL", "RULE-SZ-OFFSET-CCER"]
    assert (
        "no verified emissions of Shenzhen Metro (SZ-E1) are recorded for 2025"
        in decision.findings[0].message
    )
    assert decision.offset_claim is not None and decision.offset_claim.limits == []


def test_a_transfer_not_for_offset_is_not_capped():
    facts = with_entities()  # no emissions at all: an offset would be refused
    voluntary = offset(ccer_units(50_000), purpose=Purpose.VOLUNTARY)
    decision = evaluate(voluntary, facts, rulebook=BOOK, compliance_year=2025)
    assert decision.allowed and decision.offset_claim is None


def test_national_ets_caps_ccer_at_5_percent_of_the_same_years_emissions():
    facts = with_entities(emissions={("CN-E1", 2024): 1_000_000, ("CN-E1", 2023): 10})
    assert evaluate(
        offset(ccer_units(50_000), destination=CN_EMITTER), facts, rulebook=BOOK, compliance_year=2024
    ).allowed
    over = evaluate(
        offset(ccer_units(50_001), destination=CN_EMITTER), facts, rulebook=BOOK, compliance_year=2024
    )
    assert codes(over) == ["RULE-CN-ETS-OFFSET-CCER"]


def test_guangdong_caps_at_10_percent_of_the_previous_years_emissions():
    facts = with_entities(emissions={("GD-E1", 2024): 100_000, ("GD-E1", 2025): 1})
    inside = offset(phcer(1, 10_000), source=GD_PUHUI_OWNER, destination=GD_EMITTER)
    assert evaluate(inside, facts, rulebook=BOOK, compliance_year=2025).allowed
    over = offset(phcer(1, 10_001), source=GD_PUHUI_OWNER, destination=GD_EMITTER)
    decision = evaluate(over, facts, rulebook=BOOK, compliance_year=2025)
    assert codes(decision) == ["RULE-GD-OFFSET-TOTAL"]
    assert "10 % of 100000 tCO2e verified emissions in 2024" in decision.findings[0].message


def test_guangdong_units_from_outside_the_province_stay_within_3_percent():
    facts = with_entities(
        emissions={("GD-E1", 2024): 100_000},
        uses=[
            use(1_000, entity=GD_ENTITY, origin="CN"),
            use(5_000, entity=GD_ENTITY, programme="PHCER", origin="CN-GD"),  # inside: not counted
        ],
    )
    at_cap = offset(ccer_units(2_000), destination=GD_EMITTER)  # from cn-ccer: jurisdiction CN, outside CN-GD
    assert evaluate(at_cap, facts, rulebook=BOOK, compliance_year=2025).allowed
    decision = evaluate(
        offset(ccer_units(2_001), destination=GD_EMITTER), facts, rulebook=BOOK, compliance_year=2025
    )
    assert codes(decision) == ["RULE-GD-OFFSET-ORIGIN"]
    assert decision.findings[0].message == (
        "2001 CCER units from outside CN-GD (source registry cn-ccer in CN) would bring Guangzhou Cement "
        "(GD-E1)'s offsets from outside CN-GD in 2025 to 3001 tCO2e, above 3000 (3 % of 100000 tCO2e "
        "verified emissions in 2024); 1000 already reserved or used"
    )


def test_units_from_inside_the_origin_are_not_judged_by_the_origin_share():
    facts = with_entities(
        emissions={("GD-E1", 2024): 100_000}, uses=[use(3_000, entity=GD_ENTITY, origin="CN")]
    )
    inside = offset(phcer(1, 7_000), source=GD_PUHUI_OWNER, destination=GD_EMITTER)
    assert evaluate(inside, facts, rulebook=BOOK, compliance_year=2025).allowed
    assert not evaluate(
        offset(phcer(1, 7_001), source=GD_PUHUI_OWNER, destination=GD_EMITTER),
        facts,
        rulebook=BOOK,
        compliance_year=2025,
    ).allowed  # the total cap still counts them


def test_an_offset_into_the_shenzhen_ets_is_capped_where_it_used_to_pass_with_no_limit():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000})
    assert evaluate(offset(ccer_units(1_000_000)), facts).allowed  # double counting alone: no cap
    assert not evaluate(offset(ccer_units(1_000_000)), facts, rulebook=BOOK, compliance_year=2025).allowed
