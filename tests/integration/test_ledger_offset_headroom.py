"""An entity's offset headroom is reserved atomically with the serials, on SQLite and PostgreSQL.

Two transfers that each fit under a cap but not together must not both reserve it;
an undone transfer gives its headroom back; a settled one keeps using it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from compliance_rules.offset_claims import OffsetClaim, OffsetLimit
from compliance_rules.rule_facts import CoveredEntity
from compliance_rules.rule_judging import Judgement
from domain.errors import AlreadyExists, DoubleCountingConflict
from domain.transfers import AccountRef, TransferState
from ledger import Ledger
from tests.integration.ledger_samples import (
    BACKENDS,
    HK_B,
    VERRA_A,
    block,
    later,
    ledger_url,
    open_ledger,
    running_cluster,
    transfer,
)
from tests.postgres_cluster import ThrowawayCluster

ENTITY = CoveredEntity(entity_id="sz-steel-1", name="Shenzhen Steel", market="cn-sz-ets")
CAP = OffsetLimit(rule_id="RULE-SZ-OFFSET-TOTAL", max_units=100)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    yield from open_ledger(backend, tmp_path, request)


def claim(transfer_id: str, quantity: int) -> OffsetClaim:
    return OffsetClaim(
        entity_id=ENTITY.entity_id,
        year=2026,
        transfer_id=transfer_id,
        programme="VCS",
        origin="XX",
        quantity=quantity,
        limits=[CAP],
    )


def entity_with_emissions(ledger: Ledger) -> None:
    assert ledger.record_covered_entity(ENTITY, [HK_B])
    assert ledger.record_verified_emissions(ENTITY.entity_id, 2026, 1000)


def test_the_ledger_answers_what_the_rule_packs_ask(ledger: Ledger) -> None:
    entity_with_emissions(ledger)
    assert not ledger.record_covered_entity(ENTITY, [HK_B]), "the same entity again stores nothing"
    facts = ledger.facts()
    assert facts.covered_entity_of(HK_B) == ENTITY
    assert facts.covered_entity_of(VERRA_A) is None
    assert facts.verified_emissions(ENTITY.entity_id, 2026) == 1000
    assert facts.verified_emissions(ENTITY.entity_id, 2025) is None
    with pytest.raises(AlreadyExists):
        ledger.record_verified_emissions(ENTITY.entity_id, 2026, 999)
    with pytest.raises(AlreadyExists):
        ledger.record_covered_entity(
            CoveredEntity(entity_id="other", name="Other", market="cn-sz-ets"), [HK_B]
        )


def test_headroom_is_reserved_released_when_undone_and_kept_when_settled(ledger: Ledger) -> None:
    entity_with_emissions(ledger)
    ledger.record_received(transfer("T1", block(1, 60)))
    ledger.reserve("T1", block(1, 60), VERRA_A, claim("T1", 60))
    ledger.reserve("T1", block(1, 60), VERRA_A, claim("T1", 60))  # a retry reserves nothing more
    ledger.record_received(transfer("T2", block(61, 110)))
    with pytest.raises(DoubleCountingConflict) as refused:
        ledger.reserve("T2", block(61, 110), VERRA_A, claim("T2", 50))
    assert refused.value.code == "RULE-SZ-OFFSET-TOTAL"
    assert [u.quantity for u in ledger.facts().offset_used(ENTITY.entity_id, 2026)] == [60]
    ledger.advance("T1", TransferState.REJECTED, later(1))  # undone: the 60 units of headroom come back
    assert ledger.facts().offset_used(ENTITY.entity_id, 2026) == []
    ledger.reserve("T2", block(61, 110), VERRA_A, claim("T2", 50))
    for minute, state in enumerate(
        (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED), start=2
    ):
        ledger.advance("T2", state, later(minute))
    ledger.settle("T2", HK_B, later(9))
    assert [u.transfer_id for u in ledger.facts().offset_used(ENTITY.entity_id, 2026)] == ["T2"]


def test_a_judgement_stands_as_first_recorded(ledger: Ledger) -> None:
    ledger.record_received(transfer("T1", block(1, 10)))
    first = Judgement(compliance_year=2026, packs=["cn-sz-ets@1.0.0"], rule_ids=["RULE-SZ-OFFSET-TOTAL"])
    assert ledger.record_judgement("T1", first, later(0)) == first
    changed = Judgement(compliance_year=2026, packs=["cn-sz-ets@2.0.0"], rule_ids=["RULE-SZ-NEW"])
    assert ledger.record_judgement("T1", changed, later(1)) == first  # the pack changed; the record did not
    assert ledger.judgement("T1") == first


THREADS = 24
LEDGERS = 4


@pytest.fixture
def ledgers(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Ledger]]:
    url = ledger_url(backend, tmp_path, request)
    opened = [Ledger.open(url, pool_size=THREADS // LEDGERS) for _ in range(LEDGERS)]
    yield opened
    for one in opened:
        one.close()


def test_transfers_that_each_fit_under_a_cap_but_not_together_never_both_reserve(
    ledgers: list[Ledger],
) -> None:
    entity_with_emissions(ledgers[0])
    ids = [f"T{n:02d}" for n in range(THREADS)]
    # Each in a serial space of its own, so nothing but the cap (not the serials' hold lock) orders them.
    blocks = [block(1, 30, f"VCS:{n}") for n in range(THREADS)]
    for transfer_id, moved in zip(ids, blocks, strict=True):
        ledgers[0].record_received(transfer(transfer_id, moved))
    start = threading.Barrier(THREADS)

    def reserve(index: int) -> BaseException | None:
        transfer_id = ids[index]
        start.wait(timeout=30)
        try:
            ledgers[index % LEDGERS].reserve(transfer_id, blocks[index], VERRA_A, claim(transfer_id, 30))
        except DoubleCountingConflict as refused:
            return refused
        return None

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(reserve, range(THREADS)))
    granted = [ids[i] for i, outcome in enumerate(outcomes) if outcome is None]
    assert len(granted) == 3, outcomes  # 3 x 30 fits under 100; a fourth would not
    assert all(o is None or o.code == "RULE-SZ-OFFSET-TOTAL" for o in outcomes)
    used = ledgers[0].facts().offset_used(ENTITY.entity_id, 2026)
    assert sorted(u.transfer_id for u in used) == sorted(granted)
    assert sum(u.quantity for u in used) <= CAP.max_units


def test_accounts_of_one_entity_are_its_alone(ledger: Ledger) -> None:
    other = AccountRef(registry_id="cn-sz-ets", account_id="sz-steel-1-b")
    assert ledger.record_covered_entity(ENTITY, [HK_B, other])
    assert ledger.facts().covered_entity_of(other) == ENTITY


def test_a_csv_load_is_all_or_none(ledger: Ledger) -> None:
    from compliance_rules.covered_entities_csv import read_covered_entities_csv

    header = "entity_id,name,market,account,year,verified_emissions_t\n"
    good = read_covered_entities_csv(header + "sz-2,Steel Two,cn-sz-ets,cn-sz-ets:two,2026,500\n")
    assert ledger.load_covered_entities(good) == 1
    assert ledger.load_covered_entities(good) == 0, "loading the same file again changes nothing"
    clash = read_covered_entities_csv(
        header + "sz-3,Steel Three,cn-sz-ets,cn-sz-ets:three,2026,10\nsz-2,Steel Two,cn-sz-ets,,2026,999\n"
    )
    with pytest.raises(AlreadyExists):
        ledger.load_covered_entities(clash)
    assert ledger.facts().covered_entity_of(AccountRef(registry_id="cn-sz-ets", account_id="three")) is None
