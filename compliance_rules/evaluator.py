"""Runs every check on a proposed transfer and returns every reason to refuse it.

A refusal that named only the first failure would send the holder back again
and again; the transaction log checks after which these are modelled stopped at
the first failure, the gateway deliberately does not. The same call serves the
workflow (before the source lock) and the dry-run RPC.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from compliance_rules.claims import ClaimCheck
from compliance_rules.double_issuance import DoubleIssuanceCheck
from compliance_rules.double_use import DoubleUseCheck
from compliance_rules.facts import DoubleCountingFacts
from compliance_rules.findings import Check, Finding
from compliance_rules.green_power import GreenPowerCheck
from compliance_rules.proposal import TransferProposal
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
    model_config = ConfigDict(frozen=True)

    allowed: bool
    findings: list[Finding]

    def reasons(self) -> list[Reason]:
        return [finding.reason() for finding in self.findings]


def evaluate(
    proposal: TransferProposal, facts: DoubleCountingFacts, checks: Sequence[Check] = DEFAULT_CHECKS
) -> Decision:
    """Every finding of every check; allowed only when there is none."""
    findings = [finding for check in checks for finding in check.evaluate(proposal, facts)]
    return Decision(allowed=not findings, findings=findings)
