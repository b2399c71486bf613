"""DC-USE: the same serials live, or retired, in two places.

Reservations and locations are keyed by the issuing programme's serial space, so
a Verra block mirrored into Core Climate or Shenzhen still collides with the same
Verra serials wherever they are, while another Gold Standard batch with the
same numbers does not (decision 5/CMP.1 para 42: units held in more than one
registry).
"""

from __future__ import annotations

from typing import ClassVar

from compliance_rules.facts import DoubleCountingFacts, Location, Reservation
from compliance_rules.findings import Collision, Finding, serials, shared_serials
from compliance_rules.proposal import TransferProposal
from domain.units import UnitStatus


class DoubleUseCheck:
    code: ClassVar[str] = "DC-USE"
    meaning: ClassVar[str] = (
        "The serials are neither reserved by another transfer in flight nor live or retired "
        "anywhere other than the source account."
    )

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]:
        reserved = [
            self._reserved(proposal, row)
            for row in facts.reservations_overlapping(proposal.block)
            if row.transfer_id != proposal.transfer_id  # our own reservation, on a retried check
        ]
        elsewhere = [
            self._elsewhere(proposal, row)
            for row in facts.locations_overlapping(proposal.block)
            if row.holder != proposal.source or row.status is UnitStatus.RETIRED
        ]
        return reserved + elsewhere

    def _reserved(self, proposal: TransferProposal, row: Reservation) -> Finding:
        shared = shared_serials(proposal.block, row.block)
        return Finding(
            code=self.code,
            message=f"{serials(shared)} are reserved by transfer {row.transfer_id} "
            f"from registry {row.source.registry_id} account {row.source.account_id}",
            collides_with=Collision.over(
                shared,
                transfer_id=row.transfer_id,
                registry_id=row.source.registry_id,
                account_id=row.source.account_id,
            ),
        )

    def _elsewhere(self, proposal: TransferProposal, row: Location) -> Finding:
        shared = shared_serials(proposal.block, row.block)
        state = "were retired" if row.status is UnitStatus.RETIRED else "live"
        return Finding(
            code=self.code,
            message=f"{serials(shared)} {state} in registry {row.holder.registry_id} "
            f"account {row.holder.account_id}, moved there by transfer {row.transfer_id} "
            f"at {row.settled_at.isoformat()}",
            collides_with=Collision.over(
                shared,
                transfer_id=row.transfer_id,
                registry_id=row.holder.registry_id,
                account_id=row.holder.account_id,
            ),
        )
