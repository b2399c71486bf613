"""Seeds the sandbox registries with the documented demo holdings (gateway/demo_holdings.toml), and
the ledger with the demo's covered entities (gateway/demo_entities.toml), so the README's offset works.

Seeding is idempotent (one seed key per file content), so `up --demo` on an existing
data folder adds nothing twice. Seeding opens every demo holder's account (the
sandbox opens a holder's account with its first units), so each demo account, such
as `demo-sz-emitter` in cn-sz-ets, can also receive units. Other accounts are opened
with `open_accounts` (the sandbox's `PUT /admin/accounts`).
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import BaseModel

from adapters import catalogue
from adapters.base import AccountState
from adapters.sandbox.wire import AccountIn, AccountsRequest, SeedHolding, SeedRequest
from compliance_rules.rule_facts import CoveredEntity
from domain.gases import Gas, GwpSet
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger import Ledger

DEMO_FILE = Path(__file__).with_name("demo_holdings.toml")


class DemoHolding(BaseModel):
    registry_id: str
    account_id: str
    serial: str
    gas: Gas = Gas.CO2  # what the issuance says of units for another gas
    gwp_set: GwpSet | None = None


def load_demo_holdings(path: Path = DEMO_FILE) -> list[DemoHolding]:
    data = tomllib.loads(path.read_text())
    return [DemoHolding.model_validate(entry) for entry in data.get("holding", [])]


def seed_request(holdings: list[DemoHolding], seed_key: str) -> SeedRequest:
    """Parse every serial in its registry's grammar; a bad entry fails the whole seed."""
    return SeedRequest(
        seed_key=seed_key,
        holdings=[
            SeedHolding(
                registry_id=h.registry_id,
                account_id=h.account_id,
                block=SerialBlock.model_validate(
                    catalogue.parse_serial(h.registry_id, h.serial).model_dump()
                    | {"gas": h.gas, "gwp_set": h.gwp_set}
                ),
            )
            for h in holdings
        ],
    )


async def post_seed(sandbox_url: str, request: SeedRequest) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        response = await client.post("/admin/seed", content=request.model_dump_json())
        response.raise_for_status()


async def open_accounts(
    sandbox_url: str, accounts: list[tuple[str, str]], state: AccountState = AccountState.OPEN
) -> None:
    """Open (or block) each (registry id, account id) in the sandbox, all or none."""
    request = AccountsRequest(
        accounts=[AccountIn(registry_id=r, account_id=a, state=state) for r, a in accounts]
    )
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        response = await client.put("/admin/accounts", content=request.model_dump_json())
        response.raise_for_status()


async def seed_demo_holdings(sandbox_url: str, path: Path = DEMO_FILE) -> None:
    text = path.read_bytes()
    key = "demo-" + hashlib.sha256(text).hexdigest()[:16]
    await post_seed(sandbox_url, seed_request(load_demo_holdings(path), key))


DEMO_ENTITIES_FILE = Path(__file__).with_name("demo_entities.toml")


class DemoEntity(BaseModel):
    entity_id: str
    name: str
    market: str
    accounts: list[str]  # registry:account
    verified_emissions: dict[int, int]


def seed_demo_entities(ledger: Ledger, path: Path = DEMO_ENTITIES_FILE) -> None:
    """Load the demo's covered entities and their verified emissions into the ledger (idempotent)."""
    for raw in tomllib.loads(path.read_text())["entities"]:
        entity = DemoEntity.model_validate(raw)
        accounts = [
            AccountRef(registry_id=r, account_id=a) for r, _, a in (x.partition(":") for x in entity.accounts)
        ]
        covered = CoveredEntity(entity_id=entity.entity_id, name=entity.name, market=entity.market)
        ledger.record_covered_entity(covered, accounts)
        for year, tonnes in entity.verified_emissions.items():
            ledger.record_verified_emissions(entity.entity_id, year, tonnes)


DEMO_ORG = "local"  # the organisation of the identities `keys init` issues


def record_demo_holders(ledger: Ledger, path: Path = DEMO_FILE) -> None:
    """The demo identities' organisation holds every demo account, so its exchange may move them."""
    now = datetime.now(UTC)
    for holding in load_demo_holdings(path):
        account = AccountRef(registry_id=holding.registry_id, account_id=holding.account_id)
        ledger.record_account_holder(account, DEMO_ORG, "demo", now)
