"""eligible_units, vintage_window, host_countries and gwp_set_required, each at its edges."""

import pytest

from compliance_rules import evaluate, load_rulebook
from compliance_rules.proposal import Purpose
from compliance_rules.rule_kinds.vintage_window import vintage_year
from domain.gases import Gas, GwpSet
from domain.serials import SerialBlock
from tests.unit.dc_fake_facts import gs, vcs
from tests.unit.rule_fake_facts import PUHUI_OWNER, book, ccer_units, offset, puhui, rule, with_entities

FACTS = with_entities(emissions={("SZ-E1", 2025): 10_000_000})


def codes(decision):
    return [f.code for f in decision.findings]


def judged(rules, proposal, year=2025):
    return evaluate(proposal, FACTS, checks=(), rulebook=rules, compliance_year=year)


def typed(block: SerialBlock, project_type: str | None) -> SerialBlock:
    attributes = {**block.attributes}
    if project_type is not None:
        attributes["project_type"] = project_type
    return block.model_copy(update={"attributes": attributes})


ELIGIBLE = {"programmes": ["CCER", "SZ-PUHUI"], "excluded_project_types": ["hydropower"]}


def test_only_eligible_programmes_come_in():
    rules = book(rule("eligible_units", {**ELIGIBLE, "unknown_project_type": "allow"}))
    assert judged(rules, offset(ccer_units(10))).allowed
    [finding] = judged(rules, offset(vcs(1, 10))).findings
    assert (
        finding.message == "VCS units are not eligible in cn-sz-ets: eligible programmes are CCER, SZ-PUHUI"
    )


def test_eligible_unit_types_are_judged_apart_from_programmes():
    rules = book(rule("eligible_units", {"unit_types": ["CCER"]}))
    assert judged(rules, offset(ccer_units(10))).allowed
    [finding] = judged(rules, offset(puhui(1, 10), source=PUHUI_OWNER)).findings
    assert finding.message == "SZ-PHCER units are not eligible in cn-sz-ets: eligible unit types are CCER"


def test_an_excluded_project_type_is_refused_whatever_its_case():
    rules = book(rule("eligible_units", {**ELIGIBLE, "unknown_project_type": "allow"}))
    [finding] = judged(rules, offset(typed(ccer_units(10), "Hydropower"))).findings
    assert (
        "come from a Hydropower project, and hydropower projects are excluded in cn-sz-ets" in finding.message
    )
    assert judged(rules, offset(typed(ccer_units(10), "wind"))).allowed


@pytest.mark.parametrize(("unknown", "allowed"), [("allow", True), ("refuse", False)])
def test_an_unknown_project_type_means_what_the_pack_says(unknown, allowed):
    rules = book(rule("eligible_units", {**ELIGIBLE, "unknown_project_type": unknown}))
    decision = judged(rules, offset(ccer_units(10)))
    assert decision.allowed is allowed
    if not allowed:
        assert (
            "carry no project type, and units of unknown project type are refused"
            in decision.findings[0].message
        )


def test_a_rule_limited_to_offsets_does_not_judge_other_purposes():
    rules = book(rule("eligible_units", {"programmes": ["CCER"]}, purposes=["offset"]))
    assert not judged(rules, offset(vcs(1, 10))).allowed
    assert judged(rules, offset(vcs(1, 10), purpose=Purpose.VOLUNTARY)).allowed


@pytest.mark.parametrize(
    ("vintage", "year"),
    [("2024", 2024), ("01012019-31122019", 2019), ("01112019-31102020", 2020), ("CP2", None), ("24", None)],
)
def test_the_vintage_year_is_the_year_the_vintage_ends_in(vintage, year):
    assert vintage_year(vintage) == year


@pytest.mark.parametrize(
    ("params", "vintage", "allowed"),
    [
        ({"earliest": 2021}, "2021", True),
        ({"earliest": 2021}, "2020", False),
        ({"latest": 2024}, "2024", True),
        ({"latest": 2024}, "2025", False),
        ({"max_age_years": 3}, "2022", True),  # 2025 - 2022 = 3
        ({"max_age_years": 3}, "2021", False),
    ],
)
def test_the_vintage_window_at_its_edges(params, vintage, allowed):
    rules = book(rule("vintage_window", params))
    assert judged(rules, offset(ccer_units(10, vintage=vintage))).allowed is allowed


def test_a_verra_vintage_is_judged_by_the_year_its_period_ends():
    rules = book(rule("vintage_window", {"earliest": 2020}))
    [finding] = judged(rules, offset(vcs(1, 10))).findings  # 01012019-31122019
    assert finding.message == "vintage 2019 of serials VCS 1-10 is before the earliest eligible vintage 2020"


def test_the_age_names_the_compliance_year_and_a_vintage_without_a_year_is_refused():
    rules = book(rule("vintage_window", {"max_age_years": 2}))
    [old] = judged(rules, offset(ccer_units(10, vintage="2020")), year=2023).findings
    assert "is 3 years before compliance year 2023, older than 2 years" in old.message
    cp2 = ccer_units(10).model_copy(update={"vintage": "CP2"})
    [no_year] = judged(rules, offset(cp2)).findings
    assert "the vintage 'CP2' of serials" in no_year.message and "names no year to judge" in no_year.message


def test_host_countries_allowed_and_excluded():
    allowed = book(rule("host_countries", {"allowed": ["CN", "KE"]}))
    assert judged(allowed, offset(ccer_units(10))).allowed
    assert judged(allowed, offset(gs(1, 1, 10))).allowed  # hosted in KE
    [finding] = judged(allowed, offset(vcs(1, 10, country="US"))).findings
    assert finding.message == "serials VCS 1-10 are hosted in US; cn-sz-ets accepts units hosted in CN, KE"
    excluded = book(rule("host_countries", {"excluded": ["US"]}))
    assert judged(excluded, offset(vcs(1, 10, country="PE"))).allowed
    assert (
        "hosted in US, which cn-sz-ets excludes"
        in judged(excluded, offset(vcs(1, 10, country="US"))).findings[0].message
    )


def methane(gwp_set: GwpSet) -> SerialBlock:
    return ccer_units(10).model_copy(update={"gas": Gas.CH4, "gwp_set": gwp_set})


def test_non_co2_units_must_carry_the_named_gwp_set():
    rules = book(rule("gwp_set_required", {"gwp_set": "AR5"}))
    assert judged(rules, offset(ccer_units(10))).allowed  # CO2 needs no set
    assert judged(rules, offset(methane(GwpSet.AR5))).allowed
    [finding] = judged(rules, offset(methane(GwpSet.AR6))).findings
    assert (
        finding.message
        == "serials CCER:123:2019:1 1-10 are CH4 units converted with AR6; cn-sz-ets requires AR5"
    )


def test_a_gwp_rule_for_named_gases_leaves_the_others_alone():
    rules = book(rule("gwp_set_required", {"gwp_set": "AR5", "gases": ["N2O"]}))
    assert judged(rules, offset(methane(GwpSet.AR6))).allowed


def test_the_shipped_shenzhen_pack_refuses_hydropower_and_verra_units_for_offset():
    shipped = load_rulebook()
    decision = judged(shipped, offset(typed(vcs(1, 10), "hydropower")))
    assert codes(decision) == ["RULE-SZ-ELIGIBLE", "RULE-SZ-ELIGIBLE"]
    assert judged(shipped, offset(methane(GwpSet.AR5))).allowed
    assert codes(judged(shipped, offset(methane(GwpSet.AR6)))) == ["RULE-SZ-GWP"]
