"""What a regulator loads before covered entities may surrender offsets: the entity and its emissions."""

from __future__ import annotations

from datetime import UTC, datetime

from compliance_rules.rule_facts import CoveredEntity
from domain.transfers import AccountRef
from gateway.runtime import EmbeddedGateway


def make_covered(gateway: EmbeddedGateway, registry_id: str, account_id: str, tonnes: int = 100_000) -> str:
    """Register the account as a covered entity's with `tonnes` verified for this year and the last."""
    assert gateway.ledger is not None
    entity = CoveredEntity(entity_id=f"entity-{account_id}", name=f"Emitter {account_id}", market=registry_id)
    gateway.ledger.record_covered_entity(entity, [AccountRef(registry_id=registry_id, account_id=account_id)])
    year = datetime.now(UTC).year
    for basis in (year - 1, year):
        gateway.ledger.record_verified_emissions(entity.entity_id, basis, tonnes)
    return entity.entity_id
