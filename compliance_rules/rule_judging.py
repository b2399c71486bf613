"""Judging one transfer by a rulebook: the rules in force, their findings, the judgement and the offset claim.

The rule in force in a compliance year is the one whose dates cover any day of
it (effective_from <= 31 December and effective_to, when set, >= 1 January).
The judgement records which packs (`id@version`) and rules judged the transfer,
so its record still explains it after a pack changes; the offset claim is what
the ledger must reserve atomically for the caps to hold under concurrency.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from compliance_rules.findings import Finding
from compliance_rules.offset_claims import OffsetClaim, OffsetLimit
from compliance_rules.proposal import Purpose, TransferProposal
from compliance_rules.rule_context import RuleContext
from compliance_rules.rule_facts import ComplianceFacts
from compliance_rules.rule_kinds import CapRule, Rule
from compliance_rules.rulebook import Rulebook


class Judgement(BaseModel):
    """Which rules judged a transfer: the compliance year, the packs that applied, their rules in force."""

    model_config = ConfigDict(frozen=True)

    compliance_year: int
    packs: list[str] = Field(default_factory=list)  # id@version
    rule_ids: list[str] = Field(default_factory=list)


class RuleVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings: list[Finding]
    judgement: Judgement
    offset_claim: OffsetClaim | None = None


def rules_in_force(rulebook: Rulebook, proposal: TransferProposal, year: int) -> tuple[list[str], list[Rule]]:
    """The rules in force of the packs that apply, judging the transfer's purpose, and those packs' stamps."""
    stamps: list[str] = []
    rules: list[Rule] = []
    for pack in rulebook.packs_for(proposal):
        judging = [rule for rule in pack.rules if rule.in_force(year) and rule.judges(proposal.purpose)]
        if judging:
            stamps.append(pack.stamp)
            rules.extend(judging)
    return stamps, rules


def judge(rulebook: Rulebook, proposal: TransferProposal, facts: ComplianceFacts, year: int) -> RuleVerdict:
    """Every finding of every rule in force, with the judgement and, for an offset use, the claim."""
    context = RuleContext(proposal=proposal, facts=facts, year=year)
    stamps, rules = rules_in_force(rulebook, proposal, year)
    findings = [finding for rule in rules for finding in rule.evaluate(context)]
    return RuleVerdict(
        findings=findings,
        judgement=Judgement(compliance_year=year, packs=stamps, rule_ids=[rule.id for rule in rules]),
        offset_claim=_offset_claim(context, rules),
    )


def _offset_claim(context: RuleContext, rules: list[Rule]) -> OffsetClaim | None:
    """The claim of an offset use by a covered entity, with every limit it counts towards.

    An offset use with no cap in force still yields a claim (with no limits), so
    the ledger records it and later transfers under a cap count it.
    """
    proposal = context.proposal
    if proposal.purpose is not Purpose.OFFSET or context.entity is None:
        return None
    limits: list[OffsetLimit] = []
    for rule in rules:
        if isinstance(rule, CapRule):
            limit = rule.offset_limit(context)
            if limit is not None:
                limits.append(limit)
    return OffsetClaim(
        entity_id=context.entity.entity_id,
        year=context.year,
        transfer_id=proposal.transfer_id,
        programme=proposal.block.programme,
        origin=context.origin,
        quantity=proposal.block.quantity,
        limits=limits,
    )
