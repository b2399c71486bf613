"""Rules a transfer must pass before anything moves, starting with the double-counting checks.

Pure on purpose: the checks read facts through `DoubleCountingFacts`, which the
ledger implements, so every check runs the same over a database or an in-memory
fake, and a regulator can read each check's code and meaning in a report.
"""

from compliance_rules.evaluator import CHECKS, DEFAULT_CHECKS, Decision, evaluate
from compliance_rules.facts import DoubleCountingFacts
from compliance_rules.findings import Collision, Finding
from compliance_rules.proposal import Purpose, TransferProposal

__all__ = [
    "CHECKS",
    "DEFAULT_CHECKS",
    "Collision",
    "Decision",
    "DoubleCountingFacts",
    "Finding",
    "Purpose",
    "TransferProposal",
    "evaluate",
]
