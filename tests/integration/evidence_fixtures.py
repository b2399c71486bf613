"""A sandbox hosting Verra, Gold Standard and Core Climate, a holder acting in them, and evidence readers.

Imported explicitly by the evidence and public API tests; nothing here is a pytest plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters import gold_standard, hk_core_climate, verra
from adapters.evidence import GoldStandardEvidenceReader, VerraEvidenceReader
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.verra import VERRA
from adapters.http_client import SandboxRegistryClient
from adapters.polite_client import Politeness
from adapters.sandbox.server import RunningSandbox
from domain.serials import SerialBlock
from tests.integration.sandbox_fixtures import REG_A, Admin, client, running_sandbox

PROFILES = (verra.PROFILE, gold_standard.PROFILE, hk_core_climate.PROFILE, REG_A)
QUICK = Politeness(min_interval_s=0.0, timeout_s=2.0, attempts=8, backoff_s=0.01, max_backoff_s=0.05)


def vcu(start: int, end: int, project: str = "1060", issuance: str = "9660") -> SerialBlock:
    return VERRA.parse(f"{issuance}-{start}-{end}-VCS-VCU-261-VER-US-14-{project}-01012019-31122019-0")


def ver(start: int, end: int, batch: int = 30645, project: str = "GS7495") -> SerialBlock:
    return GOLD_STANDARD.parse(f"GS1-1-KE-{project}-16-2025-{batch}-{start}-{end}")


class Holder:
    """The account holder, clicking in the registry's own web app."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def immobilise(self, registry_id: str, account_id: str, block: SerialBlock, details: str):
        body = {"account_id": account_id, "block": block.model_dump(mode="json"), "details": details}
        return await self.http.post(f"/registries/{registry_id}/holder/immobilise", json=body)

    async def retire(self, registry_id: str, account_id: str, block: SerialBlock, details: str, **more: Any):
        body = {"account_id": account_id, "block": block.model_dump(mode="json"), "details": details, **more}
        return await self.http.post(f"/registries/{registry_id}/holder/retire", json=body)

    async def release(self, registry_id: str, account_id: str, block: SerialBlock):
        body = {"account_id": account_id, "block": block.model_dump(mode="json")}
        return await self.http.post(f"/registries/{registry_id}/holder/release", json=body)


@dataclass
class EvidenceWorld:
    sandbox: RunningSandbox
    admin: Admin
    holder: Holder
    verra: SandboxRegistryClient
    core_climate: SandboxRegistryClient
    verra_reader: VerraEvidenceReader
    gs_reader: GoldStandardEvidenceReader

    @property
    def http(self) -> httpx.AsyncClient:
        return self.admin.http


@asynccontextmanager
async def open_evidence_world(
    state: Path, politeness: Politeness = QUICK, verra_page_size: int = 100
) -> AsyncIterator[EvidenceWorld]:
    async with running_sandbox(state, PROFILES) as sandbox:
        admin = Admin(sandbox.url)
        world = EvidenceWorld(
            sandbox=sandbox,
            admin=admin,
            holder=Holder(admin.http),
            verra=client(verra.PROFILE, sandbox.url),
            core_climate=client(hk_core_climate.PROFILE, sandbox.url),
            verra_reader=VerraEvidenceReader(
                f"{sandbox.url}/verra", politeness=politeness, page_size=verra_page_size
            ),
            gs_reader=GoldStandardEvidenceReader(f"{sandbox.url}/gold-standard", politeness=politeness),
        )
        try:
            yield world
        finally:
            for closing in (world.verra_reader, world.gs_reader, world.verra, world.core_climate, admin):
                await closing.aclose()
