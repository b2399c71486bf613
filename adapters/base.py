"""The registry adapter interface: what the workflow needs from any registry.

Every mutating call carries an idempotency key built from (transfer id, step), so
Temporal may retry an activity as often as it likes without applying a step twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from domain.holdings import Holding
from domain.registries import RegistryInfo
from domain.serials import SerialBlock, SerialGrammar
from domain.units import UnitStatus


@dataclass(frozen=True)
class RegistryProfile:
    """Everything the gateway knows about one registry, as its module declares it.

    `grammars` maps an issuing programme to the grammar its serials use; a
    registry holding mirrored units (Core Climate holding VCUs) lists each
    programme it accepts. `status_words` maps the registry's own words to ours.
    """

    info: RegistryInfo
    grammar: SerialGrammar
    status_words: dict[str, UnitStatus]
    accepted_programmes: frozenset[str] = field(default_factory=frozenset)

    @property
    def registry_id(self) -> str:
        return self.info.registry_id

    def word_for(self, status: UnitStatus) -> str:
        """The registry's own word for one of our statuses (the first one declared)."""
        for word, ours in self.status_words.items():
            if ours is status:
                return word
        raise KeyError(f"{self.registry_id} has no word for status {status.value}")


class AccountState(StrEnum):
    """Where an account stands in its registry: only an open account may receive units."""

    OPEN = "open"
    BLOCKED = "blocked"  # exists, but the registry lets nothing in or out (a transaction-log check)
    UNKNOWN = "unknown"  # the registry has no such account


class RegistryAdapter(Protocol):
    """A client of one registry.

    Raises domain errors: RegistryRefused (final) and RegistryUnavailable (retry).
    """

    profile: RegistryProfile

    async def holdings(self, account_id: str | None = None) -> list[Holding]: ...

    async def account_state(self, account_id: str) -> AccountState:
        """Whether the account exists and may receive units (asked before a transfer is accepted)."""

    async def lock(self, key: str, account_id: str, block: SerialBlock) -> None:
        """Immobilise `block` (contained in a held block of the account) for a transfer."""

    async def unlock(self, key: str) -> None:
        """Undo `lock(key, ...)`: the units are held again. No-op if never locked."""

    async def finalise(self, key: str) -> None:
        """Export the units locked under `key`: they leave this registry."""

    async def credit(self, key: str, account_id: str, block: SerialBlock) -> None:
        """Create `block` as held units in the account."""

    async def uncredit(self, key: str) -> None:
        """Undo `credit(key, ...)`: the credited units leave the account. No-op if never credited."""

    async def retire(
        self, key: str, account_id: str, block: SerialBlock, beneficiary: str, reason: str
    ) -> None:
        """Retire `block` (contained in a held block of the account) on `beneficiary`'s behalf; final:
        nothing undoes it. The same key again is a no-op."""
