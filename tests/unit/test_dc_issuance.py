"""DC-ISSUE: a project registered in two programmes, issued for overlapping monitoring periods."""

from compliance_rules.double_issuance import DoubleIssuanceCheck
from compliance_rules.facts import CrosswalkEntry, IssuanceRecord
from tests.unit.dc_fake_facts import InMemoryFacts, ccer, period, proposal, vcs

CHECK = DoubleIssuanceCheck()
VCS_2019 = IssuanceRecord(
    issuance_id="9660",
    programme="VCS",
    project_id="1060",
    monitoring_period=period("2019-01-01", "2019-12-31"),
    block=vcs(115597313, 115618057),
)


def crosswalk(**period_bounds: str) -> CrosswalkEntry:
    window = period(period_bounds["start"], period_bounds["end"]) if period_bounds else None
    return CrosswalkEntry(
        programme_a="CCER",
        project_a="123",
        programme_b="VCS",
        project_b="1060",
        period=window,
        source_reference="MEE notice 2024-17",
        loaded_by="regulator-cn",
    )


def ccer_issuance(start: str, end: str) -> IssuanceRecord:
    return IssuanceRecord(
        issuance_id="CCER-ISS-4",
        programme="CCER",
        project_id="123",
        monitoring_period=period(start, end),
        block=ccer(1, 5000),
    )


def test_a_project_without_crosswalk_entries_passes():
    facts = InMemoryFacts(issuances=[VCS_2019, ccer_issuance("2019-06-01", "2020-05-31")])
    assert CHECK.evaluate(proposal(vcs(115597313, 115597400)), facts) == []


def test_overlapping_monitoring_periods_are_double_issuance_named_in_the_message():
    facts = InMemoryFacts(
        crosswalk=[crosswalk()], issuances=[VCS_2019, ccer_issuance("2019-06-01", "2020-05-31")]
    )
    [finding] = CHECK.evaluate(proposal(vcs(115597313, 115597400)), facts)
    assert finding.code == "DC-ISSUE"
    assert finding.message == (
        "serials VCS 115597313-115597400 were issued for monitoring period 2019-01-01..2019-12-31, "
        "which overlaps on 2019-06-01..2019-12-31 with CCER project 123 issuance CCER-ISS-4 "
        "(serials CCER:123:2019:1 1-5000); crosswalk from MEE notice 2024-17"
    )
    assert finding.collides_with is not None
    assert (finding.collides_with.programme, finding.collides_with.reference) == ("CCER", "CCER-ISS-4")


def test_the_crosswalk_works_from_either_side():
    facts = InMemoryFacts(
        crosswalk=[crosswalk()], issuances=[VCS_2019, ccer_issuance("2019-06-01", "2020-05-31")]
    )
    [finding] = CHECK.evaluate(proposal(ccer(10, 20)), facts)
    assert "VCS project 1060 issuance 9660" in finding.message


def test_consecutive_monitoring_periods_are_a_transition_not_a_double_issuance():
    facts = InMemoryFacts(
        crosswalk=[crosswalk()], issuances=[VCS_2019, ccer_issuance("2020-01-01", "2020-12-31")]
    )
    assert CHECK.evaluate(proposal(vcs(115597313, 115597400)), facts) == []


def test_the_crosswalk_period_limits_where_the_link_holds():
    outside = InMemoryFacts(
        crosswalk=[crosswalk(start="2021-01-01", end="2022-12-31")],
        issuances=[VCS_2019, ccer_issuance("2019-06-01", "2020-05-31")],
    )
    assert CHECK.evaluate(proposal(vcs(115597313, 115597400)), outside) == []
    inside = InMemoryFacts(
        crosswalk=[crosswalk(start="2019-11-01", end="2022-12-31")],
        issuances=[VCS_2019, ccer_issuance("2019-06-01", "2020-05-31")],
    )
    [finding] = CHECK.evaluate(proposal(vcs(115597313, 115597400)), inside)
    assert "overlaps on 2019-11-01..2019-12-31" in finding.message


def test_an_issuance_of_an_unlinked_project_does_not_collide():
    other = ccer_issuance("2019-06-01", "2020-05-31").model_copy(update={"project_id": "999"})
    facts = InMemoryFacts(crosswalk=[crosswalk()], issuances=[VCS_2019, other])
    assert CHECK.evaluate(proposal(vcs(115597313, 115597400)), facts) == []


def test_a_crosswalked_block_without_an_issuance_record_is_refused_not_waved_through():
    facts = InMemoryFacts(crosswalk=[crosswalk()], issuances=[ccer_issuance("2019-06-01", "2020-05-31")])
    [finding] = CHECK.evaluate(proposal(vcs(115597313, 115597400)), facts)
    assert "have no issuance record" in finding.message
    assert "CCER project 123" in finding.message
