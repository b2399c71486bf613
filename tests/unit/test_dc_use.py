"""DC-USE: the same serials reserved, live or retired elsewhere, in the issuing programme's serial space."""

from compliance_rules.double_use import DoubleUseCheck
from compliance_rules.facts import DoubleCountingFacts, Location, Reservation
from domain.transfers import AccountRef
from domain.units import UnitStatus
from tests.unit.dc_fake_facts import (
    AT,
    HK_ACCOUNT,
    SZ_ACCOUNT,
    VERRA_ACCOUNT,
    InMemoryFacts,
    gs,
    proposal,
    vcs,
)

CHECK = DoubleUseCheck()


def test_fake_satisfies_the_protocol():
    facts: DoubleCountingFacts = InMemoryFacts()
    assert facts.lineage(vcs(1, 2)) == []


def test_untracked_serials_pass():
    assert CHECK.evaluate(proposal(vcs(115597313, 115618057)), InMemoryFacts()) == []


def test_reserved_serials_name_the_transfer_and_the_shared_range():
    facts = InMemoryFacts(
        reservations=[
            Reservation(
                transfer_id="T1", block=vcs(115590000, 115600000), source=VERRA_ACCOUNT, reserved_at=AT
            )
        ]
    )
    [finding] = CHECK.evaluate(proposal(vcs(115597313, 115618057)), facts)
    assert finding.code == "DC-USE"
    assert finding.message.startswith("serials VCS 115597313-115600000 are reserved by transfer T1")
    assert finding.collides_with is not None
    assert (finding.collides_with.transfer_id, finding.collides_with.start, finding.collides_with.end) == (
        "T1",
        115597313,
        115600000,
    )


def test_a_transfers_own_reservation_does_not_refuse_it():
    facts = InMemoryFacts(
        reservations=[Reservation(transfer_id="T2", block=vcs(10, 20), source=VERRA_ACCOUNT, reserved_at=AT)]
    )
    assert CHECK.evaluate(proposal(vcs(10, 20), transfer_id="T2"), facts) == []


def test_verra_serials_mirrored_into_hong_kong_collide_wherever_they_are_offered_again():
    mirrored = Location(block=vcs(100, 199), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT)
    facts = InMemoryFacts(locations=[mirrored])
    # Offered again from Verra, and separately from a Shenzhen account that claims to hold them.
    from_verra = CHECK.evaluate(proposal(vcs(150, 250)), facts)
    from_shenzhen = CHECK.evaluate(proposal(vcs(150, 250), source=SZ_ACCOUNT), facts)
    for findings in (from_verra, from_shenzhen):
        [finding] = findings
        assert "serials VCS 150-199 live in registry hk-core-climate account hk-7" in finding.message
        assert "transfer T0" in finding.message


def test_the_holder_of_mirrored_serials_may_move_them_on():
    facts = InMemoryFacts(
        locations=[Location(block=vcs(100, 199), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT)]
    )
    assert CHECK.evaluate(proposal(vcs(120, 130), source=HK_ACCOUNT, destination=SZ_ACCOUNT), facts) == []


def test_retired_serials_collide_even_in_the_source_account():
    retired = Location(
        block=vcs(100, 199), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT, status=UnitStatus.RETIRED
    )
    [finding] = CHECK.evaluate(
        proposal(vcs(100, 100), source=HK_ACCOUNT, destination=SZ_ACCOUNT), InMemoryFacts(locations=[retired])
    )
    assert "serials VCS 100-100 were retired in registry hk-core-climate" in finding.message


def test_a_gold_standard_batch_with_the_same_numbers_is_another_serial_space():
    facts = InMemoryFacts(
        locations=[Location(block=gs(30645, 608, 30350), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT)],
        reservations=[
            Reservation(transfer_id="T1", block=gs(30645, 608, 700), source=VERRA_ACCOUNT, reserved_at=AT)
        ],
    )
    assert CHECK.evaluate(proposal(gs(99999, 608, 30350)), facts) == []
    assert {f.collides_with.transfer_id for f in CHECK.evaluate(proposal(gs(30645, 650, 660)), facts)} == {
        "T0",
        "T1",
    }


def test_every_collision_is_listed():
    elsewhere = AccountRef(registry_id="mo-micx", account_id="m-1")
    facts = InMemoryFacts(
        reservations=[Reservation(transfer_id="T1", block=vcs(1, 10), source=VERRA_ACCOUNT, reserved_at=AT)],
        locations=[
            Location(block=vcs(20, 30), holder=HK_ACCOUNT, transfer_id="T0", settled_at=AT),
            Location(block=vcs(40, 50), holder=elsewhere, transfer_id="T9", settled_at=AT),
        ],
    )
    findings = CHECK.evaluate(proposal(vcs(5, 45)), facts)
    ranges = [(f.collides_with.start, f.collides_with.end, f.collides_with.transfer_id) for f in findings]
    assert ranges == [(5, 10, "T1"), (20, 30, "T0"), (40, 45, "T9")]
