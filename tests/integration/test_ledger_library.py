"""Who lends to a project, and what that tells them, on SQLite and PostgreSQL.

A loan names a project directly or through a library entry linked to it; either
way its lender hears of the project's issuances, once per issuance however often
it is recorded. Recording a loan tells its lender once; a borrower's rating change
tells its lenders once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compliance_rules.facts import IssuanceRecord
from compliance_rules.periods import Period
from compliance_rules.rule_facts import CoveredEntity
from domain.errors import AlreadyExists, NotFound
from domain.finance import GreenLoan, LibraryEntry, Money, ProjectRef, Sector
from domain.transfers import AccountRef
from ledger import Ledger, loan_rows
from tests.integration.ledger_samples import BACKENDS, T0, block, later, open_ledger, running_cluster
from tests.postgres_cluster import ThrowawayCluster

SOLAR = ProjectRef(programme="VCS", project_id="1060")
WIND = ProjectRef(programme="VCS", project_id="2070")


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    yield from open_ledger(str(request.param), tmp_path, request)


def entry(entry_id: str) -> LibraryEntry:
    return LibraryEntry(
        entry_id=entry_id,
        name="Shenzhen rooftop solar",
        owner_entity="sz-solar-co",
        sector=Sector.ENERGY,
        location="CN-GD",
        expected_reductions_t=50_000,
        funding_need=Money(currency="CNY", amount=Decimal("1250000.00")),
        recorded_by="sz-solar-co",
    )


def loan(loan_id: str, lender: str, *, entries: tuple[str, ...] = (), projects=(), borrower="sz-solar-co"):
    return GreenLoan(
        loan_id=loan_id,
        lender=lender,
        borrower_entity=borrower,
        amount=Money(currency="CNY", amount=Decimal("1000000.00")),
        library_entry_ids=entries,
        projects=tuple(projects),
        use_of_proceeds="rooftop panels",
        sign_date=date(2026, 1, 5),
        maturity_date=date(2031, 1, 5),
    )


def issuance(issuance_id: str, project: ProjectRef) -> IssuanceRecord:
    return IssuanceRecord(
        issuance_id=issuance_id,
        programme=project.programme,
        project_id=project.project_id,
        monitoring_period=Period(start=date(2025, 1, 1), end=date(2025, 12, 31)),
        block=block(1, 500, f"VCS:{issuance_id}").model_copy(update={"project_id": project.project_id}),
    )


def kinds(ledger: Ledger, org: str) -> list[tuple[str, str]]:
    return [(e.kind.value, e.event_id) for e in ledger.library.events(org, 0)]


def test_lenders_are_found_through_a_direct_project_or_a_linked_library_entry(ledger: Ledger):
    ledger.library.record_entry(entry("lib-solar"), None, T0)
    ledger.library.link_project("lib-solar", SOLAR, None, T0)
    ledger.library.record_loan(loan("loan-direct", "bank-a", projects=[SOLAR]), T0)
    ledger.library.record_loan(loan("loan-entry", "bank-b", entries=("lib-solar",)), later(1))
    ledger.library.record_loan(loan("loan-wind", "bank-c", projects=[WIND]), later(2))

    def lenders(programme: str, project_id: str) -> set[str]:
        return ledger.library._read(lambda s: loan_rows.lenders_of_project(s, programme, project_id))

    assert lenders("VCS", "1060") == {"bank-a", "bank-b"}
    assert lenders("VCS", "2070") == {"bank-c"}
    assert lenders("GS", "1060") == set(), "the same project number of another programme is another project"
    assert lenders("VCS", "") == set(), "an entry's target row (project empty) is no project"


def test_an_issuance_reaches_each_lender_of_its_project_once(ledger: Ledger):
    ledger.library.record_entry(entry("lib-solar"), None, T0)
    ledger.library.link_project("lib-solar", SOLAR, None, T0)
    ledger.library.record_loan(loan("loan-direct", "bank-a", projects=[SOLAR]), T0)
    ledger.library.record_loan(loan("loan-entry", "bank-b", entries=("lib-solar",)), T0)

    assert ledger.record_issuance(issuance("9660", SOLAR))
    assert not ledger.record_issuance(issuance("9660", SOLAR)), "a retry stores nothing"
    ledger.record_issuance(issuance("9700", WIND))  # nobody lends to it

    for bank, loan_id in (("bank-a", "loan-direct"), ("bank-b", "loan-entry")):
        assert kinds(ledger, bank) == [
            ("loan.recorded", f"loan:{loan_id}:recorded"),
            ("issuance.recorded", "issuance:VCS:9660"),
        ]
    told = ledger.library.events("bank-a", 0)[-1]
    assert told.data["project"] == SOLAR.model_dump() and told.data["quantity"] == 500


def test_a_loan_is_recorded_once_and_told_once(ledger: Ledger):
    first, created = ledger.library.record_loan(loan("loan-1", "bank-a", projects=[SOLAR]), T0)
    again, created_again = ledger.library.record_loan(loan("loan-1", "bank-a", projects=[SOLAR]), later(5))
    assert (created, created_again) == (True, False)
    assert again == first and again.created_at == T0
    with pytest.raises(AlreadyExists):
        ledger.library.record_loan(loan("loan-1", "bank-a", projects=[WIND]), later(6))
    with pytest.raises(NotFound):
        ledger.library.record_loan(loan("loan-2", "bank-a", entries=("lib-missing",)), later(7))
    assert kinds(ledger, "bank-a") == [("loan.recorded", "loan:loan-1:recorded")]
    with pytest.raises(NotFound):
        ledger.library.loan("loan-1", "bank-b")  # another bank's loan is not there for it


def test_a_borrowers_rating_change_is_told_to_its_lenders_once(ledger: Ledger):
    entity = CoveredEntity(entity_id="sz-steel-1", name="Shenzhen Steel", market="cn-sz-ets")
    ledger.record_covered_entity(entity, [AccountRef(registry_id="cn-sz-ets", account_id="steel-1")])
    ledger.record_verified_emissions(entity.entity_id, 2025, 1000)
    ledger.library.record_loan(loan("loan-steel", "bank-a", borrower=entity.entity_id), T0)

    ledger.record_verified_emissions(entity.entity_id, 2026, 1200)  # up 20 %: no trend points
    ledger.record_verified_emissions(entity.entity_id, 2026, 1200)  # a retry
    ledger.ratings.refresh(entity.entity_id)  # nothing changed since

    ratings = ledger.ratings.history(entity.entity_id)
    assert [(r.score, r.grade) for r in ratings] == [(60, "C"), (80, "A"), (0, "E")]  # newest first
    changed = [e for e in ledger.library.events("bank-a", 0) if e.kind.value == "rating.changed"]
    assert len(changed) == 1
    assert (changed[0].subject, changed[0].data["previous_score"], changed[0].data["score"]) == (
        entity.entity_id,
        80,
        60,
    )
