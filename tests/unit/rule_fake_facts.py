"""An in-memory `ComplianceFacts`: the double-counting fake plus the facts the rule packs read.

A fake for speed, like `dc_fake_facts`; the ledger answers the same three
questions from its tables, and its own tests hold it to the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compliance_rules.proposal import Purpose, TransferProposal
from compliance_rules.rule_facts import CoveredEntity, OffsetUse
from compliance_rules.rulebook import Rulebook, parse_pack
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from tests.unit.dc_fake_facts import InMemoryFacts, ccer

SZ_EMITTER = AccountRef(registry_id="cn-sz-ets", account_id="sz-emitter")
GD_EMITTER = AccountRef(registry_id="cn-gd-ets", account_id="gd-emitter")
CN_EMITTER = AccountRef(registry_id="cn-national-ets", account_id="cn-emitter")
CCER_OWNER = AccountRef(registry_id="cn-ccer", account_id="ccer-owner")
PUHUI_OWNER = AccountRef(registry_id="cn-sz-puhui", account_id="puhui-owner")
GD_PUHUI_OWNER = AccountRef(registry_id="cn-gd-puhui", account_id="phcer-owner")

SZ_ENTITY = CoveredEntity(entity_id="SZ-E1", name="Shenzhen Metro", market="cn-sz-ets")
GD_ENTITY = CoveredEntity(entity_id="GD-E1", name="Guangzhou Cement", market="cn-gd-ets")
CN_ENTITY = CoveredEntity(entity_id="CN-E1", name="Huaneng Plant 3", market="cn-national-ets")


@dataclass
class RuleFakeFacts(InMemoryFacts):
    entities: dict[AccountRef, CoveredEntity] = field(default_factory=dict)
    emissions: dict[tuple[str, int], int] = field(default_factory=dict)
    uses: list[OffsetUse] = field(default_factory=list)
    released: set[str] = field(default_factory=set)  # transfers whose offset use was released

    def covered_entity_of(self, account: AccountRef) -> CoveredEntity | None:
        return self.entities.get(account)

    def verified_emissions(self, entity_id: str, year: int) -> int | None:
        return self.emissions.get((entity_id, year))

    def offset_used(self, entity_id: str, year: int) -> list[OffsetUse]:
        return [
            u
            for u in self.uses
            if (u.entity_id, u.year) == (entity_id, year) and u.transfer_id not in self.released
        ]


def with_entities(**kwargs) -> RuleFakeFacts:
    """Facts knowing the three sample emitters."""
    entities = {SZ_EMITTER: SZ_ENTITY, GD_EMITTER: GD_ENTITY, CN_EMITTER: CN_ENTITY}
    return RuleFakeFacts(entities=entities, **kwargs)


def use(
    quantity: int,
    *,
    entity: CoveredEntity = SZ_ENTITY,
    year: int = 2025,
    transfer_id: str = "T-EARLIER",
    programme: str = "CCER",
    origin: str = "CN",
) -> OffsetUse:
    return OffsetUse(
        entity_id=entity.entity_id,
        year=year,
        transfer_id=transfer_id,
        programme=programme,
        origin=origin,
        quantity=quantity,
    )


def puhui(start: int, end: int, *, vintage: str = "2024") -> SerialBlock:
    return SerialBlock(
        programme="SZ-PUHUI",
        serial_space=f"SZ-PUHUI:2023017:{vintage}:1",
        project_id="2023017",
        vintage=vintage,
        unit_type="SZ-PHCER",
        country="CN",
        start=start,
        end=end,
        attributes={"batch": "1"},
    )


def phcer(start: int, end: int) -> SerialBlock:
    return SerialBlock(
        programme="PHCER",
        serial_space="PHCER:88:2024:1",
        project_id="88",
        vintage="2024",
        unit_type="PHCER",
        country="CN",
        start=start,
        end=end,
        attributes={"batch": "1"},
    )


def ccer_units(quantity: int, **kwargs) -> SerialBlock:
    """A CCER block of exactly `quantity` units."""
    return ccer(1, quantity, **kwargs)


# Where each sample source account's registry sits, as the catalogue says.
JURISDICTIONS = {
    "cn-ccer": "CN",
    "cn-sz-puhui": "CN-GD",
    "cn-gd-puhui": "CN-GD",
    "cn-sz-ets": "CN-GD",
    "cn-gd-ets": "CN-GD",
    "cn-national-ets": "CN",
    "verra": "XX",
    "hk-core-climate": "HK",
    "mo-micx": "MO",
    "vu-national": "VU",
}


def offset(
    block: SerialBlock,
    *,
    source: AccountRef = CCER_OWNER,
    destination: AccountRef = SZ_EMITTER,
    transfer_id: str = "T-NEW",
    purpose: Purpose = Purpose.OFFSET,
    compliance_year: int | None = None,
    account_states: dict[str, str] | None = None,
    acquiring_party: str | None = None,
) -> TransferProposal:
    """A proposal moving `block` between the sample accounts, by default for offset into Shenzhen."""
    return TransferProposal(
        transfer_id=transfer_id,
        source=source,
        destination=destination,
        source_jurisdiction=JURISDICTIONS[source.registry_id],
        destination_jurisdiction=JURISDICTIONS[destination.registry_id],
        block=block,
        purpose=purpose,
        compliance_year=compliance_year,
        account_states=account_states or {},
        acquiring_party=acquiring_party,
    )


SOURCE = {"document": "A test regulation", "article": "art. 1", "confirmed": True}


def rule(kind: str, params: dict, *, rule_id: str = "RULE-TEST", **fields) -> dict:
    """One rule as its pack's TOML table would hold it, in force from 2020 unless told otherwise."""
    return {
        "id": rule_id,
        "kind": kind,
        "meaning": f"A test rule of kind {kind}.",
        "effective_from": "2020-01-01",
        "params": params,
        "source": SOURCE,
        **fields,
    }


def book(*rules: dict, applies_to: dict | None = None) -> Rulebook:
    """A rulebook of one pack holding `rules`, applying to the Shenzhen ETS unless told otherwise."""
    pack = parse_pack(
        {
            "id": "test-pack",
            "version": "1",
            "title": "Test pack",
            "applies_to": applies_to or {"destinations": ["cn-sz-ets"]},
            "rules": list(rules),
        },
        "test-pack.toml",
    )
    return Rulebook(packs=(pack,))
