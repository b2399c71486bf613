"""Transfers and their lifecycle (after the Kyoto transaction log's statuses).

The state machine lives here so that every layer (workflow, ledger, gRPC) refuses
the same illegal moves.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.errors import IllegalTransition, InvalidInput
from domain.serials import SerialBlock


class TransferState(StrEnum):
    RECEIVED = "received"
    CHECKED = "checked"
    SOURCE_LOCKED = "source_locked"
    DESTINATION_CREDITED = "destination_credited"
    SETTLED = "settled"
    REJECTED = "rejected"
    COMPENSATED = "compensated"
    NEEDS_INTERVENTION = "needs_intervention"
    ANCHORED = "anchored"


FINAL_STATES = frozenset(
    {
        TransferState.SETTLED,
        TransferState.REJECTED,
        TransferState.COMPENSATED,
        TransferState.NEEDS_INTERVENTION,
        TransferState.ANCHORED,
    }
)

_S = TransferState
ALLOWED_TRANSITIONS: dict[TransferState, frozenset[TransferState]] = {
    _S.RECEIVED: frozenset({_S.CHECKED, _S.REJECTED, _S.NEEDS_INTERVENTION}),
    _S.CHECKED: frozenset({_S.SOURCE_LOCKED, _S.REJECTED, _S.COMPENSATED, _S.NEEDS_INTERVENTION}),
    _S.SOURCE_LOCKED: frozenset({_S.DESTINATION_CREDITED, _S.COMPENSATED, _S.NEEDS_INTERVENTION}),
    _S.DESTINATION_CREDITED: frozenset({_S.SETTLED, _S.COMPENSATED, _S.NEEDS_INTERVENTION}),
    _S.SETTLED: frozenset({_S.ANCHORED}),
    _S.NEEDS_INTERVENTION: frozenset({_S.COMPENSATED, _S.SETTLED}),
    _S.REJECTED: frozenset(),
    _S.COMPENSATED: frozenset(),
    _S.ANCHORED: frozenset(),
}


def check_transition(current: TransferState, new: TransferState) -> None:
    """Raise IllegalTransition unless the lifecycle connects `current` to `new`."""
    if new not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(f"a transfer cannot move from {current.value} to {new.value}")


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class AccountRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)


class Reason(BaseModel):
    """Why a transfer was refused or undone: a check code and one sentence."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class TransferRequest(BaseModel):
    """What a client asks for. `quantity` None moves the whole named block."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    source: AccountRef
    destination: AccountRef
    serial: str
    quantity: int | None = None
    purpose: str = ""

    @field_validator("transfer_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise InvalidInput(
                "transfer_id must be 1-128 letters, digits or . _ : - and start with a letter or digit",
                field="transfer_id",
            )
        return value

    @field_validator("quantity")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise InvalidInput(f"quantity must be positive, got {value}", field="quantity")
        return value

    @model_validator(mode="after")
    def _distinct_accounts(self) -> TransferRequest:
        if self.source == self.destination:
            raise InvalidInput("source and destination are the same account", field="destination")
        return self


class Transfer(BaseModel):
    """A transfer as the ledger records it: the request, the block it moves, where it stands."""

    request: TransferRequest
    block: SerialBlock  # the units this transfer moves (the head of the named block)
    state: TransferState = TransferState.RECEIVED
    reasons: tuple[Reason, ...] = ()
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None = None  # part of the settlement's anchored leaf

    @property
    def transfer_id(self) -> str:
        return self.request.transfer_id

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def advance(self, new: TransferState, at: datetime, reasons: tuple[Reason, ...] = ()) -> Transfer:
        """The transfer in `new` state; same-state moves are no-ops so retries stay idempotent."""
        if new == self.state:
            return self
        check_transition(self.state, new)
        return self.model_copy(update={"state": new, "updated_at": at, "reasons": self.reasons + reasons})
