"""authorisation_required: units leaving their host Party need its Article 6 authorisation.

Where a route takes units to a Party other than their host (the country the
serial encodes), the host must have authorised them for one of the named uses,
covering every serial moved, whatever the transfer's purpose: an outcome used
abroad without authorisation would be counted by both Parties. Read through
the same authorisations as DC-CLAIM (`facts.authorisations_covering`), but
DC-CLAIM judges only NDC and OIMP transfers; a pack can ask more of a route.
Units that stay with their host are not judged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.claims import host_authorisations, uncovered
from compliance_rules.facts import AuthorisedUse
from compliance_rules.findings import Collision, Finding, serials
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase

InternationalUse = Literal[AuthorisedUse.NDC, AuthorisedUse.OIMP]


def _both_uses() -> list[InternationalUse]:
    return [AuthorisedUse.NDC, AuthorisedUse.OIMP]


class AuthorisationRequiredParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uses: list[InternationalUse] = Field(default_factory=_both_uses, min_length=1)


class AuthorisationRequiredRule(RuleBase):
    kind: Literal["authorisation_required"]
    params: AuthorisationRequiredParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        proposal = context.proposal
        if not proposal.leaves_host:
            return []
        authorised = [
            a for a in host_authorisations(proposal, context.facts) if a.authorised_use in self.params.uses
        ]
        uses = " or ".join(use.value for use in self.params.uses)
        return [
            self.finding(
                f"{serials(part)} hosted in {proposal.host_party} have no Article 6 authorisation by "
                f"{proposal.host_party} for {uses} use, needed to bring them to "
                f"{proposal.using_party or 'another Party'} (registry {proposal.destination.registry_id})",
                collides_with=Collision.over(part, registry_id=proposal.destination.registry_id),
            )
            for part in uncovered(proposal.block, authorised)
        ]
