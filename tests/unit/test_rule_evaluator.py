"""One evaluation: double-counting and rule findings in one Decision, the judgement, and the offset claim."""

from datetime import UTC, datetime

import pytest

from compliance_rules import OffsetClaim, OffsetLimit, Rulebook, evaluate, load_rulebook
from compliance_rules.facts import Reservation
from compliance_rules.proposal import Purpose
from tests.unit.dc_fake_facts import InMemoryFacts, ccer
from tests.unit.rule_fake_facts import (
    CCER_OWNER,
    GD_EMITTER,
    GD_PUHUI_OWNER,
    SZ_EMITTER,
    ccer_units,
    offset,
    phcer,
    use,
    with_entities,
)

BOOK: Rulebook = load_rulebook()
AT = datetime(2025, 3, 1, tzinfo=UTC)


def test_double_counting_and_rule_findings_come_out_in_one_decision():
    facts = with_entities(
        emissions={("SZ-E1", 2025): 1_000},
        reservations=[Reservation(transfer_id="T1", block=ccer(1, 10), source=CCER_OWNER, reserved_at=AT)],
    )
    decision = evaluate(offset(ccer_units(101)), facts, rulebook=BOOK, compliance_year=2025)
    assert [f.code for f in decision.findings] == ["DC-USE", "RULE-SZ-OFFSET-TOTAL", "RULE-SZ-OFFSET-CCER"]
    assert not decision.allowed
    assert [r.code for r in decision.reasons()] == [f.code for f in decision.findings]


def test_a_rule_finding_carries_its_rules_meaning_and_source_and_the_rulebook_finds_the_rule():
    facts = with_entities(emissions={("SZ-E1", 2025): 1_000})
    decision = evaluate(offset(ccer_units(101)), facts, rulebook=BOOK, compliance_year=2025)
    finding = decision.findings[0]
    assert finding.code == "RULE-SZ-OFFSET-TOTAL"
    rule = BOOK.rule(finding.code)
    assert rule is not None and finding.meaning == rule.meaning
    assert finding.source is not None
    assert finding.source.startswith("Shenzhen Measures for the Administration of Carbon Emission Trading")
    assert "(not confirmed: The cap in force under order No. 343 could not be confirmed" in finding.source
    pack = BOOK.pack_of(finding.code)
    assert pack is not None and pack.stamp == "cn-sz-ets@1.0.0"
    assert BOOK.rule("RULE-NO-SUCH") is None


def test_without_a_rulebook_the_decision_is_the_double_counting_one():
    decision = evaluate(offset(ccer_units(10_000_000)), InMemoryFacts())
    assert decision.allowed
    assert decision.judgement is None and decision.offset_claim is None


def test_the_judgement_records_the_year_the_packs_and_the_rules_in_force():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000})
    judgement = evaluate(offset(ccer_units(10)), facts, rulebook=BOOK, compliance_year=2025).judgement
    assert judgement is not None
    assert judgement.compliance_year == 2025
    assert judgement.packs == ["cn-sz-ets@1.0.0"]
    assert judgement.rule_ids == [
        "RULE-SZ-OFFSET-TOTAL",
        "RULE-SZ-OFFSET-CCER",
        "RULE-SZ-OFFSET-PUHUI",
        "RULE-SZ-ELIGIBLE",
        "RULE-SZ-GWP",
    ]


def test_the_proposals_own_compliance_year_wins_over_the_callers():
    facts = with_entities(emissions={("SZ-E1", 2024): 100_000})
    decision = evaluate(
        offset(ccer_units(10), compliance_year=2024), facts, rulebook=BOOK, compliance_year=2026
    )
    assert decision.allowed
    assert decision.judgement is not None and decision.judgement.compliance_year == 2024


def test_a_rulebook_needs_a_compliance_year_and_rule_facts():
    with pytest.raises(ValueError, match="needs a compliance year"):
        evaluate(offset(ccer_units(10)), with_entities(), rulebook=BOOK)
    with pytest.raises(TypeError, match="InMemoryFacts does not"):
        evaluate(offset(ccer_units(10)), InMemoryFacts(), rulebook=BOOK, compliance_year=2025)  # type: ignore[call-overload]


def test_the_offset_claim_lists_every_limit_the_transfer_counts_towards():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000})
    claim = evaluate(offset(ccer_units(300)), facts, rulebook=BOOK, compliance_year=2025).offset_claim
    assert claim == OffsetClaim(
        entity_id="SZ-E1",
        year=2025,
        transfer_id="T-NEW",
        programme="CCER",
        origin="CN",
        quantity=300,
        limits=[
            OffsetLimit(rule_id="RULE-SZ-OFFSET-TOTAL", programmes=[], max_units=10_000),
            OffsetLimit(rule_id="RULE-SZ-OFFSET-CCER", programmes=["CCER"], max_units=5_000),
        ],
    )


def test_guangdong_claims_carry_the_origin_limit_only_for_units_from_outside():
    facts = with_entities(emissions={("GD-E1", 2024): 123_456})
    outside = evaluate(
        offset(ccer_units(10), destination=GD_EMITTER), facts, rulebook=BOOK, compliance_year=2025
    )
    assert outside.offset_claim is not None
    assert outside.offset_claim.limits == [
        OffsetLimit(rule_id="RULE-GD-OFFSET-TOTAL", programmes=[], max_units=12_345),
        OffsetLimit(rule_id="RULE-GD-OFFSET-ORIGIN", programmes=[], outside_origin="CN-GD", max_units=3_703),
    ]
    inside = evaluate(
        offset(phcer(1, 10), source=GD_PUHUI_OWNER, destination=GD_EMITTER),
        facts,
        rulebook=BOOK,
        compliance_year=2025,
    )
    assert inside.offset_claim is not None
    assert inside.offset_claim.origin == "CN-GD"
    assert [limit.rule_id for limit in inside.offset_claim.limits] == ["RULE-GD-OFFSET-TOTAL"]


def test_two_transfers_that_each_fit_do_not_both_fit_when_the_ledger_rechecks_the_claims():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000}, uses=[use(3_000)])
    first = evaluate(offset(ccer_units(1_500), transfer_id="T-A"), facts, rulebook=BOOK, compliance_year=2025)
    second = evaluate(
        offset(ccer_units(1_500), transfer_id="T-B"), facts, rulebook=BOOK, compliance_year=2025
    )
    assert first.allowed and second.allowed  # judged concurrently, each alone fits the 5,000 CCER cap
    assert first.offset_claim is not None and second.offset_claim is not None
    recorded = [*facts.uses, first.offset_claim.as_use()]  # the ledger reserves the first claim ...
    assert first.offset_claim.exceeded(facts.uses) == []
    [broken] = second.offset_claim.exceeded(recorded)  # ... and its re-check refuses the second
    assert broken.rule_id == "RULE-SZ-OFFSET-CCER"
    assert second.offset_claim.exceeded([*recorded, second.offset_claim.as_use()]) == [broken]  # retry-safe


def test_an_offset_limit_counts_uses_by_programme_and_origin():
    ccer_outside_gd = OffsetLimit(rule_id="RULE-X", programmes=["CCER"], outside_origin="CN-GD", max_units=1)
    assert ccer_outside_gd.counts("CCER", "CN")
    assert ccer_outside_gd.counts("CCER", "XX")
    assert not ccer_outside_gd.counts("CCER", "CN-GD")
    assert not ccer_outside_gd.counts("PHCER", "CN")
    outside_china = OffsetLimit(rule_id="RULE-Y", outside_origin="CN", max_units=1)
    assert not outside_china.counts("VCS", "CN-GD")  # a subdivision is inside its country
    assert outside_china.counts("VCS", "HK")
    assert (
        ccer_outside_gd.used_by([use(5, origin="CN"), use(7, origin="CN-GD"), use(11, programme="VCS")]) == 5
    )


def test_an_offset_use_under_no_cap_still_yields_a_claim_for_the_ledger_to_record():
    facts = with_entities(emissions={("SZ-E1", 2025): 100_000})
    voluntary_pack_free = offset(ccer_units(10), compliance_year=2012)  # before any Shenzhen rule
    decision = evaluate(voluntary_pack_free, facts, rulebook=BOOK)
    assert decision.allowed
    assert decision.judgement is not None
    assert (decision.judgement.packs, decision.judgement.rule_ids) == ([], [])
    assert decision.offset_claim is not None and decision.offset_claim.limits == []
    assert decision.offset_claim.year == 2012


def test_other_purposes_into_the_ets_are_not_judged_by_the_offset_rules():
    facts = with_entities()
    allowance_like = offset(ccer_units(10), purpose=Purpose.UNSPECIFIED, destination=SZ_EMITTER)
    decision = evaluate(allowance_like, facts, rulebook=BOOK, compliance_year=2025)
    assert decision.allowed
    assert decision.judgement is not None and decision.judgement.rule_ids == ["RULE-SZ-GWP"]
