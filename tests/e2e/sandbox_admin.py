"""The tests' handle on the sandbox registries: open accounts, seed units, inject faults, read totals."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from adapters import catalogue
from adapters.base import AccountState
from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request


@asynccontextmanager
async def conserving(url: str) -> AsyncIterator[SandboxAdmin]:
    """Admin access, and the conservation check around it: the live units of each class across all
    registries change only by what the holder of the admin seeded (or noted it did out of band)."""
    admin = SandboxAdmin(url)
    before = await admin.totals_by_unit_class()
    yield admin
    await admin.clear_all_faults()
    after = await admin.totals_by_unit_class()
    await admin.aclose()
    assert after == before + admin.seeded, "a transfer created or lost units"


class SandboxAdmin:
    def __init__(self, url: str) -> None:
        self._url = url
        self._http = httpx.AsyncClient(base_url=url, timeout=10)
        self.seeded: Counter[str] = Counter()  # units the test added, per unit class
        self._faulted: set[str] = set()

    async def open_account(self, registry_id: str, account_id: str) -> None:
        """Open an account, so it can receive units (a registry credits no account it never opened)."""
        await open_accounts(self._url, [(registry_id, account_id)])

    async def block_account(self, registry_id: str, account_id: str) -> None:
        await open_accounts(self._url, [(registry_id, account_id)], AccountState.BLOCKED)

    async def seed(self, registry_id: str, account_id: str, serial: str, **issuance: str) -> None:
        """Put units in an account, opening it if it is new; `issuance` may say what no serial does
        (gas, gwp_set)."""
        holding = DemoHolding(registry_id=registry_id, account_id=account_id, serial=serial, **issuance)
        await post_seed(self._url, seed_request([holding], f"test-{uuid.uuid4()}"))
        block = catalogue.parse_serial(registry_id, serial)
        self.seeded[str(block.unit_class)] += block.quantity

    async def holder_acts(
        self, registry_id: str, action: str, account_id: str, serial: str, details: str
    ) -> None:
        """What the holder does in an evidence-based registry's own web app (immobilise, retire)."""
        body = {
            "account_id": account_id,
            "block": catalogue.parse_serial(registry_id, serial).model_dump(mode="json"),
        }
        if details:
            body["details"] = details
        response = await self._http.post(f"/registries/{registry_id}/holder/{action}", json=body)
        response.raise_for_status()

    async def fail(self, registry_id: str, **plan: Any) -> None:
        response = await self._http.put(f"/admin/registries/{registry_id}/faults", json=plan)
        response.raise_for_status()
        self._faulted.add(registry_id)

    async def clear_all_faults(self) -> None:
        for registry_id in self._faulted:
            (await self._http.delete(f"/admin/registries/{registry_id}/faults")).raise_for_status()
        self._faulted.clear()

    async def totals_by_unit_class(self) -> Counter[str]:
        response = await self._http.get("/admin/totals")
        response.raise_for_status()
        return Counter(response.json()["by_unit_class"])

    async def aclose(self) -> None:
        await self._http.aclose()
