"""The kinds of rule a pack can hold, one small class each, told apart by their `kind`.

A new kind is a new module here and one more member of `Rule`; a new figure or
a new rule of an existing kind is only a change to a pack.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from compliance_rules.rule_kinds.account_status import MinimumAccountStatusRule
from compliance_rules.rule_kinds.authorisation_required import AuthorisationRequiredRule
from compliance_rules.rule_kinds.base import RuleBase, RuleSource
from compliance_rules.rule_kinds.eligible_units import EligibleUnitsRule
from compliance_rules.rule_kinds.gwp_set import GwpSetRequiredRule
from compliance_rules.rule_kinds.host_countries import HostCountriesRule
from compliance_rules.rule_kinds.offset_cap import OffsetCapRule
from compliance_rules.rule_kinds.origin_share import OriginShareRule
from compliance_rules.rule_kinds.vintage_window import VintageWindowRule

Rule = Annotated[
    OffsetCapRule
    | OriginShareRule
    | EligibleUnitsRule
    | VintageWindowRule
    | HostCountriesRule
    | AuthorisationRequiredRule
    | MinimumAccountStatusRule
    | GwpSetRequiredRule,
    Field(discriminator="kind"),
]

CapRule = OffsetCapRule | OriginShareRule  # the kinds whose limits go into the offset claim

# Each kind's tag, in the order above, for messages naming the kinds a pack may use.
KINDS: tuple[str, ...] = tuple(
    get_args(member.model_fields["kind"].annotation)[0] for member in get_args(get_args(Rule)[0])
)

__all__ = [
    "KINDS",
    "AuthorisationRequiredRule",
    "CapRule",
    "EligibleUnitsRule",
    "GwpSetRequiredRule",
    "HostCountriesRule",
    "MinimumAccountStatusRule",
    "OffsetCapRule",
    "OriginShareRule",
    "Rule",
    "RuleBase",
    "RuleSource",
    "VintageWindowRule",
]
