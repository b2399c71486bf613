"""DC-CLAIM: a mitigation outcome counted by its host and by the Party or scheme that uses it abroad.

Article 6.2 lets a Party use another's outcomes towards its NDC, or for other
international mitigation purposes, only with the host's authorisation and a
corresponding adjustment by the host. The check refuses the transfer that would
take units abroad for such a use without a covering authorisation, and any such
use of units the host marked "mitigation contribution". The adjustment itself
comes later (in the host's reporting); the first transfer records it, and the
Article 6 report flags uses abroad whose adjustment is not yet applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from compliance_rules.facts import Authorisation, AuthorisedUse, DoubleCountingFacts, FirstTransfer
from compliance_rules.findings import Collision, Finding, serials
from compliance_rules.proposal import Purpose, TransferProposal
from domain.serials import SerialBlock


class ClaimCheck:
    code: ClassVar[str] = "DC-CLAIM"
    meaning: ClassVar[str] = (
        "Units used abroad towards an NDC or other international mitigation purpose carry their host "
        "Party's authorisation for that use, and mitigation contribution units are never so used."
    )

    def evaluate(self, proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Finding]:
        if not proposal.purpose.international_use:
            return []
        if proposal.using_party is None:
            return [self._no_party(proposal)]
        if not proposal.leaves_host:
            return []  # the host's own NDC: nothing to adjust
        authorisations = host_authorisations(proposal, facts)
        contributions = [
            a for a in authorisations if a.authorised_use is AuthorisedUse.MITIGATION_CONTRIBUTION
        ]
        use = AuthorisedUse(proposal.purpose.value)
        matching = [a for a in authorisations if a.authorised_use is use]
        return [self._contribution(proposal, a) for a in contributions] + [
            self._unauthorised(proposal, part) for part in uncovered(proposal.block, matching)
        ]

    def _no_party(self, proposal: TransferProposal) -> Finding:
        return Finding(
            code=self.code,
            message=f"{serials(proposal.block)} go to international registry {proposal.destination.registry_id} "
            f"for {proposal.purpose.value} use, but no acquiring Party is named",
            collides_with=Collision.over(proposal.block, registry_id=proposal.destination.registry_id),
        )

    def _contribution(self, proposal: TransferProposal, authorisation: Authorisation) -> Finding:
        part = authorisation.covering(proposal.block) or proposal.block
        return Finding(
            code=self.code,
            message=f"{serials(part)} are mitigation contribution units under authorisation "
            f"{authorisation.authorisation_id} of {authorisation.host_party} and cannot be used "
            f"towards {proposal.using_party}'s {proposal.purpose.value}",
            collides_with=Collision.over(part, reference=authorisation.authorisation_id),
        )

    def _unauthorised(self, proposal: TransferProposal, part: SerialBlock) -> Finding:
        return Finding(
            code=self.code,
            message=f"{serials(part)} have no authorisation by host {proposal.host_party} for "
            f"{proposal.purpose.value} use and cannot go to {proposal.using_party}",
            collides_with=Collision.over(part, registry_id=proposal.destination.registry_id),
        )


def host_authorisations(proposal: TransferProposal, facts: DoubleCountingFacts) -> list[Authorisation]:
    """Authorisations of the block's own host; another Party cannot authorise outcomes it did not host."""
    return [a for a in facts.authorisations_covering(proposal.block) if a.host_party == proposal.host_party]


def uncovered(block: SerialBlock, authorisations: list[Authorisation]) -> list[SerialBlock]:
    """The parts of `block` that none of `authorisations` covers."""
    rest = [block]
    for authorisation in authorisations:
        part = authorisation.covering(block)
        if part is not None:
            rest = [piece for left in rest for piece in left.subtract(part)]
    return rest


def first_transfer_for(
    proposal: TransferProposal, facts: DoubleCountingFacts, at: datetime
) -> FirstTransfer | None:
    """The first-transfer record this transfer creates, or None when it is not a first transfer.

    A first transfer takes units authorised for NDC or OIMP use out of their host
    Party for the first time; its corresponding adjustment starts as not started.
    """
    if not proposal.leaves_host or proposal.using_party is None:
        return None
    authorised = [
        a
        for a in host_authorisations(proposal, facts)
        if a.authorised_use is not AuthorisedUse.MITIGATION_CONTRIBUTION
    ]
    if not authorised or facts.first_transfers_overlapping(proposal.block):
        return None
    chosen = _matching_purpose(authorised, proposal.purpose)
    return FirstTransfer(
        transfer_id=proposal.transfer_id,
        authorisation_id=chosen.authorisation_id,
        block=proposal.block,
        host_party=proposal.host_party,
        acquiring_party=proposal.using_party,
        transferred_at=at,
    )


def _matching_purpose(authorised: list[Authorisation], purpose: Purpose) -> Authorisation:
    """The authorisation for the transfer's own purpose when there is one, else the first."""
    for authorisation in authorised:
        if authorisation.authorised_use.value == purpose.value:
            return authorisation
    return authorised[0]
