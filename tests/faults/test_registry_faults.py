"""Registries that time out, answer errors, or apply a step and lose the reply, at the source and the
destination at once, under several concurrent transfers.

These are normal operation for the saga (docs/saga.md, "Waiting, not failing"): each case ends on
the full invariants, and no record at WARNING or below carries a traceback.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.runtime import EmbeddedGateway
from tests.faults.harness import Batch, baseline, fault_settings, running, states, target, until
from tests.faults.invariants import FINAL, assert_invariants, traced_records

pytestmark = pytest.mark.e2e
_n = itertools.count(1)

# Rates per request, drawn at both registries; the injected faults never act (errors, timeouts)
# or always act (lost replies), so a step retried under its idempotency key is applied once.
RANDOM_FAULTS: dict[str, dict[str, Any]] = {
    "timeouts": {"timeout_rate": 0.3, "timeout_s": 0.8},  # longer than registry_timeout_s
    "errors": {"error_rate": 0.4},
    "lost-replies": {"lost_reply_rate": 0.4},
    "dropped-connections": {"lost_reply_rate": 0.4, "lost_reply_mode": "disconnect"},
}


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedGateway]:
    settings = fault_settings(Path(tmp_path_factory.mktemp("registry-faults")), registry_timeout_s=0.5)
    async with running(settings) as started:
        yield started


class Faults:
    """The sandbox's fault plans, set and read through its admin door."""

    def __init__(self, gateway: EmbeddedGateway) -> None:
        self._http = httpx.AsyncClient(base_url=gateway.sandbox_url, timeout=10)

    async def set(self, registry_id: str, **plan: Any) -> None:
        (await self._http.put(f"/admin/registries/{registry_id}/faults", json=plan)).raise_for_status()

    async def clear(self, *registry_ids: str) -> None:
        for registry_id in registry_ids:
            (await self._http.delete(f"/admin/registries/{registry_id}/faults")).raise_for_status()

    async def counts(self, registry_id: str) -> dict[str, int]:
        report = await self._http.get(f"/admin/registries/{registry_id}/faults")
        report.raise_for_status()
        return dict(report.json()["counts"])

    async def aclose(self) -> None:
        await self._http.aclose()


@pytest.fixture
async def faults(gateway: EmbeddedGateway) -> AsyncIterator[Faults]:
    made = Faults(gateway)
    yield made
    await made.clear("cn-ccer", "cn-sz-ets")
    await made.aclose()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", RANDOM_FAULTS, ids=list(RANDOM_FAULTS))
async def test_transfers_stay_whole_when_both_registries_misbehave(
    gateway: EmbeddedGateway, faults: Faults, logs: pytest.LogCaptureFixture, fault: str
) -> None:
    batch = await Batch(gateway, f"rf-{fault}", count=4).seed()
    before = await baseline(gateway)
    for registry_id in ("cn-ccer", "cn-sz-ets"):
        await faults.set(registry_id, seed=next(_n), **RANDOM_FAULTS[fault])
    await batch.submit()

    async def all_final() -> bool:
        found = await states(gateway, batch.ids)
        return all(s in FINAL for s in found.values())

    await until(all_final, 45, f"every transfer under {fault} reached a final state", every_s=0.3)
    injected = {r: await faults.counts(r) for r in ("cn-ccer", "cn-sz-ets")}
    await faults.clear("cn-ccer", "cn-sz-ets")
    assert any(c["error"] + c["timeout"] + c["lost_reply"] for c in injected.values()), injected

    report = await assert_invariants(target(gateway), batch.ids, before)
    assert report.settled, f"nothing settled under {fault}: {report.state_names()}"
    assert traced_records(logs.records) == []


@pytest.mark.timeout(60)
async def test_each_step_applied_whose_reply_is_lost_is_applied_once(
    gateway: EmbeddedGateway, faults: Faults, logs: pytest.LogCaptureFixture
) -> None:
    """Every reply to one step is lost (the registry did act) until each transfer has lost two on
    average; then that step's replies come back and the next step's are lost: lock at the source,
    credit at the destination, finalise at the source. Retries under the same key find each step
    already done, so every transfer settles, once."""
    batch = await Batch(gateway, "lost-steps", count=3).seed()
    before = await baseline(gateway)
    await faults.set("cn-ccer", lost_reply_rate=1.0, operations=["lock"])
    await faults.set("cn-sz-ets", lost_reply_rate=1.0, operations=["credit"])  # no credit before a lock
    await batch.submit()
    wanted = 2 * len(batch.ids)

    def lost(registry_id: str) -> Callable[[], Awaitable[bool]]:
        async def enough() -> bool:
            return (await faults.counts(registry_id))["lost_reply"] >= wanted

        return enough

    await until(lost("cn-ccer"), 20, "lost replies to lock")
    # No transfer can reach finalise yet: every credit's reply is still being lost.
    await faults.set("cn-ccer", lost_reply_rate=1.0, operations=["finalise"])
    await until(lost("cn-sz-ets"), 20, "lost replies to credit")
    await faults.clear("cn-sz-ets")
    await until(lost("cn-ccer"), 20, "lost replies to finalise")
    await faults.clear("cn-ccer")

    report = await assert_invariants(target(gateway), batch.ids, before)
    assert report.settled == sorted(batch.ids), report.state_names()
    assert traced_records(logs.records) == []
