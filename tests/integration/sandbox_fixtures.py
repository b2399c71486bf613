"""Small registries, a tiny serial grammar and admin calls for the sandbox and client tests.

Imported explicitly by the test modules; nothing here is a pytest plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountState, RegistryProfile
from adapters.http_client import SandboxRegistryClient
from adapters.sandbox.faults import FaultPlan, FaultReport
from adapters.sandbox.server import RunningSandbox, start_sandbox
from adapters.sandbox.wire import AccountIn, AccountsRequest, SeedHolding, SeedRequest, TotalsResponse
from domain.errors import MalformedSerial
from domain.registries import RegistryInfo
from domain.serials import SerialBlock
from domain.units import UnitStatus


class TinyGrammar:
    """`{programme}-{project}-{vintage}-{batch}-{start}-{end}`, numbering restarting per batch."""

    def __init__(self, programme: str, unit_type: str) -> None:
        self.programme = programme
        self.unit_type = unit_type

    def parse(self, serial: str) -> SerialBlock:
        parts = serial.split("-")
        if len(parts) != 6 or parts[0] != self.programme:
            raise MalformedSerial(serial, "programme", f"expected {self.programme}-P-V-B-start-end")
        _, project, vintage, batch, start, end = parts
        return SerialBlock(
            programme=self.programme,
            serial_space=f"{self.programme}:{project}:{batch}",
            project_id=project,
            vintage=vintage,
            unit_type=self.unit_type,
            country="CN",
            start=int(start),
            end=int(end),
            attributes={"batch": batch},
        )

    def format(self, block: SerialBlock) -> str:
        batch = block.attributes["batch"]
        return f"{block.programme}-{block.project_id}-{block.vintage}-{batch}-{block.start}-{block.end}"


TST = TinyGrammar("TST", "TU")
OTH = TinyGrammar("OTH", "OU")

WORDS_A = {
    "Active": UnitStatus.HELD,
    "Frozen": UnitStatus.LOCKED,
    "Transferred Out": UnitStatus.EXPORTED,
    "Retired": UnitStatus.RETIRED,
}
WORDS_B = {"可用": UnitStatus.HELD, "冻结": UnitStatus.LOCKED, "已转出": UnitStatus.EXPORTED}


def profile(
    registry_id: str,
    grammar: TinyGrammar,
    words: dict[str, UnitStatus],
    accepted: Iterable[str] = (),
) -> RegistryProfile:
    info = RegistryInfo(
        registry_id=registry_id,
        name=f"test registry {registry_id}",
        jurisdiction="CN-GD",
        programme=grammar.programme,
        unit_types=(grammar.unit_type,),
    )
    return RegistryProfile(
        info=info, grammar=grammar, status_words=words, accepted_programmes=frozenset(accepted)
    )


# A issues TST units; B holds its own OTH units and accepts mirrored TST units; C accepts only its own.
REG_A = profile("reg-a", TST, WORDS_A)
REG_B = profile("reg-b", OTH, WORDS_B, accepted=["TST"])
REG_C = profile("reg-c", OTH, WORDS_B)
PROFILES = (REG_A, REG_B, REG_C)
# The accounts `open_world` opens, so credits have somewhere to go; "nobody" is never opened.
CAST = {"reg-a": ("alice", "bob"), "reg-b": ("carol", "erin", "frank", "gus"), "reg-c": ("finn",)}


def tst(start: int, end: int, batch: str = "B1") -> SerialBlock:
    return TST.parse(f"TST-P1-2024-{batch}-{start}-{end}")


def oth(start: int, end: int) -> SerialBlock:
    return OTH.parse(f"OTH-Q7-2023-B9-{start}-{end}")


@asynccontextmanager
async def running_sandbox(
    state: Path, profiles: Iterable[RegistryProfile] = PROFILES
) -> AsyncIterator[RunningSandbox]:
    sandbox = await start_sandbox(profiles, state)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


class Admin:
    """The admin endpoints, called over HTTP like any operator would."""

    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=5.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def seed(self, seed_key: str, *holdings: tuple[str, str, SerialBlock]) -> httpx.Response:
        request = SeedRequest(
            seed_key=seed_key,
            holdings=[SeedHolding(registry_id=r, account_id=a, block=b) for r, a, b in holdings],
        )
        return await self.http.post("/admin/seed", content=request.model_dump_json())

    async def set_accounts(
        self, *accounts: tuple[str, str], state: AccountState = AccountState.OPEN
    ) -> httpx.Response:
        """Open (or block) (registry id, account id) pairs through `PUT /admin/accounts`."""
        request = AccountsRequest(
            accounts=[AccountIn(registry_id=r, account_id=a, state=state) for r, a in accounts]
        )
        return await self.http.put("/admin/accounts", content=request.model_dump_json())

    async def open_accounts(self, *accounts: tuple[str, str]) -> None:
        (await self.set_accounts(*accounts)).raise_for_status()

    async def totals(self) -> TotalsResponse:
        response = await self.http.get("/admin/totals")
        response.raise_for_status()
        return TotalsResponse.model_validate_json(response.content)

    async def set_faults(self, registry_id: str, **plan: Any) -> FaultReport:
        body = FaultPlan(**plan).model_dump_json()
        response = await self.http.put(f"/admin/registries/{registry_id}/faults", content=body)
        response.raise_for_status()
        return FaultReport.model_validate_json(response.content)

    async def faults(self, registry_id: str) -> FaultReport:
        response = await self.http.get(f"/admin/registries/{registry_id}/faults")
        response.raise_for_status()
        return FaultReport.model_validate_json(response.content)

    async def clear_faults(self, registry_id: str) -> None:
        response = await self.http.delete(f"/admin/registries/{registry_id}/faults")
        response.raise_for_status()


def client(profile: RegistryProfile, url: str, **options: Any) -> SandboxRegistryClient:
    options.setdefault("backoff_s", 0.01)
    options.setdefault("max_backoff_s", 0.1)
    return SandboxRegistryClient(profile, url, **options)


def ranges(holdings: Iterable[Any], status: UnitStatus) -> list[tuple[str, int, int]]:
    """(account, start, end) of the holdings in `status`, sorted: what a test compares."""
    return sorted((h.account_id, h.block.start, h.block.end) for h in holdings if h.status is status)


@dataclass
class World:
    """A running sandbox with admin access and one client per test registry."""

    sandbox: RunningSandbox
    admin: Admin
    a: SandboxRegistryClient
    b: SandboxRegistryClient
    c: SandboxRegistryClient


@asynccontextmanager
async def open_world(state: Path, **client_options: Any) -> AsyncIterator[World]:
    """The test registries with the `CAST` accounts open."""
    async with running_sandbox(state) as sandbox:
        admin = Admin(sandbox.url)
        await admin.open_accounts(*((r, a) for r, names in CAST.items() for a in names))
        world = World(
            sandbox=sandbox,
            admin=admin,
            a=client(REG_A, sandbox.url, **client_options),
            b=client(REG_B, sandbox.url, **client_options),
            c=client(REG_C, sandbox.url, **client_options),
        )
        try:
            yield world
        finally:
            for closing in (world.a, world.b, world.c, world.admin):
                await closing.aclose()
