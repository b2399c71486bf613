"""Accounts in the sandbox registries: units go only into an account that was opened and is not blocked."""

from __future__ import annotations

import sqlite3

import pytest

from adapters import catalogue
from adapters.base import AccountState
from adapters.sandbox.server import start_sandbox
from adapters.sandbox.store import SandboxStore
from domain.errors import RegistryRefused, RegistryUnavailable
from domain.units import UnitStatus
from gateway.demo import load_demo_holdings, seed_demo_holdings
from tests.integration.sandbox_fixtures import REG_B, World, client, open_world, ranges, tst

OPEN, BLOCKED, UNKNOWN = AccountState.OPEN, AccountState.BLOCKED, AccountState.UNKNOWN


@pytest.fixture
async def world(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as opened:
        seeded = await opened.admin.seed("base", ("reg-a", "alice", tst(1, 100)))
        assert seeded.status_code == 200, seeded.text
        yield opened


async def refused(call) -> RegistryRefused:
    with pytest.raises(RegistryRefused) as caught:
        await call
    return caught.value


async def test_a_lookup_answers_open_blocked_or_unknown(world: World):
    await world.admin.set_accounts(("reg-b", "gus"), state=BLOCKED)
    await world.admin.open_accounts(("reg-b", "desk/7"), ("reg-b", "ops@bank.example"))

    assert await world.b.account_state("erin") is OPEN
    assert await world.b.account_state("gus") is BLOCKED
    assert await world.b.account_state("nobody") is UNKNOWN
    assert await world.b.account_state("desk/7") is OPEN  # a path character reaches the right account
    assert await world.b.account_state("desk") is UNKNOWN
    assert await world.b.account_state("ops@bank.example") is OPEN
    assert await world.a.account_state("erin") is UNKNOWN  # accounts belong to one registry


async def test_a_credit_goes_only_to_an_open_account(world: World):
    before = await world.admin.totals()
    unknown = await refused(world.b.credit("t1:credit", "nobody", tst(1, 10)))
    assert unknown.code == "ACCOUNT-UNKNOWN"
    assert "nobody" in unknown.message
    await world.admin.set_accounts(("reg-b", "gus"), state=BLOCKED)
    blocked = await refused(world.b.credit("t2:credit", "gus", tst(1, 10)))
    assert blocked.code == "ACCOUNT-BLOCKED"
    assert await world.admin.totals() == before
    assert await world.b.holdings("nobody") == [] and await world.b.holdings("gus") == []

    # A refusal is not stored: once the account is opened, the same key credits.
    await world.admin.open_accounts(("reg-b", "nobody"))
    await world.b.credit("t1:credit", "nobody", tst(1, 10))
    assert ranges(await world.b.holdings("nobody"), UnitStatus.HELD) == [("nobody", 1, 10)]


async def test_a_blocked_account_cannot_lock_but_its_lock_can_be_released(world: World):
    await world.a.lock("t1:lock", "alice", tst(1, 10))
    await world.admin.set_accounts(("reg-a", "alice"), state=BLOCKED)

    assert (await refused(world.a.lock("t2:lock", "alice", tst(11, 20)))).code == "ACCOUNT-BLOCKED"
    await world.a.unlock("t1:lock")  # a compensation puts things back, blocked or not
    assert ranges(await world.a.holdings("alice"), UnitStatus.HELD) == [("alice", 1, 100)]

    await world.admin.open_accounts(("reg-a", "alice"))
    await world.a.lock("t2:lock", "alice", tst(11, 20))


async def test_seeding_opens_the_holders_account_and_never_unblocks_it(world: World):
    assert await world.a.account_state("alice") is OPEN  # seeded, never opened by hand
    await world.admin.set_accounts(("reg-a", "alice"), state=BLOCKED)
    more = await world.admin.seed("more", ("reg-a", "alice", tst(1, 10, batch="B4")))
    assert more.status_code == 200, more.text
    assert await world.a.account_state("alice") is BLOCKED

    clash = await world.admin.seed(
        "clash", ("reg-a", "zed", tst(1, 5, batch="B6")), ("reg-a", "zed", tst(1, 100))
    )
    assert clash.status_code == 409
    assert await world.a.account_state("zed") is UNKNOWN  # all or nothing, the account too


@pytest.mark.parametrize(
    "account_id",
    ["   ", "erin\x00", "\u202eerin", "er\u200bin", "\ufeffnobody", "erin\n", "еrin", "x" * 129, "-erin"],
    ids=[
        "blank",
        "nul",
        "rtl-override",
        "zero-width",
        "bom",
        "newline",
        "cyrillic",
        "too-long",
        "leading-dash",
    ],
)
async def test_an_account_the_gateway_would_refuse_cannot_be_opened(world: World, account_id: str):
    accounts = [{"registry_id": "reg-b", "account_id": a} for a in ("fine-account", account_id)]
    answer = await world.admin.http.put("/admin/accounts", json={"accounts": accounts})
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID-REQUEST"
    assert len(answer.json()["message"]) < 400  # an oversized id is not echoed whole
    assert await world.b.account_state("fine-account") is UNKNOWN  # all or none


async def test_opening_needs_a_known_registry_and_a_settable_state(world: World):
    nowhere = await world.admin.set_accounts(("reg-b", "fine-account"), ("nowhere", "fine-account"))
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "UNKNOWN-REGISTRY")
    assert await world.b.account_state("fine-account") is UNKNOWN
    body = {"accounts": [{"registry_id": "reg-b", "account_id": "erin", "state": "unknown"}]}
    unknowable = await world.admin.http.put("/admin/accounts", json=body)
    assert unknowable.status_code == 422
    assert await world.b.account_state("erin") is OPEN


async def test_the_lookup_is_a_registry_call_faults_reach(world: World):
    await world.admin.set_faults("reg-b", error_rate=1.0, operations=["account"])
    impatient = client(REG_B, world.sandbox.url, attempts=2)
    try:
        with pytest.raises(RegistryUnavailable):
            await impatient.account_state("erin")
        await impatient.credit("t1:credit", "erin", tst(1, 10))  # other calls are not aimed at
    finally:
        await impatient.aclose()
    assert (await world.admin.faults("reg-b")).counts.error == 2


async def test_accounts_survive_a_restart(tmp_path):
    state = tmp_path / "sandbox.db"
    async with open_world(state) as first:
        await first.admin.open_accounts(("reg-b", "kept"))
        await first.admin.set_accounts(("reg-b", "erin"), state=BLOCKED)
    async with open_world(state) as second:
        assert await second.b.account_state("kept") is OPEN
        # open_world opens its cast again, so `erin` is open; the block had survived until then.
        assert await second.b.account_state("erin") is OPEN


async def test_a_state_file_from_before_accounts_opens_every_holders_account(tmp_path):
    state = tmp_path / "sandbox.db"
    store = SandboxStore(state)
    with store.writing() as tx:
        tx.insert("reg-a", "alice", tst(1, 10), UnitStatus.HELD, "old-seed")
        tx.insert("reg-b", "erin", tst(11, 20), UnitStatus.EXPORTED, "old-credit")
    store.close()
    with sqlite3.connect(state) as db:  # what a file written before accounts existed looks like
        db.execute("DROP TABLE accounts")

    store = SandboxStore(state)
    try:
        with store.reading() as tx:
            found = {
                (registry, account): tx.account_state(registry, account)
                for registry, account in [("reg-a", "alice"), ("reg-b", "erin"), ("reg-a", "erin")]
            }
    finally:
        store.close()
    assert found == {("reg-a", "alice"): OPEN, ("reg-b", "erin"): OPEN, ("reg-a", "erin"): UNKNOWN}


async def test_every_demo_account_is_open_after_the_demo_seed(tmp_path):
    sandbox = await start_sandbox(catalogue.all_profiles(), tmp_path / "sandbox.db")
    try:
        await seed_demo_holdings(sandbox.url)
        holders = {(h.registry_id, h.account_id) for h in load_demo_holdings()}
        assert ("cn-sz-ets", "demo-sz-emitter") in holders
        for registry_id, account_id in sorted(holders):
            async with client(catalogue.profile(registry_id), sandbox.url) as registry:
                assert await registry.account_state(account_id) is OPEN, (registry_id, account_id)
                assert await registry.account_state(f"{account_id}-x") is UNKNOWN
    finally:
        await sandbox.stop()
