"""What a check reports: a code, one sentence naming the collision, and the collision as data.

The sentence is for the person refused; `collides_with` is for the machine (the
gRPC error details, the regulator's report), so neither has to parse the other.
A rule pack's finding also carries its rule's meaning and source, so a report
can say which regulation refused the transfer without loading the pack that was
in force then.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from compliance_rules.facts import DoubleCountingFacts
from compliance_rules.proposal import TransferProposal
from domain.serials import SerialBlock
from domain.transfers import Reason


class Collision(BaseModel):
    """What the proposed units collide with; only the fields that apply are set."""

    model_config = ConfigDict(frozen=True)

    serial_space: str | None = None
    start: int | None = None
    end: int | None = None
    transfer_id: str | None = None
    registry_id: str | None = None
    account_id: str | None = None
    programme: str | None = None
    project_id: str | None = None
    reference: str | None = None  # the other record: issuance, certificate, authorisation, pledge, source

    @classmethod
    def over(cls, shared: SerialBlock, **fields: str | None) -> Collision:
        """A collision over the serials `shared`."""
        return cls(serial_space=shared.serial_space, start=shared.start, end=shared.end, **fields)


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    collides_with: Collision | None = None
    meaning: str | None = None  # a rule pack's finding: its rule's one-line meaning
    source: str | None = None  # ... and the document and article it comes from

    def reason(self) -> Reason:
        """The finding as the transfer's refusal reason."""
        return Reason(code=self.code, message=self.message)


class Check(Protocol):
    """One business check: a code, one sentence of meaning, and every finding it has."""

    code: ClassVar[str]
    meaning: ClassVar[str]

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]: ...


def shared_serials(block: SerialBlock, other: SerialBlock) -> SerialBlock:
    """The serials of `block` that `other` also covers (the caller knows they overlap)."""
    return block.with_range(max(block.start, other.start), min(block.end, other.end))


def serials(block: SerialBlock) -> str:
    """Serials as every message writes them, the same words as the ledger's index."""
    return f"serials {block.serial_space} {block.start}-{block.end}"
