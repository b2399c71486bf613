"""The evaluator runs every check and lists every failure; the catalogue names each check once."""

from datetime import date

from compliance_rules import CHECKS, TransferProposal, evaluate
from compliance_rules.facts import Authorisation, AuthorisedUse, Location, Reservation
from compliance_rules.proposal import Purpose
from domain.holdings import Holding
from domain.transfers import AccountRef
from domain.units import UnitStatus
from tests.unit.dc_fake_facts import AT, HK_ACCOUNT, VERRA_ACCOUNT, InMemoryFacts, proposal, vcs


def test_the_catalogue_lists_every_check_with_one_sentence():
    assert [c.code for c in CHECKS] == ["DC-USE", "DC-ISSUE", "DC-GREEN-POWER", "DC-CLAIM", "DC-STATUS"]
    for check in CHECKS:
        assert check.meaning.endswith(".") and check.meaning.count(". ") == 0


def test_a_clean_transfer_is_allowed():
    decision = evaluate(proposal(vcs(1, 100)), InMemoryFacts())
    assert decision.allowed
    assert decision.findings == []


def test_a_transfer_failing_several_checks_lists_every_failure():
    facts = InMemoryFacts(
        reservations=[Reservation(transfer_id="T1", block=vcs(1, 10), source=VERRA_ACCOUNT, reserved_at=AT)],
        locations=[Location(block=vcs(90, 120), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT)],
        authorisations=[
            Authorisation(
                authorisation_id="CN-MC-1",
                host_party="CN",
                authorised_use=AuthorisedUse.MITIGATION_CONTRIBUTION,
                cooperative_approach_id="CN-SG-01",
                authorised_on=date(2024, 1, 1),
                block=vcs(1, 100),
            )
        ],
    )
    retired = Holding(
        registry_id="verra",
        account_id="holder-1",
        block=vcs(50, 60),
        status=UnitStatus.RETIRED,
        registry_status="Retired",
    )
    to_singapore = proposal(
        vcs(1, 100),
        destination=AccountRef(registry_id="sg-national", account_id="sg-1"),
        destination_jurisdiction="SG",
        purpose=Purpose.NDC,
        holdings=(retired,),
    )
    decision = evaluate(to_singapore, facts)
    assert not decision.allowed
    assert [f.code for f in decision.findings] == ["DC-USE", "DC-USE", "DC-CLAIM", "DC-CLAIM", "DC-STATUS"]
    messages = [r.message for r in decision.reasons()]
    assert "serials VCS 1-10 are reserved by transfer T1" in messages[0]
    assert "serials VCS 90-100 live in registry hk-core-climate" in messages[1]
    assert "serials VCS 50-60 are retired" in messages[4]


def test_checks_can_be_chosen():
    facts = InMemoryFacts(
        reservations=[Reservation(transfer_id="T1", block=vcs(1, 10), source=VERRA_ACCOUNT, reserved_at=AT)]
    )
    assert evaluate(proposal(vcs(1, 10)), facts, checks=()).allowed


def test_crossing_a_border_is_read_from_the_jurisdictions_country_part():
    within_china = TransferProposal.model_validate(
        proposal(vcs(1, 2)).model_dump() | {"source_jurisdiction": "CN-GD", "destination_jurisdiction": "CN"}
    )
    assert not within_china.crosses_border
    assert proposal(vcs(1, 2), source_jurisdiction="CN-GD", destination_jurisdiction="HK").crosses_border
    assert proposal(vcs(1, 2), source_jurisdiction="XX", destination_jurisdiction="CN").crosses_border
