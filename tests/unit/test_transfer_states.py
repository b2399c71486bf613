"""The transfer lifecycle: legal moves pass, illegal ones raise, final states stay final."""

from datetime import UTC, datetime

import pytest

from domain.errors import IllegalTransition, InvalidInput
from domain.serials import SerialBlock
from domain.transfers import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    AccountRef,
    Reason,
    Transfer,
    TransferRequest,
    TransferState,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BLOCK = SerialBlock(
    programme="CCER",
    serial_space="CCER",
    project_id="P1",
    vintage="2024",
    unit_type="CCER",
    country="CN",
    start=1,
    end=100,
)


def _transfer(**overrides: object) -> Transfer:
    request = TransferRequest(
        transfer_id="t-1",
        source=AccountRef(registry_id="cn-ccer", account_id="a"),
        destination=AccountRef(registry_id="cn-sz-ets", account_id="b"),
        serial="x",
    )
    return Transfer(request=request, block=BLOCK, created_at=NOW, updated_at=NOW, **overrides)


def test_happy_path_reaches_settled():
    t = _transfer()
    for state in (
        TransferState.CHECKED,
        TransferState.SOURCE_LOCKED,
        TransferState.DESTINATION_CREDITED,
        TransferState.SETTLED,
    ):
        t = t.advance(state, NOW)
    assert t.state is TransferState.SETTLED
    assert t.is_final


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (TransferState.RECEIVED, TransferState.SETTLED),
        (TransferState.RECEIVED, TransferState.SOURCE_LOCKED),
        (TransferState.CHECKED, TransferState.DESTINATION_CREDITED),
        (TransferState.SETTLED, TransferState.COMPENSATED),
        (TransferState.REJECTED, TransferState.CHECKED),
        (TransferState.COMPENSATED, TransferState.SETTLED),
        (TransferState.SOURCE_LOCKED, TransferState.REJECTED),
    ],
)
def test_illegal_moves_raise(start, target):
    with pytest.raises(IllegalTransition):
        _transfer(state=start).advance(target, NOW)


def test_same_state_is_a_no_op_so_retries_are_idempotent():
    t = _transfer(state=TransferState.CHECKED)
    assert t.advance(TransferState.CHECKED, NOW, (Reason(code="X", message="y"),)) is t


def test_rejection_keeps_reasons():
    t = _transfer().advance(TransferState.REJECTED, NOW, (Reason(code="DC-USE", message="taken"),))
    assert [r.code for r in t.reasons] == ["DC-USE"]


def test_only_settled_needs_intervention_and_compensated_leave_a_final_state():
    movable = {s for s in FINAL_STATES if ALLOWED_TRANSITIONS[s]}
    assert movable == {TransferState.SETTLED, TransferState.NEEDS_INTERVENTION, TransferState.COMPENSATED}
    # A compensated transfer is only ever flagged again (a holder's late immobilisation), never moved on.
    assert ALLOWED_TRANSITIONS[TransferState.COMPENSATED] == {TransferState.NEEDS_INTERVENTION}


def test_an_operator_retry_stands_a_flagged_transfer_where_its_stopped_step_starts():
    assert {TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED} <= ALLOWED_TRANSITIONS[
        TransferState.NEEDS_INTERVENTION
    ]
    assert TransferState.REJECTED not in ALLOWED_TRANSITIONS[TransferState.NEEDS_INTERVENTION]


@pytest.mark.parametrize("quantity", [0, -5])
def test_request_refuses_non_positive_quantity(quantity):
    with pytest.raises(InvalidInput) as refused:
        TransferRequest(
            transfer_id="t",
            source=AccountRef(registry_id="r", account_id="a"),
            destination=AccountRef(registry_id="s", account_id="b"),
            serial="x",
            quantity=quantity,
        )
    assert refused.value.field == "quantity"


def test_request_refuses_same_account():
    same = AccountRef(registry_id="r", account_id="a")
    with pytest.raises(InvalidInput, match="same account"):
        TransferRequest(transfer_id="t", source=same, destination=same, serial="x")


@pytest.mark.parametrize("bad_id", ["", " t", "t/1", "x" * 129])
def test_request_refuses_bad_ids(bad_id):
    with pytest.raises(InvalidInput):
        TransferRequest(
            transfer_id=bad_id,
            source=AccountRef(registry_id="r", account_id="a"),
            destination=AccountRef(registry_id="s", account_id="b"),
            serial="x",
        )
