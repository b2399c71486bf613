"""minimum_account_status: source and destination accounts must be at least as able to transact as named.

The ladder runs from closed to open, after the account states of the EU and UK
registries: a closed account does nothing, a suspended one is frozen by the
administrator, a blocked one is held for a missing report or a sanction, a
restricted one may do only some transactions, an open one may do all. States
are the registries' own words, carried by the proposal
(`TransferProposal.account_states`); a word off the ladder is refused, because
it cannot be shown to be enough. When the proposal carries no state for an
account the rule does what `missing_state` says.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.findings import Finding
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_kinds.base import RuleBase
from domain.transfers import AccountRef

AccountStatus = Literal["closed", "suspended", "blocked", "restricted", "open"]
LADDER: tuple[str, ...] = get_args(AccountStatus)  # lowest first
Side = Literal["source", "destination"]


def _both_sides() -> list[Side]:
    return ["source", "destination"]


class AccountStatusParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    minimum: AccountStatus
    accounts: list[Side] = Field(default_factory=_both_sides, min_length=1)
    missing_state: Literal["allow", "refuse"]


class MinimumAccountStatusRule(RuleBase):
    kind: Literal["minimum_account_status"]
    params: AccountStatusParams

    def evaluate(self, context: RuleContext) -> list[Finding]:
        proposal = context.proposal
        sides = {"source": proposal.source, "destination": proposal.destination}
        findings = (self._judge(side, sides[side], context) for side in dict.fromkeys(self.params.accounts))
        return [finding for finding in findings if finding is not None]

    def _judge(self, side: str, account: AccountRef, context: RuleContext) -> Finding | None:
        name = f"{side} account {account.registry_id}:{account.account_id}"
        state = context.proposal.account_state(account)
        minimum = self.params.minimum
        if state is None:
            if self.params.missing_state == "allow":
                return None
            return self.finding(f"the state of {name} is not known, and at least {minimum!r} is required")
        word = state.strip().casefold()
        if word not in LADDER:
            return self.finding(
                f"{name} is {state!r}, a state this rule cannot rank; at least {minimum!r} is required"
            )
        if LADDER.index(word) < LADDER.index(minimum):
            return self.finding(f"{name} is {state!r}; at least {minimum!r} is required")
        return None
