"""DC-STATUS: units whose status does not let them move.

Retired, cancelled or expired units are spent (decision 5/CMP.1 para 42: units
previously retired or cancelled); locked units belong to another transfer or
process at their registry; exported units have left it; pledged units stay put
until the lender releases them. Statuses come from the source registry's
holdings, which the caller reads just before the check, and pledges from the
gateway's own ledger, since a lender's pledge may be recorded nowhere else.
"""

from __future__ import annotations

from typing import ClassVar

from compliance_rules.facts import DoubleCountingFacts, Pledge
from compliance_rules.findings import Collision, Finding, serials, shared_serials
from compliance_rules.proposal import TransferProposal
from domain.holdings import Holding
from domain.units import UnitStatus

IMMOVABLE = frozenset(
    {
        UnitStatus.RETIRED,
        UnitStatus.CANCELLED,
        UnitStatus.EXPIRED,
        UnitStatus.LOCKED,
        UnitStatus.PLEDGED,
        UnitStatus.EXPORTED,
    }
)


class UnitStatusCheck:
    code: ClassVar[str] = "DC-STATUS"
    meaning: ClassVar[str] = (
        "The units are not retired, cancelled, expired, exported, locked by another transfer "
        "or pledged to a lender."
    )

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]:
        statuses = [
            self._status(proposal, holding)
            for holding in proposal.source_holdings
            if holding.status in IMMOVABLE and holding.block.overlaps(proposal.block)
        ]
        pledges = [
            self._pledged(proposal, pledge)
            for pledge in facts.pledges_overlapping(proposal.block)
            if pledge.consented_transfer_id != proposal.transfer_id
        ]
        return statuses + pledges

    def _status(self, proposal: TransferProposal, holding: Holding) -> Finding:
        shared = shared_serials(proposal.block, holding.block)
        return Finding(
            code=self.code,
            message=f"{serials(shared)} are {holding.status.value} in registry {holding.registry_id} "
            f"account {holding.account_id} (registry status {holding.registry_status!r})",
            collides_with=Collision.over(
                shared, registry_id=holding.registry_id, account_id=holding.account_id
            ),
        )

    def _pledged(self, proposal: TransferProposal, pledge: Pledge) -> Finding:
        shared = shared_serials(proposal.block, pledge.block)
        return Finding(
            code=self.code,
            message=f"{serials(shared)} are pledged to {pledge.lender} under pledge {pledge.pledge_id} "
            f"by registry {pledge.holder.registry_id} account {pledge.holder.account_id}",
            collides_with=Collision.over(
                shared,
                registry_id=pledge.holder.registry_id,
                account_id=pledge.holder.account_id,
                reference=pledge.pledge_id,
            ),
        )
