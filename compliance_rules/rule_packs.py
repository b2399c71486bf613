"""A rule pack as its TOML file holds it: which transfers it judges, and its rules.

One pack per jurisdiction or programme. A pack applies to a transfer by its
destination registry (an ETS judges what comes into it) or by its route (a
cross-border scheme judges what crosses between two areas, whichever registry
it lands in):

    [applies_to]
    destinations = ["cn-sz-ets"]
    routes = [{ from = ["CN-GD"], to = ["HK", "MO"], both_ways = true }]

A route matches only a transfer that crosses a border (source and destination
registries in different countries, or one in none), from a jurisdiction within
one of `from` to one within one of `to` (empty: anywhere); `both_ways` matches
the reverse too. `leaving_host = true` narrows the pack to units going to a
Party other than their host (the country the serial encodes): the scope of
Article 6, whose rules mean nothing for a Party's own outcomes. Jurisdictions
are ISO 3166 codes as the registry catalogue writes them (CN-GD holds CN-GD
only, CN holds CN and its subdivisions, XX the international registries).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from compliance_rules.iso_codes import iso_jurisdiction
from compliance_rules.proposal import TransferProposal, within
from compliance_rules.rule_kinds import Rule

Jurisdiction = Annotated[str, AfterValidator(iso_jurisdiction)]


def _any_within(jurisdiction: str, areas: list[str]) -> bool:
    return not areas or any(within(jurisdiction, area) for area in areas)


class Route(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: list[Jurisdiction] = Field(default_factory=list, alias="from")
    to: list[Jurisdiction] = Field(default_factory=list)
    both_ways: bool = False

    def matches(self, proposal: TransferProposal) -> bool:
        if not proposal.crosses_border:
            return False
        source, destination = proposal.source_jurisdiction, proposal.destination_jurisdiction
        forward = _any_within(source, self.from_) and _any_within(destination, self.to)
        backward = _any_within(destination, self.from_) and _any_within(source, self.to)
        return forward or (self.both_ways and backward)


class AppliesTo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    destinations: list[str] = Field(default_factory=list)  # registry ids
    routes: list[Route] = Field(default_factory=list)
    leaving_host: bool = False

    @model_validator(mode="after")
    def _says_something(self) -> AppliesTo:
        if not (self.destinations or self.routes):
            raise ValueError("name destinations or routes")
        return self

    def matches(self, proposal: TransferProposal) -> bool:
        if self.leaving_host and not proposal.leaves_host:
            return False
        return proposal.destination.registry_id in self.destinations or any(
            route.matches(proposal) for route in self.routes
        )


class PackHeader(BaseModel):
    """Everything in a pack file but its rules: validated first, so a rule's error can name its pack."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    applies_to: AppliesTo


class RulePack(PackHeader):
    rules: tuple[Rule, ...] = Field(min_length=1)

    @property
    def stamp(self) -> str:
        """`id@version`, as a judgement records the pack that judged a transfer."""
        return f"{self.id}@{self.version}"

    def applies(self, proposal: TransferProposal) -> bool:
        return self.applies_to.matches(proposal)
