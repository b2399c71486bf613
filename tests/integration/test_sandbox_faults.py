"""Transfers through the real client while the sandbox injects faults: each step lands exactly once.

Conservation is read from `/admin/totals`: lock+finalise at A and credit at B move
units, so A's live units fall, B's rise, and each unit class's total is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import RegistryRefused, RegistryUnavailable
from domain.units import UnitStatus
from tests.integration.sandbox_fixtures import REG_A, World, client, open_world, ranges, tst

HELD, LOCKED, EXPORTED = UnitStatus.HELD, UnitStatus.LOCKED, UnitStatus.EXPORTED
FAULTY = {"timeout_s": 0.2, "attempts": 12}

PLANS: dict[str, dict[str, Any]] = {
    "latency": {"latency_ms": 60},
    "error": {"error_rate": 0.4},
    "timeout": {"timeout_rate": 0.3, "timeout_s": 0.3},
    "lost_reply": {"lost_reply_rate": 0.4},
    "lost_reply_disconnect": {"lost_reply_rate": 0.4, "lost_reply_mode": "disconnect"},
    "mixed": {
        "latency_ms": 10,
        "error_rate": 0.15,
        "timeout_rate": 0.1,
        "timeout_s": 0.3,
        "lost_reply_rate": 0.2,
    },
}
COUNTED = {
    "error": "error",
    "timeout": "timeout",
    "lost_reply": "lost_reply",
    "lost_reply_disconnect": "lost_reply",
}


def units(spans: list[tuple[str, int, int]]) -> set[int]:
    return {unit for _, start, end in spans for unit in range(start, end + 1)}


async def transfers(world: World, count: int) -> tuple[set[int], set[int]]:
    """Run `count` transfers of 10 units from A to B; every third is undone after its credit."""
    moved: set[int] = set()
    undone: set[int] = set()
    for i in range(count):
        block = tst(1 + 10 * i, 10 + 10 * i)
        await world.a.lock(f"t{i}:lock", "alice", block)
        await world.b.credit(f"t{i}:credit", "erin", block)
        if i % 3 == 2:
            await world.b.uncredit(f"t{i}:credit")
            await world.a.unlock(f"t{i}:lock")
            undone |= set(range(block.start, block.end + 1))
        else:
            await world.a.finalise(f"t{i}:lock")
            moved |= set(range(block.start, block.end + 1))
        await world.a.holdings("alice")
    return moved, undone


@pytest.mark.parametrize("kind", list(PLANS))
async def test_every_step_lands_once_and_units_are_conserved(tmp_path, kind: str):
    async with open_world(tmp_path / "sandbox.db", **FAULTY) as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 1000)))
        before = await world.admin.totals()
        for registry_id in ("reg-a", "reg-b"):
            await world.admin.set_faults(registry_id, seed=7, **PLANS[kind])

        moved, _ = await transfers(world, 6)

        reports = [await world.admin.faults(r) for r in ("reg-a", "reg-b")]
        for registry_id in ("reg-a", "reg-b"):
            await world.admin.clear_faults(registry_id)
        if kind in COUNTED:
            assert sum(getattr(r.counts, COUNTED[kind]) for r in reports) > 0, reports
        at_a = await world.a.holdings("alice")
        assert units(ranges(at_a, EXPORTED)) == moved
        assert len(ranges(at_a, EXPORTED)) == len(moved) // 10
        assert ranges(at_a, LOCKED) == []
        assert units(ranges(at_a, HELD)) == set(range(1, 1001)) - moved
        at_b = await world.b.holdings("erin")
        assert units(ranges(at_b, HELD)) == moved
        assert {h.status for h in at_b} == {HELD}

        after = await world.admin.totals()
        assert after.by_unit_class == before.by_unit_class
        assert after.by_registry["reg-a"]["TST/TU"] == 1000 - len(moved)
        assert after.by_registry["reg-b"]["TST/TU"] == len(moved)


async def test_the_same_seed_injects_the_same_faults(tmp_path):
    counts = []
    for run in range(2):
        async with open_world(tmp_path / f"run{run}.db", **FAULTY) as world:
            await world.admin.seed("base", ("reg-a", "alice", tst(1, 1000)))
            for registry_id in ("reg-a", "reg-b"):
                await world.admin.set_faults(registry_id, seed=11, error_rate=0.3, lost_reply_rate=0.3)
            await transfers(world, 3)
            counts.append([(await world.admin.faults(r)).counts for r in ("reg-a", "reg-b")])
    assert counts[0] == counts[1]
    assert counts[0][0].error + counts[0][0].lost_reply > 0


async def test_unavailable_once_attempts_run_out_and_nothing_acted(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await world.admin.set_faults("reg-a", error_rate=1.0)
        impatient = client(REG_A, world.sandbox.url, attempts=3)
        try:
            with pytest.raises(RegistryUnavailable):
                await impatient.lock("t1:lock", "alice", tst(1, 10))
        finally:
            await impatient.aclose()
        assert (await world.admin.faults("reg-a")).counts.requests == 3
        await world.admin.clear_faults("reg-a")
        assert ranges(await world.a.holdings("alice"), HELD) == [("alice", 1, 100)]


async def test_a_held_request_times_out_the_client_without_acting(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await world.admin.set_faults("reg-a", timeout_rate=1.0, timeout_s=0.3)
        impatient = client(REG_A, world.sandbox.url, attempts=2, timeout_s=0.1)
        try:
            with pytest.raises(RegistryUnavailable, match="timed out"):
                await impatient.lock("t1:lock", "alice", tst(1, 10))
        finally:
            await impatient.aclose()
        await world.admin.clear_faults("reg-a")
        assert ranges(await world.a.holdings("alice"), HELD) == [("alice", 1, 100)]


async def test_a_lost_reply_acted_and_the_resend_gets_the_stored_answer(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await world.admin.set_faults("reg-a", lost_reply_rate=1.0)
        unlucky = client(REG_A, world.sandbox.url, attempts=3)
        try:
            with pytest.raises(RegistryUnavailable):
                await unlucky.lock("t1:lock", "alice", tst(1, 10))
        finally:
            await unlucky.aclose()
        await world.admin.clear_faults("reg-a")
        assert ranges(await world.a.holdings("alice"), LOCKED) == [("alice", 1, 10)]

        await world.a.lock("t1:lock", "alice", tst(1, 10))
        holdings = await world.a.holdings("alice")
        assert ranges(holdings, LOCKED) == [("alice", 1, 10)]
        assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_refusals_are_not_retried(tmp_path):
    async with open_world(tmp_path / "sandbox.db", attempts=5) as world:
        await world.admin.set_faults("reg-a")  # no faults, but the injector counts requests
        with pytest.raises(RegistryRefused):
            await world.a.lock("t1:lock", "alice", tst(1, 10))
        assert (await world.admin.faults("reg-a")).counts.requests == 1


async def test_a_plan_aimed_at_credits_leaves_other_calls_alone(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await world.admin.set_faults("reg-b", refusal_rate=1.0, operations=["credit"])
        await world.admin.set_faults("reg-a", refusal_rate=1.0, operations=["finalise"])

        await world.a.lock("t1:lock", "alice", tst(1, 10))
        with pytest.raises(RegistryRefused) as caught:
            await world.b.credit("t1:credit", "erin", tst(1, 10))
        assert caught.value.code == "INJECTED-REFUSAL"
        await world.b.uncredit("t1:credit")
        await world.a.unlock("t1:lock")

        assert await world.b.holdings() == []
        assert ranges(await world.a.holdings("alice"), HELD) == [("alice", 1, 100)]
        report = await world.admin.faults("reg-b")
        assert (report.counts.requests, report.counts.refusal) == (1, 1)
        assert (await world.admin.faults("reg-a")).counts.requests == 0


async def test_admin_and_health_are_never_faulted(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        for registry_id in ("reg-a", "reg-b", "reg-c"):
            await world.admin.set_faults(registry_id, error_rate=1.0)
        assert (await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))).status_code == 200
        assert (await world.admin.totals()).by_unit_class == {"TST/TU": 100}
        assert (await world.admin.http.get("/health")).status_code == 200
        assert (await world.admin.faults("reg-a")).counts.requests == 0


async def test_fault_plans_are_checked(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as world:
        too_much = await world.admin.http.put(
            "/admin/registries/reg-a/faults", json={"error_rate": 0.6, "lost_reply_rate": 0.6}
        )
        assert too_much.status_code == 422
        assert too_much.json()["code"] == "INVALID-REQUEST"
        unknown = await world.admin.http.put("/admin/registries/nowhere/faults", json={})
        assert unknown.status_code == 404
