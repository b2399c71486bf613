"""Runs every check on a proposed transfer and returns every reason to refuse it.

A refusal that named only the first failure would send the holder back again
and again; the transaction log checks after which these are modelled stopped at
the first failure, the gateway deliberately does not. The same call serves the
workflow (before the source lock) and the dry-run RPC.

With a rulebook the same call also judges the transfer by the rule packs in
force in its compliance year, so double-counting findings and rule findings come
out in one decision. The compliance year comes from the proposal or the caller,
never from a clock read here, so the decision is the same on every replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from pydantic import BaseModel, ConfigDict

from compliance_rules.claims import ClaimCheck
from compliance_rules.double_issuance import DoubleIssuanceCheck
from compliance_rules.double_use import DoubleUseCheck
from compliance_rules.facts import DoubleCountingFacts
from compliance_rules.findings import Check, Finding
from compliance_rules.green_power import GreenPowerCheck
from compliance_rules.offset_claims import OffsetClaim
from compliance_rules.proposal import TransferProposal
from compliance_rules.rule_facts import ComplianceFacts, RuleFacts
from compliance_rules.rule_judging import Judgement, judge
from compliance_rules.rulebook import Rulebook
from compliance_rules.unit_status import UnitStatusCheck
from domain.transfers import Reason

DEFAULT_CHECKS: tuple[Check, ...] = (
    DoubleUseCheck(),
    DoubleIssuanceCheck(),
    GreenPowerCheck(),
    ClaimCheck(),
    UnitStatusCheck(),
)


class CheckInfo(BaseModel):
    """A check as a report or the catalogue RPC lists it."""

    model_config = ConfigDict(frozen=True)

    code: str
    meaning: str


CHECKS: tuple[CheckInfo, ...] = tuple(CheckInfo(code=c.code, meaning=c.meaning) for c in DEFAULT_CHECKS)


class Decision(BaseModel):
    """Allowed only with no finding. `judgement` and `offset_claim` are set only when a rulebook judged.

    The ledger records the judgement with the transfer and reserves the offset
    claim, re-checking its limits, in the same transaction as the serials.
    """

    model_config = ConfigDict(frozen=True)

    allowed: bool
    findings: list[Finding]
    judgement: Judgement | None = None
    offset_claim: OffsetClaim | None = None

    def reasons(self) -> list[Reason]:
        return [finding.reason() for finding in self.findings]


@overload
def evaluate(
    proposal: TransferProposal,
    facts: DoubleCountingFacts,
    checks: Sequence[Check] = ...,
    rulebook: None = None,
    compliance_year: int | None = None,
) -> Decision: ...


@overload
def evaluate(
    proposal: TransferProposal,
    facts: ComplianceFacts,
    checks: Sequence[Check] = ...,
    rulebook: Rulebook | None = None,
    compliance_year: int | None = None,
) -> Decision: ...


def evaluate(
    proposal: TransferProposal,
    facts: DoubleCountingFacts,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    rulebook: Rulebook | None = None,
    compliance_year: int | None = None,
) -> Decision:
    """Every finding of every check (and, with a rulebook, every rule in force); allowed only when none.

    The compliance year is the proposal's own, else `compliance_year` (the
    caller passes the current UTC year when the transfer names none). A
    rulebook needs a year and facts that also answer `RuleFacts`.
    """
    findings = [finding for check in checks for finding in check.evaluate(proposal, facts)]
    if rulebook is None:
        return Decision(allowed=not findings, findings=findings)
    year = proposal.compliance_year if proposal.compliance_year is not None else compliance_year
    if year is None:
        raise ValueError("judging by a rulebook needs a compliance year: from the proposal or the caller")
    if not isinstance(facts, RuleFacts):
        raise TypeError(
            f"judging by a rulebook needs facts that answer RuleFacts; {type(facts).__name__} does not"
        )
    verdict = judge(rulebook, proposal, facts, year)
    findings += verdict.findings
    return Decision(
        allowed=not findings,
        findings=findings,
        judgement=verdict.judgement,
        offset_claim=verdict.offset_claim,
    )
