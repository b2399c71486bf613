"""The ledger's record of transfers: storing, reading, listing in pages, and the lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from domain.errors import IllegalTransition, InvalidInput, NotFound
from domain.transfers import Reason, TransferState
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

S = TransferState


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    yield from open_ledger(request.param, tmp_path, request)


def test_a_recorded_transfer_reads_back_unchanged(ledger: Ledger) -> None:
    original = transfer("T1", block(9_000_000_000, 9_000_000_499))

    stored, created = ledger.record_received(original)

    assert created
    assert stored == original
    assert ledger.get("T1") == original
    read_back = ledger.get("T1")
    assert read_back is not None and read_back.block.attributes == {"issuance": "9660"}
    assert ledger.get("nobody") is None


def test_recording_a_taken_id_returns_what_is_stored(ledger: Ledger) -> None:
    original = transfer("T1")
    ledger.record_received(original)

    stored, created = ledger.record_received(transfer("T1", block(500, 600), destination=SZ_C))

    assert not created
    assert stored == original


def test_list_pages_through_every_transfer_in_creation_order(ledger: Ledger) -> None:
    # Two transfers share a creation time: the id breaks the tie.
    minutes = {"T5": 0, "T3": 1, "T4": 1, "T1": 2, "T7": 3, "T2": 4, "T6": 5}
    for transfer_id, minute in sorted(minutes.items()):
        ledger.record_received(transfer(transfer_id, created_at=later(minute)))

    pages, token = [], None
    while True:
        page, token = ledger.list(
            states=None, registry_id=None, account_id=None, page_size=3, page_token=token
        )
        pages.append([t.transfer_id for t in page])
        if token is None:
            break

    assert pages == [["T5", "T3", "T4"], ["T1", "T7", "T2"], ["T6"]]


def test_a_page_that_ends_exactly_has_no_next_token(ledger: Ledger) -> None:
    for n in range(4):
        ledger.record_received(transfer(f"T{n}", created_at=later(n)))

    first, token = ledger.list(page_size=2)
    second, last = ledger.list(page_size=2, page_token=token)

    assert [t.transfer_id for t in first + second] == ["T0", "T1", "T2", "T3"]
    assert last is None


def test_list_filters_by_state_registry_and_account(ledger: Ledger) -> None:
    ledger.record_received(transfer("A-to-B", source=VERRA_A, destination=HK_B, created_at=later(1)))
    ledger.record_received(transfer("B-to-C", source=HK_B, destination=SZ_C, created_at=later(2)))
    ledger.record_received(transfer("A-to-C", source=VERRA_A, destination=SZ_C, created_at=later(3)))
    ledger.advance("B-to-C", S.CHECKED, later(4))

    def ids(**filters: object) -> list[str]:
        return [t.transfer_id for t in ledger.list(page_size=10, **filters)[0]]

    assert ids(states={S.CHECKED}) == ["B-to-C"]
    assert ids(states={S.RECEIVED, S.CHECKED}) == ["A-to-B", "B-to-C", "A-to-C"]
    assert ids(registry_id=HK_B.registry_id) == ["A-to-B", "B-to-C"]  # as source or destination
    assert ids(registry_id=SZ_C.registry_id, account_id=SZ_C.account_id) == ["B-to-C", "A-to-C"]
    assert ids(account_id=VERRA_A.account_id, states={S.RECEIVED}) == ["A-to-B", "A-to-C"]
    assert ids(registry_id="nowhere") == []


def test_a_token_the_ledger_did_not_issue_is_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput):
        ledger.list(page_size=10, page_token="not-a-token")


def test_advance_follows_the_lifecycle_and_appends_events(ledger: Ledger) -> None:
    ledger.record_received(transfer("T1"))
    warning = Reason(code="RULE-7", message="vintage close to the cap")

    ledger.advance("T1", S.CHECKED, later(1), (warning,))
    moved = ledger.advance("T1", S.SOURCE_LOCKED, later(2))

    assert moved.state is S.SOURCE_LOCKED
    assert moved.updated_at == later(2)
    assert moved.reasons == (warning,)
    assert ledger.get("T1") == moved
    assert [(e.seq, e.state, e.at, e.reasons) for e in ledger.history("T1")] == [
        (1, S.RECEIVED, later(0), ()),
        (2, S.CHECKED, later(1), (warning,)),
        (3, S.SOURCE_LOCKED, later(2), ()),
    ]


def test_advancing_to_the_current_state_again_changes_nothing(ledger: Ledger) -> None:
    ledger.record_received(transfer("T1"))
    refusal = Reason(code="DC-USE", message="serials VCS 1-100 are reserved by transfer T0")
    first = ledger.advance("T1", S.REJECTED, later(1), (refusal,))

    again = ledger.advance("T1", S.REJECTED, later(5), (refusal,))

    assert again == first
    assert again.reasons == (refusal,)
    assert len(ledger.history("T1")) == 2


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), S.DESTINATION_CREDITED),
        ((), S.SETTLED),
        ((S.REJECTED,), S.CHECKED),
        ((S.CHECKED, S.SOURCE_LOCKED), S.RECEIVED),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(
    ledger: Ledger, path: tuple[TransferState, ...], illegal: TransferState
) -> None:
    ledger.record_received(transfer("T1"))
    for minute, state in enumerate(path, start=1):
        ledger.advance("T1", state, later(minute))
    before = ledger.get("T1")

    with pytest.raises(IllegalTransition):
        ledger.advance("T1", illegal, later(30))

    assert ledger.get("T1") == before
    assert len(ledger.history("T1")) == len(path) + 1


def test_advancing_an_unknown_transfer_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.advance("ghost", S.CHECKED, later(1))


def test_a_time_without_a_zone_is_refused_not_guessed(ledger: Ledger) -> None:
    ledger.record_received(transfer("T1"))

    with pytest.raises(StatementError, match="naive"):
        ledger.advance("T1", S.CHECKED, later(1).replace(tzinfo=None))

    unchanged = ledger.get("T1")
    assert unchanged is not None and unchanged.state is S.RECEIVED
