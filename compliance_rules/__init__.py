"""Rules a transfer must pass before anything moves: the double-counting checks and the rule packs.

Pure on purpose: the checks read facts through `DoubleCountingFacts`, and the
rule packs (regulators' caps and eligibility, as reviewed TOML data in
`packs/`) through `RuleFacts`, both of which the ledger implements, so every
check and rule runs the same over a database or an in-memory fake, and a
regulator can read each one's code, meaning and source in a report.
"""

from compliance_rules.evaluator import CHECKS, DEFAULT_CHECKS, Decision, evaluate
from compliance_rules.facts import DoubleCountingFacts
from compliance_rules.findings import Collision, Finding
from compliance_rules.offset_claims import OffsetClaim, OffsetLimit
from compliance_rules.pack_errors import PackProblem, RulePackError
from compliance_rules.proposal import Purpose, TransferProposal, account_key
from compliance_rules.rule_facts import ComplianceFacts, CoveredEntity, OffsetUse, RuleFacts
from compliance_rules.rule_judging import Judgement
from compliance_rules.rule_packs import RulePack
from compliance_rules.rulebook import PACKS_FOLDER, Rulebook, check_pack_file, load_rulebook

__all__ = [
    "CHECKS",
    "DEFAULT_CHECKS",
    "PACKS_FOLDER",
    "Collision",
    "ComplianceFacts",
    "CoveredEntity",
    "Decision",
    "DoubleCountingFacts",
    "Finding",
    "Judgement",
    "OffsetClaim",
    "OffsetLimit",
    "OffsetUse",
    "PackProblem",
    "Purpose",
    "RuleFacts",
    "RulePack",
    "RulePackError",
    "Rulebook",
    "TransferProposal",
    "account_key",
    "check_pack_file",
    "evaluate",
    "load_rulebook",
]
