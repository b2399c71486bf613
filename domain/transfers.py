"""Transfers and their lifecycle (after the Kyoto transaction log's statuses), and the ids they carry.

The state machine lives here so that every layer (workflow, ledger, gRPC) refuses
the same illegal moves.

Ids are compared byte for byte everywhere (ledger, registries, Temporal), so an id
that merely looks like another one is another account or transfer. The door
therefore takes only ids nobody can mistake for something else:

- account ids: 1-128 characters of ASCII letters, digits and ``. _ : @ / -``,
  starting and ending with a letter or digit (``demo-sz-emitter``, ``acct-12-dest``,
  ``HKCC-00981``, ``desk/7``, ``ops@bank``). ASCII only, so a Cyrillic ``С`` cannot
  pass for a Latin ``C``; no whitespace, control (NUL, newline) or format
  characters (zero-width space, right-to-left override, BOM).
- transfer ids: 1-128 characters of ASCII letters, digits and ``. _ : -``,
  starting with a letter or digit.

Both are matched whole (`re.fullmatch`), so a trailing newline is refused, not
let through by ``$``. Records already stored are never judged again: `AccountRef`
itself accepts any non-empty text, and the check runs where a caller's request
becomes a `TransferRequest` (and wherever else the gRPC edge takes an account id).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from domain.errors import IllegalTransition, InvalidInput, quoted
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
    # An operator's retry stands the transfer where the stopped step starts from.
    _S.NEEDS_INTERVENTION: frozenset({_S.COMPENSATED, _S.SETTLED, _S.SOURCE_LOCKED, _S.DESTINATION_CREDITED}),
    _S.REJECTED: frozenset(),
    # Evidence that a holder immobilised the units after the deadline flags a compensated transfer.
    _S.COMPENSATED: frozenset({_S.NEEDS_INTERVENTION}),
    _S.ANCHORED: frozenset(),
}


def check_transition(current: TransferState, new: TransferState) -> None:
    """Raise IllegalTransition unless the lifecycle connects `current` to `new`."""
    if new not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(f"a transfer cannot move from {current.value} to {new.value}")


ID_MAX_LENGTH = 128
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._:@/-]{0,126}[A-Za-z0-9])?")
_TRANSFER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
ACCOUNT_ID_RULE = (
    "account ids are 1-128 ASCII letters, digits and . _ : @ / -, starting and ending with a letter or digit"
)
TRANSFER_ID_RULE = "transfer ids are 1-128 ASCII letters, digits and . _ : -, starting with a letter or digit"
# Where a retirement's ledger transfer takes its units: "retired in that registry", not an account.
# '#' is in no account id, so no real account can be it, and nobody can name it at the door.
RETIRED_ACCOUNT_ID = "#retired"


def _invisible_or_foreign(value: str, alphabet: str) -> str | None:
    """What is wrong with the first character outside `alphabet` (letters and digits are ASCII ones)."""
    for char in value:
        if char.isascii() and (char.isalnum() or char in alphabet):
            continue
        category = unicodedata.category(char)
        kind = (
            "whitespace"
            if char.isspace()
            else "a control character"
            if category == "Cc"
            else "an invisible format character"
            if category == "Cf"
            else "a character outside the allowed alphabet"
        )
        return f"contains {kind} (U+{ord(char):04X})"
    return None


def _id_problem(value: str, pattern: re.Pattern[str], alphabet: str) -> str | None:
    if pattern.fullmatch(value):
        return None
    if not value:
        return "is empty"
    if len(value) > ID_MAX_LENGTH:
        return f"is {len(value)} characters long (at most {ID_MAX_LENGTH})"
    return _invisible_or_foreign(value, alphabet) or "must start and end with a letter or digit"


def require_account_id(value: str, field: str) -> str:
    """`value` when it is a well-formed account id; otherwise InvalidInput naming `field` (its full path)."""
    problem = _id_problem(value, _ACCOUNT_ID, "._:@/-")
    if problem is not None:
        raise InvalidInput(f"{field} {problem}: {quoted(value)}; {ACCOUNT_ID_RULE}", field=field)
    return value


def require_transfer_id(value: str, field: str = "transfer_id") -> str:
    """`value` when it is a well-formed transfer id; otherwise InvalidInput naming `field`."""
    problem = _id_problem(value, _TRANSFER_ID, "._:-")
    if problem is not None:
        raise InvalidInput(f"{field} {problem}: {quoted(value)}; {TRANSFER_ID_RULE}", field=field)
    return value


class Purpose(StrEnum):
    """What the units are transferred for, as the double-claiming check (DC-CLAIM) reads it.

    The values are what the ledger stores; the wire carries the `Purpose` enum of transfer.proto.
    """

    UNSPECIFIED = ""
    NDC = "NDC"  # towards a Party's nationally determined contribution
    OIMP = "OIMP"  # other international mitigation purposes
    VOLUNTARY = "voluntary"
    OFFSET = "offset"  # surrender for compliance in an emissions trading system

    @property
    def international_use(self) -> bool:
        """Purposes that need a host's authorisation and a corresponding adjustment when used abroad."""
        return self in (Purpose.NDC, Purpose.OIMP)


class AccountRef(BaseModel):
    """An account of a registry. Any non-empty id, so stored records always load; see the module doc."""

    model_config = ConfigDict(frozen=True)

    registry_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)


def retired_in(registry_id: str) -> AccountRef:
    """The pseudo-account of units retired in `registry_id` (the ledger locates retired serials there)."""
    return AccountRef(registry_id=registry_id, account_id=RETIRED_ACCOUNT_ID)


class Reason(BaseModel):
    """Why a transfer was refused or undone: a check code and one sentence."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class TransferRequest(BaseModel):
    """What a client asks for. `quantity` None moves the whole named block.

    Validating one judges the ids by today's rules; the ledger loads its stored
    requests without judging them again (`ledger.transfer_rows`).
    """

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    source: AccountRef
    destination: AccountRef
    serial: str
    quantity: int | None = None
    purpose: Purpose = Purpose.UNSPECIFIED
    # The covered entity's compliance year an offset counts towards (None: the year it is submitted).
    compliance_year: int | None = None

    @field_validator("transfer_id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        return require_transfer_id(value)

    @field_validator("source", "destination")
    @classmethod
    def _account_shape(cls, value: AccountRef, info: ValidationInfo) -> AccountRef:
        if info.field_name == "destination" and value.account_id == RETIRED_ACCOUNT_ID:
            return value  # a retirement (workflows.retirement); the gRPC edge refuses it in a request
        require_account_id(value.account_id, f"{info.field_name}.account_id")
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
    submitted_by: str | None = None  # the submitting caller's organisation; it alone sees the transfer

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
