"""The serial-block index: reservations, settlement into locations, and double-counting refusals."""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain.errors import DoubleCountingConflict, IllegalTransition, NotFound, PreconditionFailed
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
    ledger_url,
    open_ledger,
    running_cluster,
    transfer,
)
from tests.postgres_cluster import ThrowawayCluster

S = TransferState


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    yield from open_ledger(backend, tmp_path, request)


def reserved(
    ledger: Ledger, transfer_id: str, moved: SerialBlock, source: AccountRef = VERRA_A, destination=HK_B
) -> None:
    ledger.record_received(transfer(transfer_id, moved, source=source, destination=destination))
    ledger.reserve(transfer_id, moved, source)


def settled(
    ledger: Ledger,
    transfer_id: str,
    moved: SerialBlock,
    source: AccountRef,
    destination: AccountRef,
    minute: int,
) -> None:
    reserved(ledger, transfer_id, moved, source, destination)
    for step, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED)):
        ledger.advance(transfer_id, state, later(minute - 3 + step))
    ledger.settle(transfer_id, destination, later(minute))


def refusal(ledger: Ledger, transfer_id: str, moved: SerialBlock, source: AccountRef = VERRA_A):
    ledger.record_received(transfer(transfer_id, moved, source=source))
    with pytest.raises(DoubleCountingConflict) as refused:
        ledger.reserve(transfer_id, moved, source)
    assert refused.value.code == "DC-USE"
    return refused.value


def test_an_overlapping_reservation_is_refused_naming_the_holder_and_range(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(100, 200))

    conflict = refusal(ledger, "T2", block(150, 250))

    assert conflict.other_transfer_id == "T1"
    assert str(conflict) == "serials VCS 150-200 are reserved by transfer T1"


@pytest.mark.parametrize(("start", "end"), [(1, 1000), (100, 100), (200, 300), (120, 130), (50, 100)])
def test_every_kind_of_overlap_is_refused(ledger: Ledger, start: int, end: int) -> None:
    reserved(ledger, "T1", block(100, 200))

    assert refusal(ledger, "T2", block(start, end)).other_transfer_id == "T1"


def test_adjacent_ranges_and_other_serial_spaces_do_not_collide(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(100, 200))
    reserved(ledger, "T2", block(201, 300))
    reserved(ledger, "T3", block(1, 99))
    # Gold Standard restarts numbering per batch: the same numbers in another batch are other tonnes.
    reserved(ledger, "GS-1", block(100, 200, "GS:batch-30645"))
    reserved(ledger, "GS-2", block(100, 200, "GS:batch-30646"))

    assert refusal(ledger, "T4", block(99, 100)).other_transfer_id == "T3"


def test_reserving_again_for_the_same_transfer_is_a_no_op(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(100, 200))

    ledger.reserve("T1", block(100, 200), VERRA_A)

    assert refusal(ledger, "T2", block(200, 200)).other_transfer_id == "T1"
    with pytest.raises(PreconditionFailed):
        ledger.reserve("T1", block(100, 300), VERRA_A)


def test_release_frees_the_serials_and_can_be_repeated(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(100, 200))

    ledger.release("T1")
    ledger.release("T1")

    reserved(ledger, "T2", block(150, 250))
    assert refusal(ledger, "T3", block(100, 160)).other_transfer_id == "T2"


def test_a_rejected_transfer_lets_its_serials_go_and_reserves_nothing_more(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(100, 200))

    ledger.advance("T1", S.REJECTED, later(1))

    reserved(ledger, "T2", block(100, 200))
    with pytest.raises(PreconditionFailed):
        ledger.reserve("T1", block(100, 200), VERRA_A)


def test_reserving_for_an_unknown_transfer_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.reserve("ghost", block(1, 2), VERRA_A)


def test_settle_moves_the_serials_and_trims_what_was_there(ledger: Ledger) -> None:
    settled(ledger, "T1", block(1, 100), VERRA_A, HK_B, minute=10)
    assert ledger.location_of(block(1, 1000)) == [(block(1, 100), HK_B, "T1")]

    settled(ledger, "T2", block(30, 60), HK_B, SZ_C, minute=20)

    assert ledger.location_of(block(1, 1000)) == [
        (block(1, 29), HK_B, "T1"),
        (block(30, 60), SZ_C, "T2"),
        (block(61, 100), HK_B, "T1"),
    ]
    assert ledger.location_of(block(50, 70)) == [(block(50, 60), SZ_C, "T2"), (block(61, 70), HK_B, "T1")]
    assert ledger.location_of(block(1, 100, "GS:batch-1")) == []
    t2 = ledger.get("T2")
    assert t2 is not None and t2.state is S.SETTLED and t2.updated_at == later(20)


def test_after_settling_only_the_new_holder_may_move_the_serials(ledger: Ledger) -> None:
    settled(ledger, "T1", block(1, 100), VERRA_A, HK_B, minute=10)

    old_holder = refusal(ledger, "T2", block(90, 120), source=VERRA_A)
    reserved(
        ledger, "T3", block(50, 100), source=HK_B, destination=SZ_C
    )  # the settlement freed its reservation
    reserved(ledger, "T4", block(101, 120), source=VERRA_A)  # never tracked: the source's word stands

    assert old_holder.other_transfer_id == "T1"
    when = later(10).isoformat()
    assert str(old_holder) == (
        f"serials VCS 90-100 left registry verra account holder-a with transfer T1 at {when}; "
        "they live in registry hk-core-climate account exchange-b"
    )


def test_settling_again_changes_nothing(ledger: Ledger) -> None:
    settled(ledger, "T1", block(1, 100), VERRA_A, HK_B, minute=10)
    first = ledger.get("T1")

    again = ledger.settle("T1", HK_B, later(30))

    assert again == first
    assert ledger.location_of(block(1, 100)) == [(block(1, 100), HK_B, "T1")]
    assert [e.state for e in ledger.history("T1")][-1] is S.SETTLED
    assert len(ledger.history("T1")) == 5


def test_advancing_to_settled_settles_to_the_requested_destination(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(1, 100), VERRA_A, SZ_C)
    for minute, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED), start=1):
        ledger.advance("T1", state, later(minute))

    ledger.advance("T1", S.SETTLED, later(9))

    assert ledger.location_of(block(1, 100)) == [(block(1, 100), SZ_C, "T1")]


def test_settle_needs_a_credited_transfer_holding_a_reservation(ledger: Ledger) -> None:
    reserved(ledger, "T1", block(1, 100))
    with pytest.raises(IllegalTransition):
        ledger.settle("T1", HK_B, later(1))

    for minute, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED), start=1):
        ledger.advance("T1", state, later(minute))
    ledger.release("T1")
    with pytest.raises(PreconditionFailed):
        ledger.settle("T1", HK_B, later(9))
    unsettled = ledger.get("T1")
    assert unsettled is not None and unsettled.state is S.DESTINATION_CREDITED


# Concurrency: many writers on separate connections, on both databases.

THREADS = 120
LEDGERS = 4


@pytest.fixture
def ledgers(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Ledger]]:
    """Several ledgers (engines, pools) on one database, as several gateway processes would have."""
    url = ledger_url(backend, tmp_path, request)
    opened = [Ledger.open(url, pool_size=THREADS // LEDGERS) for _ in range(LEDGERS)]
    yield opened
    for ledger in opened:
        ledger.close()


def run_together(ledgers: list[Ledger], work: list, act) -> list[BaseException | None]:
    """Run `act(ledger, item)` for every item at once, one thread each; what each raised."""
    start = threading.Barrier(len(work))

    def one(index: int) -> BaseException | None:
        start.wait(timeout=30)
        try:
            act(ledgers[index % len(ledgers)], work[index])
        except Exception as exc:
            return exc
        return None

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return list(pool.map(one, range(len(work))))


def test_of_overlapping_concurrent_reservations_exactly_one_wins(ledgers: list[Ledger]) -> None:
    chance = random.Random(20260105)
    blocks = {}
    for n in range(THREADS):
        start = chance.randrange(0, 3000)
        blocks[f"T{n:03d}"] = block(start, start + chance.randrange(0, 80))
    for transfer_id, moved in blocks.items():
        ledgers[0].record_received(transfer(transfer_id, moved))

    outcomes = run_together(
        ledgers, list(blocks.items()), lambda ledger, item: ledger.reserve(item[0], item[1], VERRA_A)
    )

    winners = {tid for tid, outcome in zip(blocks, outcomes, strict=True) if outcome is None}
    losers = {tid: outcome for tid, outcome in zip(blocks, outcomes, strict=True) if outcome is not None}
    unexpected = [
        f"{tid}: {exc!r}" for tid, exc in losers.items() if not isinstance(exc, DoubleCountingConflict)
    ]
    assert unexpected == []
    assert winners and losers
    for a in winners:
        for b in winners - {a}:
            assert not blocks[a].overlaps(blocks[b]), (a, b)
    for loser, conflict in losers.items():
        assert isinstance(conflict, DoubleCountingConflict)
        assert conflict.other_transfer_id in winners
        assert blocks[loser].overlaps(blocks[conflict.other_transfer_id])


def test_concurrent_settlements_out_of_one_holding_all_land(ledgers: list[Ledger]) -> None:
    ledger = ledgers[0]
    settled(ledger, "T0", block(1, 2000), VERRA_A, HK_B, minute=5)
    pieces = {f"P{n:02d}": block(1 + 50 * n, 50 * (n + 1)) for n in range(0, 40, 2)}  # every other piece
    for transfer_id, piece in pieces.items():
        reserved(ledger, transfer_id, piece, HK_B, SZ_C)
        for minute, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED), start=6):
            ledger.advance(transfer_id, state, later(minute))

    outcomes = run_together(
        ledgers, list(pieces), lambda one, transfer_id: one.settle(transfer_id, SZ_C, later(20))
    )

    assert outcomes == [None] * len(pieces)
    where = ledger.location_of(block(1, 2000))
    assert [(part.start, part.end) for part, _, _ in where] == [(1 + 50 * n, 50 * (n + 1)) for n in range(40)]
    for part, account, transfer_id in where:
        moved = (part.start - 1) // 50 % 2 == 0
        assert (account, transfer_id) == ((SZ_C, f"P{(part.start - 1) // 50:02d}") if moved else (HK_B, "T0"))


# Settling random ranges in turn keeps the location map equal to a serial-by-serial model.

SPAN = 60
ACCOUNTS = (VERRA_A, HK_B, SZ_C)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
    # Each example is a few dozen transactions: skip the costly explain phase on failure.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
@given(
    moves=st.lists(
        st.tuples(st.integers(1, SPAN), st.integers(0, 25), st.sampled_from(ACCOUNTS)), min_size=1, max_size=6
    )
)
def test_settlements_keep_the_location_map_exact(
    ledger: Ledger, moves: list[tuple[int, int, AccountRef]]
) -> None:
    space = f"GS:{uuid.uuid4().hex}"  # a fresh serial space per example, in one database
    holder: dict[int, AccountRef] = {}
    for n, (start, length, destination) in enumerate(moves):
        moved = block(start, min(start + length, SPAN), space)
        source = holder.get(start, VERRA_A)
        if destination == source:
            destination = next(a for a in ACCOUNTS if a != source)
        may_move = all(holder.get(serial, source) == source for serial in range(moved.start, moved.end + 1))
        transfer_id = f"{space}-{n}"
        ledger.record_received(transfer(transfer_id, moved, source=source, destination=destination))
        try:
            ledger.reserve(transfer_id, moved, source)
        except DoubleCountingConflict:
            assert not may_move
            continue
        assert may_move
        for minute, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED, S.SETTLED)):
            ledger.advance(transfer_id, state, later(minute))
        holder.update(dict.fromkeys(range(moved.start, moved.end + 1), destination))

    found = ledger.location_of(block(1, SPAN, space))
    assert [part.start for part, _, _ in found] == sorted(part.start for part, _, _ in found)
    assert all(a.end < b.start for (a, _, _), (b, _, _) in itertools.pairwise(found))
    assert {
        serial: account for part, account, _ in found for serial in range(part.start, part.end + 1)
    } == holder
