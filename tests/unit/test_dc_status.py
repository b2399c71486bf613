"""DC-STATUS: units retired, cancelled, expired, exported, locked or pledged do not move."""

import pytest

from compliance_rules.facts import Pledge
from compliance_rules.unit_status import UnitStatusCheck
from domain.holdings import Holding
from domain.units import UnitStatus
from tests.unit.dc_fake_facts import VERRA_ACCOUNT, InMemoryFacts, proposal, vcs

CHECK = UnitStatusCheck()


def holding(start: int, end: int, status: UnitStatus, word: str = "Active") -> Holding:
    return Holding(
        registry_id="verra",
        account_id="holder-1",
        block=vcs(start, end),
        status=status,
        registry_status=word,
    )


def test_held_units_pass():
    assert (
        CHECK.evaluate(proposal(vcs(1, 50), holdings=(holding(1, 100, UnitStatus.HELD),)), InMemoryFacts())
        == []
    )


@pytest.mark.parametrize(
    "status",
    [
        UnitStatus.RETIRED,
        UnitStatus.CANCELLED,
        UnitStatus.EXPIRED,
        UnitStatus.LOCKED,
        UnitStatus.PLEDGED,
        UnitStatus.EXPORTED,
    ],
)
def test_each_immovable_status_is_refused_for_the_shared_range(status):
    held = (holding(1, 40, UnitStatus.HELD), holding(41, 100, status, word="Registry word"))
    [finding] = CHECK.evaluate(proposal(vcs(1, 50), holdings=held), InMemoryFacts())
    assert finding.code == "DC-STATUS"
    assert finding.message == (
        f"serials VCS 41-50 are {status.value} in registry verra account holder-1 "
        "(registry status 'Registry word')"
    )


def test_a_pledge_recorded_by_the_gateway_names_the_lender():
    facts = InMemoryFacts(
        pledges=[Pledge(pledge_id="PL-5", lender="Bank of Shenzhen", block=vcs(30, 60), holder=VERRA_ACCOUNT)]
    )
    [finding] = CHECK.evaluate(proposal(vcs(1, 50), holdings=(holding(1, 100, UnitStatus.HELD),)), facts)
    assert finding.message.startswith("serials VCS 30-50 are pledged to Bank of Shenzhen under pledge PL-5")
    assert finding.collides_with is not None
    assert finding.collides_with.reference == "PL-5"


def test_statuses_outside_the_block_do_not_matter():
    held = (holding(1, 50, UnitStatus.HELD), holding(51, 100, UnitStatus.RETIRED))
    assert CHECK.evaluate(proposal(vcs(1, 50), holdings=held), InMemoryFacts()) == []
