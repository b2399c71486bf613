"""The sandbox's HTTP contract: every request and response body, shared by server and client.

One module so that the server and `adapters.http_client` cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.base import AccountState
from domain.serials import SerialBlock
from domain.transfers import require_account_id
from domain.units import UnitStatus


class Operation(StrEnum):
    """The mutating operations; idempotency is keyed by (registry, key, operation)."""

    LOCK = "lock"
    RELEASE = "release"
    FINALISE = "finalise"
    CREDIT = "credit"
    REVERSE = "reverse"
    RETIRE = "retire"
    SEED = "seed"


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetirementOut(WireModel):
    """On whose behalf, and why, units were retired under `key` (`POST retirements`)."""

    key: str
    beneficiary: str
    reason: str


class HoldingOut(WireModel):
    """One row of a registry's book: units, our status and the registry's own word for it.

    `retirement` is set on units retired through `POST retirements`; a holder's own
    retirement in an evidence-based registry shows in that registry's public API instead.
    """

    account_id: str
    block: SerialBlock
    status: UnitStatus
    registry_status: str
    retirement: RetirementOut | None = None


class HoldingsResponse(WireModel):
    registry_id: str
    holdings: list[HoldingOut]


class LockRequest(WireModel):
    key: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1)
    block: SerialBlock


class CreditRequest(WireModel):
    key: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1)
    block: SerialBlock


class RetirementRequest(WireModel):
    """Retire `block` for good on `beneficiary`'s behalf (not the holder's own `RetireRequest`)."""

    key: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1)
    block: SerialBlock
    beneficiary: str = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=2000)


class EmptyRequest(WireModel):
    """Body of release, finalise and reverse: everything they need is in the path."""


class KeyState(StrEnum):
    """Where the units named by one lock, credit or retire key stand."""

    LOCKED = "locked"
    RELEASED = "released"
    FINALISED = "finalised"
    CREDITED = "credited"
    REVERSED = "reversed"
    RETIRED = "retired"  # final: nothing undoes a retirement


class OperationResult(WireModel):
    """What a mutating call did. `changed` is False for a release or reverse of an unknown key.

    `retirement` is set on the answer to a retire.
    """

    registry_id: str
    key: str
    operation: Operation
    state: KeyState
    changed: bool
    account_id: str | None = None
    block: SerialBlock | None = None
    retirement: RetirementOut | None = None


class ErrorBody(WireModel):
    """Every refusal: a stable code the gateway can report and one sentence of meaning."""

    code: str
    message: str


class AccountOut(WireModel):
    """The answer to an account lookup: open, blocked, or unknown to the registry."""

    registry_id: str
    account_id: str
    state: AccountState


class AccountIn(WireModel):
    """An account an operator opens or blocks (admin). Its id must be one the gateway would accept."""

    registry_id: str
    account_id: str
    state: AccountState = AccountState.OPEN

    @field_validator("account_id")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        return require_account_id(value, "account_id")

    @field_validator("state")
    @classmethod
    def _settable(cls, value: AccountState) -> AccountState:
        if value is AccountState.UNKNOWN:
            raise ValueError("an account can be opened or blocked, not made unknown")
        return value


class AccountsRequest(WireModel):
    """Accounts to open or block, all or none (`PUT /admin/accounts`); setting a state again is a no-op."""

    accounts: list[AccountIn] = Field(min_length=1, max_length=10_000)


class AccountsResponse(WireModel):
    accounts: list[AccountOut]


class SeedHolding(WireModel):
    registry_id: str
    account_id: str = Field(min_length=1)
    block: SerialBlock
    status: UnitStatus = UnitStatus.HELD


class SeedRequest(WireModel):
    """Holdings to insert as they are; applied once per `seed_key`. Opens each holder's account."""

    seed_key: str = Field(min_length=1, max_length=200)
    holdings: list[SeedHolding]


class SeedResult(WireModel):
    seed_key: str
    inserted: int


class TotalsResponse(WireModel):
    """Live units (statuses in LIVE_STATUSES) per registry and unit class, and per unit class overall.

    Unit classes are written "programme/unit_type"; a transfer must leave `by_unit_class` unchanged.
    """

    by_registry: dict[str, dict[str, int]]
    by_unit_class: dict[str, int]


class HolderAction(StrEnum):
    """What an account holder does in an evidence-based registry's own web app (not a gateway call)."""

    IMMOBILISE = "immobilise"
    RETIRE = "retire"
    RELEASE = "release"


class ImmobiliseRequest(WireModel):
    """Immobilise `block` for a transfer; `details` is the holder's text (it should name the transfer)."""

    account_id: str = Field(min_length=1)
    block: SerialBlock
    details: str = Field(min_length=1, max_length=2000)


class RetireRequest(WireModel):
    account_id: str = Field(min_length=1)
    block: SerialBlock
    details: str = Field(default="", max_length=2000)
    beneficiary: str | None = None
    reason: str | None = None


class ReleaseRequest(WireModel):
    """Undo an immobilisation of exactly `block` (the holder abandoned the transfer)."""

    account_id: str = Field(min_length=1)
    block: SerialBlock


class HolderActionResult(WireModel):
    registry_id: str
    action: HolderAction
    account_id: str
    block: SerialBlock
    status: UnitStatus
    registry_status: str
    acted_at: str


class RegistryOut(WireModel):
    registry_id: str
    name: str
    programme: str
    accepted_programmes: list[str]


class RegistriesResponse(WireModel):
    registries: list[RegistryOut]
