"""The ledger as `DoubleCountingFacts`: each lookup returns exactly the overlapping rows, loads are
idempotent, and the checks decide the same over the ledger as over the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from compliance_rules import evaluate
from compliance_rules.claims import first_transfer_for
from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.crosswalk_csv import write_crosswalk_csv
from compliance_rules.facts import (
    Authorisation,
    AuthorisedUse,
    CreditedGeneration,
    CrosswalkEntry,
    DoubleCountingFacts,
    FirstTransfer,
    GenerationCertificate,
    IssuanceRecord,
    Location,
    Movement,
    Pledge,
)
from compliance_rules.proposal import Purpose
from domain.errors import (
    AlreadyExists,
    DoubleCountingConflict,
    IllegalTransition,
    NotFound,
    PreconditionFailed,
)
from domain.finance import Collateral, PledgeState
from domain.serials import SerialBlock
from domain.transfers import AccountRef, TransferState
from ledger import Ledger
from tests.integration.ledger_samples import (
    BACKENDS,
    HK_B,
    SZ_C,
    VERRA_A,
    block,
    later,
    open_ledger,
    running_cluster,
    transfer,
)
from tests.postgres_cluster import ThrowawayCluster
from tests.unit.dc_fake_facts import InMemoryFacts, ccer, period, proposal, vcs

MACAU_D = AccountRef(registry_id="mo-ets", account_id="buyer-d")
GS_SPACE = "GS:batch-30645"


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    yield from open_ledger(request.param, tmp_path, request)


def settle(
    ledger: Ledger,
    transfer_id: str,
    moved: SerialBlock,
    source: AccountRef,
    destination: AccountRef,
    minute: int,
) -> None:
    """Take a transfer through the whole lifecycle, settling at `later(minute)`."""
    ledger.record_received(transfer(transfer_id, moved, source=source, destination=destination))
    ledger.reserve(transfer_id, moved, source)
    for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED):
        ledger.advance(transfer_id, state, later(minute - 1))
    ledger.settle(transfer_id, destination, later(minute))


def of_vintage(start: int, end: int, vintage: str) -> SerialBlock:
    return block(start, end).model_copy(update={"vintage": vintage})


# The serial-block index and lineage


def test_reservations_and_locations_are_only_those_sharing_serials(ledger: Ledger) -> None:
    settle(ledger, "T0", block(300, 400), VERRA_A, HK_B, minute=10)
    ledger.record_received(transfer("T1", block(100, 200)))
    ledger.reserve("T1", block(100, 200), VERRA_A)
    ledger.record_received(transfer("GS-1", block(100, 400, GS_SPACE)))
    ledger.reserve("GS-1", block(100, 400, GS_SPACE), VERRA_A)
    facts = ledger.facts()

    [reservation] = facts.reservations_overlapping(block(150, 350))
    assert reservation.transfer_id == "T1" and reservation.block == block(100, 200)
    assert reservation.source == VERRA_A
    assert facts.locations_overlapping(block(150, 350)) == [
        Location(block=block(300, 400), holder=HK_B, transfer_id="T0", settled_at=later(10))
    ]
    assert facts.reservations_overlapping(block(201, 299)) == []
    assert facts.locations_overlapping(block(201, 299)) == []
    assert [r.transfer_id for r in facts.reservations_overlapping(block(400, 400, GS_SPACE))] == ["GS-1"]
    assert facts.locations_overlapping(block(300, 400, GS_SPACE)) == []


def test_lineage_of_a_block_moved_twice_comes_back_oldest_first(ledger: Ledger) -> None:
    # Ids sort against time, so only the settlement order can put them right.
    settle(ledger, "T9", block(1, 1000), VERRA_A, HK_B, minute=10)
    settle(ledger, "T2", block(401, 600), HK_B, MACAU_D, minute=20)
    settle(ledger, "T5", block(1001, 2000), VERRA_A, SZ_C, minute=30)  # adjacent, not shared
    settle(ledger, "GS-1", block(401, 600, GS_SPACE), VERRA_A, HK_B, minute=5)  # same numbers, other tonnes
    ledger.record_received(transfer("T3", block(500, 550), source=MACAU_D))
    ledger.reserve("T3", block(500, 550), MACAU_D)  # in flight: no movement yet

    lineage = ledger.facts().lineage(block(500, 520))

    assert lineage == [
        Movement(
            transfer_id="T9", block=block(1, 1000), source=VERRA_A, destination=HK_B, settled_at=later(10)
        ),
        Movement(
            transfer_id="T2", block=block(401, 600), source=HK_B, destination=MACAU_D, settled_at=later(20)
        ),
    ]
    assert [m.transfer_id for m in ledger.facts().lineage(block(999, 1001))] == ["T9", "T5"]
    assert ledger.facts().lineage(block(2001, 3000)) == []


# Pledges


def test_pledges_overlapping_are_the_unreleased_ones_sharing_serials(ledger: Ledger) -> None:
    pledges = [
        Pledge(pledge_id="P1", lender="bank-a", block=block(100, 200), holder=VERRA_A),
        Pledge(pledge_id="P2", lender="bank-b", block=block(100, 200, GS_SPACE), holder=VERRA_A),
        Pledge(pledge_id="P3", lender="bank-b", block=block(300, 400), holder=HK_B),
    ]

    def collateral(pledge: Pledge, at: int = 1) -> Collateral:
        return Collateral(
            **pledge.model_dump(exclude={"consented_transfer_id"}), serial="-", pledged_at=later(at)
        )

    for pledge in pledges:
        assert ledger.finance.pledge(collateral(pledge))[1]
    facts = ledger.facts()

    assert facts.pledges_overlapping(block(150, 350)) == [pledges[0], pledges[2]]
    assert facts.pledges_overlapping(block(201, 299)) == []

    assert ledger.finance.release("P1", "bank-a", later(2))[1]
    assert not ledger.finance.release("P1", None, later(3))[1]
    assert not ledger.finance.pledge(collateral(pledges[0], 4))[1]  # a late retry does not lock them again
    assert facts.pledges_overlapping(block(150, 350)) == [pledges[2]]
    with pytest.raises(NotFound):
        ledger.finance.release("P9", None, later(2))
    with pytest.raises(NotFound):  # another bank's pledge is none of its business
        ledger.finance.release("P3", "bank-a", later(2))
    with pytest.raises(AlreadyExists):
        ledger.finance.pledge(collateral(pledges[2].model_copy(update={"lender": "bank-c"})))
    assert [e.event_id for e in ledger.finance.events("bank-a", 0)] == [
        "pledge:P1:created",
        "pledge:P1:released",
    ]


def test_a_consented_transfer_alone_passes_the_pledge_and_ends_it_when_it_settles(ledger: Ledger) -> None:
    pledged = Collateral(
        pledge_id="P1",
        lender="bank-a",
        block=block(100, 200),
        holder=VERRA_A,
        serial="-",
        pledged_at=later(0),
    )
    ledger.finance.pledge(pledged)
    ledger.finance.consent("P1", "bank-a", "T-consented", later(1))
    for transfer_id in ("T-other", "T-consented"):
        ledger.record_received(transfer(transfer_id, block(100, 200)))
    with pytest.raises(DoubleCountingConflict):
        ledger.reserve("T-other", block(100, 200), VERRA_A)
    with pytest.raises(PreconditionFailed):  # one consent at a time, while its transfer may still move them
        ledger.finance.consent("P1", "bank-a", "T-other", later(1))

    ledger.reserve("T-consented", block(100, 200), VERRA_A)
    for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED):
        ledger.advance("T-consented", state, later(2))
    ledger.settle("T-consented", HK_B, later(3))

    ended = ledger.finance.collateral("P1")
    assert (ended.state, ended.ended_at) == (PledgeState.TRANSFERRED, later(3))
    assert ledger.facts().pledges_overlapping(block(100, 200)) == []
    assert [e.kind.value for e in ledger.finance.events("bank-a", 0)] == [
        "pledge.created",
        "pledge.consented",
        "pledge.transferred",
    ]


# The crosswalk


def link(programme_a: str, project_a: str, programme_b: str, project_b: str, **kw: object) -> CrosswalkEntry:
    fields = {"source_reference": "MEE notice 2024-17", "loaded_by": "regulator-cn"} | kw
    return CrosswalkEntry(
        programme_a=programme_a, project_a=project_a, programme_b=programme_b, project_b=project_b, **fields
    )


def test_the_crosswalk_loads_each_link_once_and_answers_from_either_side(ledger: Ledger) -> None:
    ccer_vcs = link("CCER", "123", "VCS", "1060")
    ccer_gs = link("CCER", "123", "GS", "GS7495", period=period("2019-01-01", "2020-12-31"))

    assert ledger.load_crosswalk([ccer_vcs, link("VCS", "1060", "CCER", "123"), ccer_gs]) == 2
    assert ledger.load_crosswalk([ccer_gs, ccer_vcs]) == 0

    facts = ledger.facts()
    assert facts.crosswalk_for("CCER", "123") == [ccer_gs, ccer_vcs]
    assert facts.crosswalk_for("VCS", "1060") == [ccer_vcs]
    assert facts.crosswalk_for("VCS", "9999") == []
    assert facts.crosswalk_for("GS", "1060") == []
    assert write_crosswalk_csv(ledger.crosswalk()) == write_crosswalk_csv([ccer_vcs, ccer_gs])


def test_a_link_from_another_source_refuses_the_whole_load(ledger: Ledger) -> None:
    ledger.load_crosswalk([link("CCER", "123", "VCS", "1060")])

    with pytest.raises(AlreadyExists, match="already loaded from MEE notice 2024-17"):
        ledger.load_crosswalk(
            [link("CCER", "77", "VCS", "2001"), link("VCS", "1060", "CCER", "123", source_reference="other")]
        )

    assert ledger.crosswalk() == [link("CCER", "123", "VCS", "1060")]


# Issuances and green power


def issuance(
    issuance_id: str, moved: SerialBlock, start: str, end: str, project: str = "1060"
) -> IssuanceRecord:
    return IssuanceRecord(
        issuance_id=issuance_id,
        programme=moved.programme,
        project_id=project,
        monitoring_period=period(start, end),
        block=moved,
    )


def test_issuances_are_found_by_serials_and_by_project_and_period(ledger: Ledger) -> None:
    wide = issuance("9660", block(1, 1_000_000), "2019-01-01", "2019-12-31")
    next_year = issuance("9661", block(1_000_001, 1_000_500), "2020-01-01", "2020-12-31")
    other_project = issuance("9700", block(2_000_000, 2_000_010), "2019-01-01", "2019-12-31", project="981")
    gold = issuance("GS-1", block(1, 1_000_000, GS_SPACE), "2019-01-01", "2019-12-31")
    for record in (next_year, wide, other_project, gold):  # narrow first: the span must widen
        assert ledger.record_issuance(record)
    facts = ledger.facts()

    # The wide issuance starts a million serials before the block and must still be found.
    assert facts.issuances_overlapping(block(999_990, 1_000_001)) == [wide, next_year]
    assert facts.issuances_overlapping(block(1_000_501, 1_999_999)) == []
    assert facts.issuances_overlapping(block(5, 5, GS_SPACE)) == [gold]
    assert facts.issuances_in("VCS", "1060", period("2019-12-31", "2020-01-01")) == [wide, next_year]
    assert facts.issuances_in("VCS", "1060", period("2021-01-01", "2021-12-31")) == []
    assert facts.issuances_in("VCS", "981", period("2019-06-01", "2019-06-30")) == [other_project]

    assert not ledger.record_issuance(wide)
    with pytest.raises(AlreadyExists, match="issuance VCS 9660"):
        ledger.record_issuance(wide.model_copy(update={"project_id": "981"}))


def test_credited_generation_and_certificates_come_back_exact(ledger: Ledger) -> None:
    generation = CreditedGeneration(
        issuance_id="9660",
        programme="VCS",
        plant_id="wind-7",
        period=period("2023-01-01", "2023-04-10"),
        generated_mwh=Decimal("1000.0005"),
        credited_mwh=Decimal("900.0004"),
        block=block(1001, 1900),
    )
    january = GenerationCertificate(
        certificate_id="GEC-1",
        programme="GEC",
        plant_id="wind-7",
        period=period("2023-01-01", "2023-01-20"),
        mwh=Decimal("30.123"),
    )
    later_year = january.model_copy(
        update={"certificate_id": "GEC-2", "period": period("2024-01-01", "2024-01-31")}
    )
    other_plant = january.model_copy(update={"certificate_id": "GEC-3", "plant_id": "solar-2"})
    assert ledger.record_credited_generation(generation)
    for certificate in (january, later_year, other_plant):
        assert ledger.record_generation_certificate(certificate)
    facts = ledger.facts()

    [found] = facts.credited_generation(block(1500, 2500))
    assert found == generation and found.generated_mwh == Decimal("1000.0005")
    assert facts.credited_generation(block(1901, 2500)) == []
    assert facts.generation_certificates("wind-7", generation.period) == [january]
    assert facts.generation_certificates("wind-7", period("2023-06-01", "2023-12-31")) == []
    assert not ledger.record_credited_generation(generation)
    assert not ledger.record_generation_certificate(january)


# Article 6


def authorisation(authorisation_id: str, use: AuthorisedUse, on: str, **scope: object) -> Authorisation:
    return Authorisation(
        authorisation_id=authorisation_id,
        host_party="US",
        authorised_use=use,
        cooperative_approach_id="US-SG-01",
        authorised_on=date.fromisoformat(on),
        **scope,
    )


def test_authorisations_covering_a_block_by_serials_or_by_project_vintage(ledger: Ledger) -> None:
    ndc = authorisation("A-NDC", AuthorisedUse.NDC, "2024-03-01", block=block(100, 200))
    oimp = authorisation("A-OIMP", AuthorisedUse.OIMP, "2024-02-01", block=block(150, 250))
    vintage = authorisation(
        "A-MC",
        AuthorisedUse.MITIGATION_CONTRIBUTION,
        "2024-01-01",
        programme="VCS",
        project_id="1060",
        vintage="2019",
    )
    gold = authorisation("A-GS", AuthorisedUse.NDC, "2024-01-01", block=block(100, 200, GS_SPACE))
    for a in (ndc, oimp, vintage, gold):
        assert ledger.record_authorisation(a)
    facts = ledger.facts()

    assert facts.authorisations_covering(block(180, 190)) == [vintage, oimp, ndc]
    assert facts.authorisations_covering(block(300, 400)) == [vintage]
    assert facts.authorisations_covering(of_vintage(300, 400, "2020")) == []
    assert facts.authorisations_covering(of_vintage(90, 100, "2020")) == [ndc]
    assert not ledger.record_authorisation(ndc)


def first(transfer_id: str, moved: SerialBlock, acquiring_party: str = "SG") -> FirstTransfer:
    return FirstTransfer(
        transfer_id=transfer_id,
        authorisation_id="A-NDC",
        block=moved,
        host_party="US",
        acquiring_party=acquiring_party,
        transferred_at=later(10),
    )


def test_first_transfers_are_recorded_once_and_found_by_serials(ledger: Ledger) -> None:
    ledger.record_authorisation(authorisation("A-NDC", AuthorisedUse.NDC, "2024-03-01", block=block(1, 1000)))
    f1, f2 = first("T1", block(100, 200)), first("T2", block(300, 400))

    assert ledger.record_first_transfer(f1) == f1
    assert ledger.record_first_transfer(f2) == f2
    assert ledger.record_first_transfer(f1) == f1
    with pytest.raises(AlreadyExists):
        ledger.record_first_transfer(first("T1", block(100, 200), acquiring_party="JP"))

    facts = ledger.facts()
    assert facts.first_transfers_overlapping(block(150, 350)) == [f1, f2]
    assert facts.first_transfers_overlapping(block(201, 299)) == []
    assert facts.first_transfers_overlapping(block(150, 350, GS_SPACE)) == []
    assert ledger.first_transfers() == [f1, f2]


def test_the_corresponding_adjustment_moves_forward_only_through_the_ledger(ledger: Ledger) -> None:
    ledger.record_authorisation(authorisation("A-NDC", AuthorisedUse.NDC, "2024-03-01", block=block(1, 1000)))
    ledger.record_first_transfer(first("T1", block(100, 200)))
    ledger.record_first_transfer(first("T2", block(300, 400)))
    S = AdjustmentState

    assert ledger.advance_adjustment("T1", S.PENDING, later(20)).adjustment is S.PENDING
    assert ledger.advance_adjustment("T1", S.PENDING, later(21)).adjustment is S.PENDING  # a retried RPC
    with pytest.raises(IllegalTransition):
        ledger.advance_adjustment("T1", S.NOT_STARTED, later(22))
    with pytest.raises(IllegalTransition):
        ledger.advance_adjustment("T2", S.APPLIED, later(22))  # pending comes first
    assert ledger.advance_adjustment("T1", S.APPLIED, later(30)).adjustment is S.APPLIED
    with pytest.raises(NotFound):
        ledger.advance_adjustment("T9", S.PENDING, later(30))

    assert ledger.adjustment_history("T1") == [
        (S.NOT_STARTED, later(10)),
        (S.PENDING, later(20)),
        (S.APPLIED, later(30)),
    ]
    assert ledger.adjustment_history("T2") == [(S.NOT_STARTED, later(10))]
    # A retried record after the host moved on comes back as it now stands.
    assert ledger.record_first_transfer(first("T1", block(100, 200))).adjustment is S.APPLIED
    [t1, t2] = ledger.first_transfers()
    assert (t1.adjustment, t2.adjustment) == (S.APPLIED, S.NOT_STARTED)
    assert ledger.facts().first_transfers_overlapping(block(150, 150)) == [t1]


# The checks over the ledger and over the fake


def agree(ledger: Ledger, fake: InMemoryFacts, transfer_proposal):
    """The decision over the ledger, having checked the fake decides exactly the same."""
    facts: DoubleCountingFacts = ledger.facts()
    decision = evaluate(transfer_proposal, facts)
    assert decision == evaluate(transfer_proposal, fake)
    return decision


def test_a_crosswalked_project_issued_twice_for_one_period_is_refused_double_issuance(ledger: Ledger) -> None:
    crosswalk = link("CCER", "123", "VCS", "1060")
    issuances = [
        issuance("9660", vcs(115597313, 115618057), "2019-01-01", "2019-12-31"),
        IssuanceRecord(
            issuance_id="CCER-ISS-4",
            programme="CCER",
            project_id="123",
            monitoring_period=period("2019-06-01", "2020-05-31"),
            block=ccer(1, 5000),
        ),
    ]
    ledger.load_crosswalk([crosswalk])
    for record in issuances:
        ledger.record_issuance(record)
    fake = InMemoryFacts(crosswalk=[crosswalk], issuances=issuances)

    decision = agree(ledger, fake, proposal(vcs(115597313, 115597400)))

    assert not decision.allowed
    [finding] = decision.findings
    assert finding.code == "DC-ISSUE"
    assert "overlaps on 2019-06-01..2019-12-31 with CCER project 123 issuance CCER-ISS-4" in finding.message
    # The next monitoring period, after the crosswalked one, passes.
    ledger.record_issuance(issuance("9661", vcs(115618058, 115620000), "2020-06-01", "2020-12-31"))
    fake.issuances.append(issuance("9661", vcs(115618058, 115620000), "2020-06-01", "2020-12-31"))
    assert agree(ledger, fake, proposal(vcs(115618058, 115618100))).allowed


def test_a_settled_block_held_in_another_account_is_refused_double_use_naming_the_transfer(
    ledger: Ledger,
) -> None:
    settle(ledger, "T1", vcs(1000, 2000), VERRA_A, HK_B, minute=10)
    fake = InMemoryFacts(
        locations=[Location(block=vcs(1000, 2000), holder=HK_B, transfer_id="T1", settled_at=later(10))],
        movements=[
            Movement(
                transfer_id="T1",
                block=vcs(1000, 2000),
                source=VERRA_A,
                destination=HK_B,
                settled_at=later(10),
            )
        ],
    )
    offered_again = proposal(
        vcs(1500, 2500), transfer_id="T2", source=VERRA_A, destination=SZ_C, destination_jurisdiction="CN-GD"
    )

    decision = agree(ledger, fake, offered_again)

    assert [f.code for f in decision.findings] == ["DC-USE"]
    assert decision.findings[0].message == (
        "serials VCS 1500-2000 live in registry hk-core-climate account exchange-b, "
        f"moved there by transfer T1 at {later(10).isoformat()}"
    )
    assert (
        decision.findings[0].collides_with is not None
        and decision.findings[0].collides_with.transfer_id == "T1"
    )
    assert ledger.facts().lineage(vcs(1500, 2500)) == fake.lineage(vcs(1500, 2500))
    # From the account that now holds them, the same serials may move on.
    onward = proposal(
        vcs(1500, 2000), transfer_id="T3", source=HK_B, destination=SZ_C, destination_jurisdiction="CN-GD"
    )
    assert agree(ledger, fake, onward).allowed


def test_a_first_transfer_is_made_once_from_the_ledgers_authorisations(ledger: Ledger) -> None:
    ndc = Authorisation(
        authorisation_id="CN-NDC-1",
        host_party="CN",
        authorised_use=AuthorisedUse.NDC,
        cooperative_approach_id="CN-SG-01",
        authorised_on=date(2024, 1, 1),
        block=vcs(1, 1000),
    )
    ledger.record_authorisation(ndc)
    to_singapore = proposal(
        vcs(100, 200),
        destination=AccountRef(registry_id="sg-national", account_id="sg-1"),
        destination_jurisdiction="SG",
        purpose=Purpose.NDC,
    )
    at = datetime.fromisoformat("2025-03-01T09:30:00+00:00")

    assert agree(ledger, InMemoryFacts(authorisations=[ndc]), to_singapore).allowed
    made = first_transfer_for(to_singapore, ledger.facts(), at)
    assert made is not None and (made.authorisation_id, made.acquiring_party) == ("CN-NDC-1", "SG")
    ledger.record_first_transfer(made)

    assert (
        first_transfer_for(to_singapore.model_copy(update={"transfer_id": "T3"}), ledger.facts(), at) is None
    )
    uncovered = to_singapore.model_copy(update={"block": vcs(900, 1100)})
    [finding] = agree(ledger, InMemoryFacts(authorisations=[ndc]), uncovered).findings
    assert finding.code == "DC-CLAIM" and "serials VCS 1001-1100 have no authorisation" in finding.message
