"""Lock, release, finalise, credit and reverse against a real sandbox server, through the real client."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import RegistryRefused
from domain.units import UnitStatus
from tests.integration.sandbox_fixtures import REG_A, REG_B, World, client, open_world, oth, ranges, tst

HELD, LOCKED, EXPORTED = UnitStatus.HELD, UnitStatus.LOCKED, UnitStatus.EXPORTED


@pytest.fixture
async def world(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as opened:
        seeded = await opened.admin.seed(
            "base",
            ("reg-a", "alice", tst(1, 100)),
            ("reg-a", "bob", tst(1, 50, batch="B2")),
            ("reg-b", "carol", oth(1, 10)),
        )
        assert seeded.status_code == 200, seeded.text
        yield opened


async def refused(call) -> RegistryRefused:
    with pytest.raises(RegistryRefused) as caught:
        await call
    return caught.value


async def test_lock_splits_the_held_block_and_release_merges_it_back(world: World):
    await world.a.lock("t1:lock", "alice", tst(41, 60))

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, HELD) == [("alice", 1, 40), ("alice", 61, 100)]
    assert ranges(holdings, LOCKED) == [("alice", 41, 60)]
    assert {h.registry_status for h in holdings if h.status is LOCKED} == {"Frozen"}

    await world.a.unlock("t1:lock")

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, HELD) == [("alice", 1, 100)]
    assert ranges(holdings, LOCKED) == []


async def test_finalise_exports_the_locked_units_and_keeps_them_for_audit(world: World):
    before = await world.admin.totals()
    await world.a.lock("t1:lock", "alice", tst(1, 30))
    await world.a.finalise("t1:lock")

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, EXPORTED) == [("alice", 1, 30)]
    assert ranges(holdings, HELD) == [("alice", 31, 100)]
    assert {h.registry_status for h in holdings if h.status is EXPORTED} == {"Transferred Out"}
    after = await world.admin.totals()
    assert after.by_registry["reg-a"]["TST/TU"] == before.by_registry["reg-a"]["TST/TU"] - 30


async def test_lock_refusals_name_the_failed_check(world: World):
    absent = await refused(world.a.lock("k1", "alice", tst(101, 120, batch="B7")))
    assert absent.code == "UNITS-NOT-HELD"

    exceeds = await refused(world.a.lock("k2", "alice", tst(90, 110)))
    assert exceeds.code == "QUANTITY-EXCEEDS-BLOCK"
    assert "90..110" in exceeds.message

    wrong = await refused(world.a.lock("k3", "bob", tst(10, 20)))
    assert wrong.code == "WRONG-ACCOUNT"
    assert "alice" in wrong.message

    await world.a.lock("k4", "alice", tst(10, 20))
    twice = await refused(world.a.lock("k5", "alice", tst(15, 25)))
    assert twice.code in {"UNITS-NOT-HELD", "QUANTITY-EXCEEDS-BLOCK"}
    again = await refused(world.a.lock("k6", "alice", tst(12, 18)))
    assert again.code == "UNITS-NOT-HELD"
    assert "locked" in again.message

    other_vintage = tst(30, 40).model_copy(update={"vintage": "2019"})
    mismatch = await refused(world.a.lock("k7", "alice", other_vintage))
    assert mismatch.code == "UNITS-NOT-HELD"
    assert "vintage" in mismatch.message

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, LOCKED) == [("alice", 10, 20)]
    assert ranges(holdings, HELD) == [("alice", 1, 9), ("alice", 21, 100)]


async def test_a_lock_must_fit_inside_one_held_block(world: World):
    await world.admin.seed("split", ("reg-a", "dora", tst(1, 10, "B3")), ("reg-a", "dora", tst(11, 20, "B3")))
    across = await refused(world.a.lock("k1", "dora", tst(5, 15, "B3")))
    assert across.code == "QUANTITY-EXCEEDS-BLOCK"
    await world.a.lock("k2", "dora", tst(11, 20, "B3"))


async def test_finalise_and_release_refuse_each_other(world: World):
    await world.a.lock("t1:lock", "alice", tst(1, 10))
    await world.a.unlock("t1:lock")
    assert (await refused(world.a.finalise("t1:lock"))).code == "LOCK-RELEASED"

    await world.a.lock("t2:lock", "alice", tst(1, 10))
    await world.a.finalise("t2:lock")
    assert (await refused(world.a.unlock("t2:lock"))).code == "LOCK-FINALISED"

    assert (await refused(world.a.finalise("never"))).code == "UNKNOWN-LOCK"


async def test_release_of_an_unknown_key_is_a_no_op_that_bars_a_late_lock(world: World):
    before = await world.a.holdings()
    await world.a.unlock("t9:lock")
    assert await world.a.holdings() == before

    late = await refused(world.a.lock("t9:lock", "alice", tst(1, 10)))
    assert late.code == "LOCK-RELEASED"
    assert await world.a.holdings() == before


async def test_credit_creates_held_units_only_where_they_may_live(world: World):
    await world.b.credit("t1:credit", "erin", tst(1, 30))
    holdings = await world.b.holdings("erin")
    assert ranges(holdings, HELD) == [("erin", 1, 30)]
    assert {h.registry_status for h in holdings} == {"可用"}
    assert {h.registry_id for h in holdings} == {"reg-b"}

    await world.b.credit("t2:credit", "erin", oth(11, 20))
    own = [h.block for h in await world.b.holdings("erin") if h.block.programme == "OTH"]
    assert [(b.start, b.end) for b in own] == [(11, 20)]

    not_accepted = await refused(world.c.credit("t3:credit", "finn", tst(31, 40)))
    assert not_accepted.code == "PROGRAMME-NOT-ACCEPTED"

    overlapping = await refused(world.b.credit("t4:credit", "gus", tst(25, 35)))
    assert overlapping.code == "SERIALS-ALREADY-LIVE"
    assert ranges(await world.b.holdings("gus"), HELD) == []


async def test_credit_merges_with_held_neighbours_and_reverse_takes_only_the_credit(world: World):
    before = await world.admin.totals()
    await world.b.credit("t1:credit", "carol", oth(11, 15))
    assert ranges(await world.b.holdings("carol"), HELD) == [("carol", 1, 15)]

    await world.b.uncredit("t1:credit")

    assert ranges(await world.b.holdings("carol"), HELD) == [("carol", 1, 10)]
    assert await world.admin.totals() == before


async def test_reverse_is_refused_once_the_credited_units_moved_on(world: World):
    await world.b.credit("t1:credit", "erin", tst(1, 30))
    await world.b.lock("t2:lock", "erin", tst(1, 5))
    moved = await refused(world.b.uncredit("t1:credit"))
    assert moved.code == "CREDIT-NOT-HELD"

    await world.b.unlock("t2:lock")
    await world.b.uncredit("t1:credit")
    assert await world.b.holdings("erin") == []


async def test_reverse_of_an_unknown_key_is_a_no_op_that_bars_a_late_credit(world: World):
    before = await world.admin.totals()
    await world.b.uncredit("t5:credit")
    late = await refused(world.b.credit("t5:credit", "erin", tst(1, 5)))
    assert late.code == "CREDIT-REVERSED"
    assert await world.admin.totals() == before


async def test_units_can_come_back_to_a_registry_they_were_exported_from(world: World):
    await world.a.lock("out:lock", "alice", tst(1, 10))
    await world.b.credit("out:credit", "erin", tst(1, 10))
    await world.a.finalise("out:lock")

    await world.b.lock("back:lock", "erin", tst(1, 10))
    await world.a.credit("back:credit", "alice", tst(1, 10))
    await world.b.finalise("back:lock")

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, HELD) == [("alice", 1, 100)]
    assert ranges(holdings, EXPORTED) == [("alice", 1, 10)]
    assert ranges(await world.b.holdings("erin"), EXPORTED) == [("erin", 1, 10)]


async def test_the_same_key_twice_acts_once(world: World):
    await world.a.lock("t1:lock", "alice", tst(1, 10))
    await world.a.lock("t1:lock", "alice", tst(1, 10))
    assert ranges(await world.a.holdings("alice"), LOCKED) == [("alice", 1, 10)]

    before = await world.admin.totals()
    await world.b.credit("t1:credit", "erin", tst(1, 10))
    await world.b.credit("t1:credit", "erin", tst(1, 10))
    after = await world.admin.totals()
    assert after.by_registry["reg-b"]["TST/TU"] == 10
    assert after.by_unit_class["TST/TU"] == before.by_unit_class["TST/TU"] + 10

    await world.a.finalise("t1:lock")
    await world.a.finalise("t1:lock")
    await world.b.uncredit("t1:credit")
    await world.b.uncredit("t1:credit")
    assert ranges(await world.a.holdings("alice"), EXPORTED) == [("alice", 1, 10)]
    assert await world.b.holdings("erin") == []


async def test_the_same_key_with_another_body_is_refused(world: World):
    await world.a.lock("t1:lock", "alice", tst(1, 10))
    other = await refused(world.a.lock("t1:lock", "alice", tst(1, 11)))
    assert other.code == "KEY-REUSED"
    await world.b.credit("t1:credit", "erin", tst(1, 10))
    assert (await refused(world.b.credit("t1:credit", "frank", tst(1, 10)))).code == "KEY-REUSED"
    assert ranges(await world.a.holdings("alice"), LOCKED) == [("alice", 1, 10)]


async def test_a_refusal_changes_nothing_so_the_key_is_judged_afresh(world: World):
    first = await refused(world.a.lock("t1:lock", "alice", tst(1, 10, batch="B5")))
    assert first.code == "UNITS-NOT-HELD"
    await world.admin.seed("late", ("reg-a", "alice", tst(1, 10, batch="B5")))
    await world.a.lock("t1:lock", "alice", tst(1, 10, batch="B5"))
    assert ranges(await world.a.holdings("alice"), LOCKED) == [("alice", 1, 10)]


async def test_keys_with_path_characters_reach_the_right_lock(world: World):
    key = "transfer/7 ünit?#lock"
    await world.a.lock(key, "alice", tst(1, 10))
    await world.a.finalise(key)
    assert ranges(await world.a.holdings("alice"), EXPORTED) == [("alice", 1, 10)]


async def test_two_concurrent_locks_of_overlapping_blocks_one_wins(world: World):
    clients = [client(REG_A, world.sandbox.url) for _ in range(6)]
    try:
        blocks = [tst(1 + 5 * i, 30 + 5 * i) for i in range(6)]  # every pair overlaps
        outcomes = await asyncio.gather(
            *(
                c.lock(f"race{i}:lock", "alice", b)
                for i, (c, b) in enumerate(zip(clients, blocks, strict=True))
            ),
            return_exceptions=True,
        )
    finally:
        for c in clients:
            await c.aclose()
    winners = [o for o in outcomes if o is None]
    losers = [o for o in outcomes if isinstance(o, RegistryRefused)]
    assert len(winners) == 1
    assert len(losers) == 5
    assert {loser.code for loser in losers} <= {"UNITS-NOT-HELD", "QUANTITY-EXCEEDS-BLOCK"}
    locked = ranges(await world.a.holdings("alice"), LOCKED)
    assert len(locked) == 1
    assert locked[0][2] - locked[0][1] + 1 == 30


async def test_concurrent_resends_of_one_lock_act_once(world: World):
    outcomes = await asyncio.gather(*(world.a.lock("t1:lock", "alice", tst(1, 10)) for _ in range(5)))
    assert outcomes == [None] * 5
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, LOCKED) == [("alice", 1, 10)]
    assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_state_survives_a_restart_on_the_same_file(tmp_path):
    state = tmp_path / "sandbox.db"
    async with open_world(state) as first:
        await first.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await first.a.lock("t1:lock", "alice", tst(1, 40))
        await first.b.credit("t1:credit", "erin", tst(1, 40))
        before = (await first.a.holdings(), await first.b.holdings(), await first.admin.totals())

    async with open_world(state) as second:
        assert (await second.a.holdings(), await second.b.holdings(), await second.admin.totals()) == before
        await second.a.lock("t1:lock", "alice", tst(1, 40))
        await second.b.credit("t1:credit", "erin", tst(1, 40))
        assert (await second.admin.seed("base", ("reg-a", "alice", tst(1, 100)))).status_code == 200
        assert await second.admin.totals() == before[2]
        await second.a.unlock("t1:lock")
        assert ranges(await second.a.holdings("alice"), HELD) == [("alice", 1, 100)]


async def test_seeds_apply_once_per_key(world: World):
    before = await world.admin.totals()
    again = await world.admin.seed(
        "base",
        ("reg-a", "alice", tst(1, 100)),
        ("reg-a", "bob", tst(1, 50, batch="B2")),
        ("reg-b", "carol", oth(1, 10)),
    )
    assert again.status_code == 200
    assert await world.admin.totals() == before
    changed = await world.admin.seed("base", ("reg-a", "alice", tst(1, 5, batch="B8")))
    assert changed.status_code == 422
    assert changed.json()["code"] == "KEY-REUSED"


async def test_a_seed_is_all_or_nothing(world: World):
    before = await world.admin.totals()
    clash = await world.admin.seed(
        "clash", ("reg-a", "zed", tst(1, 5, batch="B6")), ("reg-a", "zed", tst(1, 100))
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "SERIALS-ALREADY-LIVE"
    assert await world.admin.totals() == before
    assert await world.a.holdings("zed") == []


async def test_totals_count_live_units_per_registry_and_unit_class(world: World):
    totals = await world.admin.totals()
    assert totals.by_registry == {"reg-a": {"TST/TU": 150}, "reg-b": {"OTH/OU": 10}, "reg-c": {}}
    assert totals.by_unit_class == {"TST/TU": 150, "OTH/OU": 10}
    health = await world.admin.http.get("/health")
    assert health.json() == {"status": "ok"}


async def test_a_client_of_another_registry_sees_only_its_own_book(world: World):
    assert {h.registry_id for h in await world.a.holdings()} == {REG_A.registry_id}
    assert {h.registry_id for h in await world.b.holdings()} == {REG_B.registry_id}
