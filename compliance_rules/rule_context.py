"""One transfer as the rules of a rulebook judge it: the proposal, the facts and the compliance year.

Several rules ask the same questions (whose account is this, what did the
entity emit, what has it already used for offset); the context asks the facts
once per evaluation and remembers the answers, so adding a rule to a pack adds
no queries to the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from compliance_rules.proposal import TransferProposal
from compliance_rules.rule_facts import ComplianceFacts, CoveredEntity, OffsetUse


@dataclass(frozen=True)
class RuleContext:
    proposal: TransferProposal
    facts: ComplianceFacts
    year: int
    _emissions: dict[tuple[str, int], int | None] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def entity(self) -> CoveredEntity | None:
        """The covered entity of the destination account: the one that would surrender the units."""
        return self.facts.covered_entity_of(self.proposal.destination)

    def verified_emissions(self, entity_id: str, year: int) -> int | None:
        key = (entity_id, year)
        if key not in self._emissions:
            self._emissions[key] = self.facts.verified_emissions(entity_id, year)
        return self._emissions[key]

    @cached_property
    def offsets_used(self) -> list[OffsetUse]:
        """The destination entity's other offset uses in the compliance year (never this transfer's own)."""
        if self.entity is None:
            return []
        uses = self.facts.offset_used(self.entity.entity_id, self.year)
        return [use for use in uses if use.transfer_id != self.proposal.transfer_id]

    @property
    def origin(self) -> str:
        """Where the units come from: the jurisdiction of their source registry (see `OffsetUse`)."""
        return self.proposal.source_jurisdiction
