"""DC-CLAIM and the corresponding adjustment: Article 6 authorisation for uses abroad."""

from datetime import date

import pytest

from compliance_rules.claims import ClaimCheck, first_transfer_for
from compliance_rules.corresponding_adjustment import AdjustmentState, advance_adjustment
from compliance_rules.facts import Authorisation, AuthorisedUse, FirstTransfer
from compliance_rules.proposal import Purpose
from domain.errors import IllegalTransition, InvalidInput
from domain.transfers import AccountRef
from tests.unit.dc_fake_facts import AT, HK_ACCOUNT, InMemoryFacts, proposal, vcs

CHECK = ClaimCheck()
SG_ACCOUNT = AccountRef(registry_id="sg-national", account_id="sg-1")
CN_ACCOUNT = AccountRef(registry_id="cn-ccer", account_id="cn-1")


def authorisation(use: AuthorisedUse, start=100, end=199, *, host="CN", auth_id="CN-A6-1") -> Authorisation:
    return Authorisation(
        authorisation_id=auth_id,
        host_party=host,
        authorised_use=use,
        cooperative_approach_id="CN-SG-01",
        authorised_on=date(2024, 11, 1),
        block=vcs(start, end),
    )


def to_singapore(block, purpose=Purpose.NDC, **kwargs):
    return proposal(block, destination=SG_ACCOUNT, destination_jurisdiction="SG", purpose=purpose, **kwargs)


def test_authorised_units_may_go_to_another_partys_ndc():
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)])
    assert CHECK.evaluate(to_singapore(vcs(120, 180)), facts) == []


def test_unauthorised_part_of_a_block_is_refused_with_its_range():
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)])
    [finding] = CHECK.evaluate(to_singapore(vcs(150, 250)), facts)
    assert finding.code == "DC-CLAIM"
    assert finding.message == (
        "serials VCS 200-250 have no authorisation by host CN for NDC use and cannot go to SG"
    )


def test_authorisation_for_oimp_does_not_cover_ndc_use():
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.OIMP)])
    assert len(CHECK.evaluate(to_singapore(vcs(120, 180)), facts)) == 1
    assert CHECK.evaluate(to_singapore(vcs(120, 180), purpose=Purpose.OIMP), facts) == []


def test_another_partys_authorisation_does_not_count():
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC, host="SG")])
    [finding] = CHECK.evaluate(to_singapore(vcs(120, 180)), facts)
    assert "no authorisation by host CN" in finding.message


def test_mitigation_contribution_units_are_refused_for_another_partys_ndc():
    facts = InMemoryFacts(
        authorisations=[authorisation(AuthorisedUse.MITIGATION_CONTRIBUTION, auth_id="A64-MC-3")]
    )
    findings = CHECK.evaluate(to_singapore(vcs(120, 180)), facts)
    assert findings[0].message == (
        "serials VCS 120-180 are mitigation contribution units under authorisation A64-MC-3 of CN "
        "and cannot be used towards SG's NDC"
    )
    assert [f.code for f in findings] == ["DC-CLAIM", "DC-CLAIM"]  # and no NDC authorisation either


def test_voluntary_use_abroad_and_the_hosts_own_ndc_need_no_authorisation():
    assert CHECK.evaluate(to_singapore(vcs(120, 180), purpose=Purpose.VOLUNTARY), InMemoryFacts()) == []
    home = proposal(
        vcs(120, 180), destination=CN_ACCOUNT, destination_jurisdiction="CN-GD", purpose=Purpose.NDC
    )
    assert CHECK.evaluate(home, InMemoryFacts()) == []


def test_ndc_use_in_an_international_registry_must_name_the_acquiring_party():
    into_a64 = proposal(
        vcs(120, 180),
        destination=AccountRef(registry_id="a64", account_id="x"),
        destination_jurisdiction="XX",
        purpose=Purpose.NDC,
    )
    [finding] = CHECK.evaluate(into_a64, InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)]))
    assert "no acquiring Party is named" in finding.message
    named = into_a64.model_copy(update={"acquiring_party": "SG"})
    assert CHECK.evaluate(named, InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)])) == []


def test_a_project_vintage_authorisation_covers_every_block_of_it():
    by_project = Authorisation(
        authorisation_id="CN-A6-9",
        host_party="CN",
        authorised_use=AuthorisedUse.NDC,
        cooperative_approach_id="CN-SG-01",
        authorised_on=date(2024, 11, 1),
        programme="VCS",
        project_id="1060",
        vintage="01012019-31122019",
    )
    facts = InMemoryFacts(authorisations=[by_project])
    assert CHECK.evaluate(to_singapore(vcs(5000, 9000)), facts) == []
    assert len(CHECK.evaluate(to_singapore(vcs(5000, 9000, project="77")), facts)) == 1


def test_an_authorisation_names_one_scope():
    with pytest.raises(InvalidInput, match="either a serial block or a programme"):
        Authorisation(
            authorisation_id="X",
            host_party="CN",
            authorised_use=AuthorisedUse.NDC,
            cooperative_approach_id="C",
            authorised_on=date(2024, 1, 1),
        )


def test_the_first_transfer_out_of_the_host_is_recorded_with_no_adjustment_yet():
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)])
    first = first_transfer_for(to_singapore(vcs(120, 180)), facts, AT)
    assert first is not None
    assert (first.transfer_id, first.authorisation_id, first.host_party, first.acquiring_party) == (
        "T2",
        "CN-A6-1",
        "CN",
        "SG",
    )
    assert first.adjustment is AdjustmentState.NOT_STARTED


def test_later_transfers_and_unauthorised_units_make_no_first_transfer():
    recorded = FirstTransfer(
        transfer_id="T1",
        authorisation_id="CN-A6-1",
        block=vcs(100, 199),
        host_party="CN",
        acquiring_party="SG",
        transferred_at=AT,
    )
    facts = InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)], first_transfers=[recorded])
    assert first_transfer_for(to_singapore(vcs(120, 180)), facts, AT) is None
    assert first_transfer_for(to_singapore(vcs(120, 180)), InMemoryFacts(), AT) is None
    staying = proposal(vcs(120, 180), destination=CN_ACCOUNT, destination_jurisdiction="CN")
    assert (
        first_transfer_for(staying, InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)]), AT)
        is None
    )
    mirrored = proposal(vcs(120, 180), destination=HK_ACCOUNT, destination_jurisdiction="HK")
    assert first_transfer_for(mirrored, InMemoryFacts(authorisations=[authorisation(AuthorisedUse.NDC)]), AT)


def test_the_adjustment_moves_forward_one_step_at_a_time():
    assert advance_adjustment(AdjustmentState.NOT_STARTED, AdjustmentState.PENDING) is AdjustmentState.PENDING
    assert advance_adjustment(AdjustmentState.PENDING, AdjustmentState.APPLIED) is AdjustmentState.APPLIED
    assert advance_adjustment(AdjustmentState.APPLIED, AdjustmentState.APPLIED) is AdjustmentState.APPLIED


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (AdjustmentState.APPLIED, AdjustmentState.PENDING),
        (AdjustmentState.APPLIED, AdjustmentState.NOT_STARTED),
        (AdjustmentState.PENDING, AdjustmentState.NOT_STARTED),
        (AdjustmentState.NOT_STARTED, AdjustmentState.APPLIED),
    ],
)
def test_the_adjustment_never_moves_back_or_skips_pending(current, new):
    with pytest.raises(IllegalTransition, match=f"from {current.value} to {new.value}"):
        advance_adjustment(current, new)


def test_a_first_transfer_record_refuses_a_backwards_move():
    record = FirstTransfer(
        transfer_id="T1",
        authorisation_id="CN-A6-1",
        block=vcs(100, 199),
        host_party="CN",
        acquiring_party="SG",
        transferred_at=AT,
    ).with_adjustment(AdjustmentState.PENDING)
    assert record.with_adjustment(AdjustmentState.APPLIED).adjustment is AdjustmentState.APPLIED
    with pytest.raises(IllegalTransition):
        record.with_adjustment(AdjustmentState.NOT_STARTED)
