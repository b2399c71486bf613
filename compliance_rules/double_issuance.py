"""DC-ISSUE: the same reduction issued in two programmes.

A project registered twice (in CCER and Verra, or in a carbon-inclusive scheme
and CCER) is known only because a regulator says so in the crosswalk; the check
then compares the monitoring periods of the two registrations' issuances
(decision 5/CMP.1 para 42: improper issuance).
"""

from __future__ import annotations

from typing import ClassVar

from compliance_rules.facts import CrosswalkEntry, DoubleCountingFacts, IssuanceRecord
from compliance_rules.findings import Collision, Finding, serials, shared_serials
from compliance_rules.periods import Period
from compliance_rules.proposal import TransferProposal
from domain.serials import SerialBlock


class DoubleIssuanceCheck:
    code: ClassVar[str] = "DC-ISSUE"
    meaning: ClassVar[str] = (
        "The serials were not issued for a monitoring period in which the same project, "
        "registered in another programme, was issued credits too."
    )

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]:
        block = proposal.block
        entries = facts.crosswalk_for(block.programme, block.project_id)
        if not entries:
            return []
        own = facts.issuances_overlapping(block)
        if not own:
            return [self._unknown_period(proposal, entries[0])]
        return [
            finding
            for issuance in own
            for entry in entries
            for finding in self._against(proposal, issuance, entry, facts)
        ]

    def _against(
        self,
        proposal: TransferProposal,
        issuance: IssuanceRecord,
        entry: CrosswalkEntry,
        facts: DoubleCountingFacts,
    ) -> list[Finding]:
        other = entry.other_side(issuance.programme, issuance.project_id)
        window = _window(issuance.monitoring_period, entry.period)
        if other is None or window is None:
            return []
        twins = facts.issuances_in(other[0], other[1], window)
        shared = shared_serials(proposal.block, issuance.block)
        return [self._twin(shared, issuance, twin, entry, window) for twin in twins]

    def _twin(
        self,
        shared_block: SerialBlock,
        issuance: IssuanceRecord,
        twin: IssuanceRecord,
        entry: CrosswalkEntry,
        window: Period,
    ) -> Finding:
        days = window.overlap(twin.monitoring_period)
        return Finding(
            code=self.code,
            message=f"{serials(shared_block)} were issued for monitoring period "
            f"{issuance.monitoring_period}, which overlaps on {days} with {twin.programme} project "
            f"{twin.project_id} issuance {twin.issuance_id} ({serials(twin.block)}); "
            f"crosswalk from {entry.source_reference}",
            collides_with=Collision.over(
                shared_block,
                programme=twin.programme,
                project_id=twin.project_id,
                reference=twin.issuance_id,
            ),
        )

    def _unknown_period(self, proposal: TransferProposal, entry: CrosswalkEntry) -> Finding:
        # Refused rather than passed: without its monitoring period the overlap cannot be ruled out.
        block = proposal.block
        other = entry.other_side(block.programme, block.project_id)
        twin = f"{other[0]} project {other[1]}" if other else "another registration"
        return Finding(
            code=self.code,
            message=f"{serials(block)} have no issuance record, so their monitoring period cannot be "
            f"compared with {twin}, the same project per crosswalk from {entry.source_reference}",
            collides_with=Collision.over(
                block,
                programme=other[0] if other else None,
                project_id=other[1] if other else None,
                reference=entry.source_reference,
            ),
        )


def _window(monitoring_period: Period, crosswalk_period: Period | None) -> Period | None:
    """The days in which the crosswalk says both registrations covered the same reductions."""
    if crosswalk_period is None:
        return monitoring_period
    return monitoring_period.overlap(crosswalk_period)
