"""Retirement against a real sandbox server, through the real client: final, keyed, faultable."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import catalogue
from adapters.base import AccountState
from adapters.sandbox.wire import HoldingsResponse, RetirementOut, RetirementRequest
from domain.errors import RegistryRefused, RegistryUnavailable
from domain.units import UnitStatus
from tests.integration.sandbox_fixtures import (
    REG_A,
    World,
    client,
    open_world,
    oth,
    ranges,
    running_sandbox,
    tst,
)

HELD, LOCKED, RETIRED = UnitStatus.HELD, UnitStatus.LOCKED, UnitStatus.RETIRED
FOR_ACME = {"beneficiary": "Acme Ltd", "reason": "offsetting 2024 flights"}


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


async def book(world: World, registry_id: str = "reg-a") -> HoldingsResponse:
    """The holdings as the wire sends them: the client's `Holding` has no retirement."""
    response = await world.admin.http.get(f"/registries/{registry_id}/holdings")
    response.raise_for_status()
    return HoldingsResponse.model_validate_json(response.content)


async def post_retirement(world: World, **fields: Any) -> Any:
    request = RetirementRequest(**{"account_id": "alice", **FOR_ACME, **fields})
    return await world.admin.http.post("/registries/reg-a/retirements", content=request.model_dump_json())


async def test_retire_part_of_a_held_block_keeps_the_rest_held(world: World):
    before = await world.admin.totals()
    await world.a.retire("r1", "alice", tst(41, 60), **FOR_ACME)

    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 41, 60)]
    assert ranges(holdings, HELD) == [("alice", 1, 40), ("alice", 61, 100)]
    assert {h.registry_status for h in holdings if h.status is RETIRED} == {"Retired"}
    shown = {(row.block.start, row.retirement) for row in (await book(world)).holdings}
    assert (41, RetirementOut(key="r1", **FOR_ACME)) in shown
    assert {retirement for start, retirement in shown if start != 41} == {None}
    assert await world.admin.totals() == before  # retired units still exist in the registry


async def test_the_same_retirement_again_is_a_no_op(world: World):
    first = await post_retirement(world, key="r1", block=tst(1, 10))
    await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)
    again = await post_retirement(world, key="r1", block=tst(1, 10))

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["state"] == "retired"
    assert first.json()["retirement"] == {"key": "r1", **FOR_ACME}
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 1, 10)]
    assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_a_key_retires_one_block_for_one_beneficiary(world: World):
    await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)

    other_block = await refused(world.a.retire("r1", "alice", tst(11, 20), **FOR_ACME))
    assert other_block.code == "KEY-REUSED"
    other_beneficiary = await refused(
        world.a.retire("r1", "alice", tst(1, 10), beneficiary="Other plc", reason=FOR_ACME["reason"])
    )
    assert other_beneficiary.code == "KEY-REUSED"
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 1, 10)]
    assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_retiring_units_not_held_is_refused_and_changes_nothing(world: World):
    await world.a.lock("t1:lock", "alice", tst(91, 100))
    cases = [  # (block, account, expected code), the last after bob's account is blocked
        (tst(1, 10, batch="B7"), "alice", "UNITS-NOT-HELD"),  # absent
        (tst(80, 120), "alice", "QUANTITY-EXCEEDS-BLOCK"),
        (tst(1, 10), "bob", "WRONG-ACCOUNT"),
        (tst(91, 95), "alice", "UNITS-NOT-HELD"),  # locked
        (tst(1, 10, batch="B2"), "bob", "ACCOUNT-BLOCKED"),
    ]
    for i, (block, account_id, code) in enumerate(cases):
        if code == "ACCOUNT-BLOCKED":
            blocked = await world.admin.set_accounts(("reg-a", "bob"), state=AccountState.BLOCKED)
            assert blocked.status_code == 200, blocked.text
        assert (await refused(world.a.retire(f"r{i}", account_id, block, **FOR_ACME))).code == code

    assert ranges(await world.a.holdings(), RETIRED) == []
    # A refusal is not stored: the same key may retire once the units are there.
    await world.a.retire("r0", "alice", tst(1, 10), **FOR_ACME)
    assert ranges(await world.a.holdings("alice"), RETIRED) == [("alice", 1, 10)]


async def test_retired_units_cannot_be_locked_or_retired_again(world: World):
    await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)

    locked = await refused(world.a.lock("t1:lock", "alice", tst(5, 10)))
    assert locked.code == "UNITS-NOT-HELD"
    assert "retired" in locked.message
    twice = await refused(world.a.retire("r2", "alice", tst(1, 10), **FOR_ACME))
    assert twice.code == "UNITS-NOT-HELD"
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 1, 10)]
    assert ranges(holdings, LOCKED) == []


@pytest.mark.parametrize("mode", ["status", "disconnect"])
async def test_a_lost_reply_retried_under_the_same_key_retires_once(world: World, mode: str):
    # Seed 1 draws a lost reply for the first request and nothing for the second.
    await world.admin.set_faults(
        "reg-a", seed=1, lost_reply_rate=0.5, lost_reply_mode=mode, operations=["retire"]
    )
    await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)

    counts = (await world.admin.faults("reg-a")).counts
    assert (counts.requests, counts.lost_reply) == (2, 1)
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 1, 10)]
    assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_a_retire_given_up_on_after_lost_replies_is_finished_by_a_later_retry(world: World):
    await world.admin.set_faults("reg-a", lost_reply_rate=1.0, operations=["retire"])
    impatient = client(REG_A, world.sandbox.url, attempts=2)
    try:
        with pytest.raises(RegistryUnavailable):
            await impatient.retire("r1", "alice", tst(1, 10), **FOR_ACME)
    finally:
        await impatient.aclose()
    assert ranges(await world.a.holdings("alice"), RETIRED) == [("alice", 1, 10)]  # it was applied

    await world.admin.clear_faults("reg-a")
    await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)
    holdings = await world.a.holdings("alice")
    assert ranges(holdings, RETIRED) == [("alice", 1, 10)]
    assert ranges(holdings, HELD) == [("alice", 11, 100)]


async def test_injected_errors_do_not_retire(world: World):
    await world.admin.set_faults("reg-a", error_rate=1.0, operations=["retire"])
    impatient = client(REG_A, world.sandbox.url, attempts=2)
    try:
        with pytest.raises(RegistryUnavailable):
            await impatient.retire("r1", "alice", tst(1, 10), **FOR_ACME)
    finally:
        await impatient.aclose()
    assert (await world.admin.faults("reg-a")).counts.error == 2
    assert ranges(await world.a.holdings("alice"), RETIRED) == []


async def test_a_registry_without_a_retired_word_refuses_retirement(world: World):
    wordless = await refused(world.b.retire("r1", "carol", oth(1, 5), **FOR_ACME))
    assert wordless.code == "NO-STATUS-WORD"
    assert ranges(await world.b.holdings("carol"), HELD) == [("carol", 1, 10)]


async def test_evidence_based_registries_have_no_retirement_to_call(world: World):
    for registry_id in ("verra", "gold-standard"):
        profile = catalogue.profile(registry_id)
        evidence = client(profile, world.sandbox.url, attempts=1)
        try:
            no_api = await refused(evidence.retire("r1", "alice", tst(1, 10), **FOR_ACME))
        finally:
            await evidence.aclose()
        assert no_api.code == "NO-WRITE-API"
        assert no_api.message == f"{registry_id} has no write API: the holder retires units there themselves"


async def test_a_retirement_survives_a_restart(tmp_path):
    state = tmp_path / "sandbox.db"
    async with open_world(state) as world:
        await world.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        await world.a.retire("r1", "alice", tst(1, 10), **FOR_ACME)
    async with running_sandbox(state) as sandbox:
        again = client(REG_A, sandbox.url)
        try:
            await again.retire("r1", "alice", tst(1, 10), **FOR_ACME)  # the stored answer
            assert ranges(await again.holdings("alice"), RETIRED) == [("alice", 1, 10)]
            other = await refused(again.retire("r1", "alice", tst(11, 20), **FOR_ACME))
            assert other.code == "KEY-REUSED"
        finally:
            await again.aclose()
