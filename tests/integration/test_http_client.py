"""The sandbox client's own duties: mapping status words, passing refusals on, giving up in time."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import pytest

from adapters.base import RegistryAdapter
from adapters.http_client import SandboxRegistryClient, UnrecognisedReply
from domain.errors import RegistryRefused, RegistryUnavailable
from domain.units import UnitStatus
from tests.integration.sandbox_fixtures import REG_A, REG_B, World, client, open_world, oth, tst


@pytest.fixture
async def world(tmp_path):
    async with open_world(tmp_path / "sandbox.db") as opened:
        await opened.admin.seed(
            "base",
            ("reg-a", "alice", tst(1, 100)),
            ("reg-a", "bob", tst(1, 20, batch="B2")),
            ("reg-b", "carol", oth(1, 10)),
        )
        yield opened


async def test_holdings_map_the_registry_words_back_to_ours(world: World):
    await world.b.credit("t1:credit", "erin", tst(1, 5))
    await world.b.lock("t2:lock", "carol", oth(1, 4))

    holdings = await world.b.holdings()

    seen = {(h.account_id, h.block.start, h.block.end): (h.status, h.registry_status) for h in holdings}
    assert seen == {
        ("erin", 1, 5): (UnitStatus.HELD, "可用"),
        ("carol", 1, 4): (UnitStatus.LOCKED, "冻结"),
        ("carol", 5, 10): (UnitStatus.HELD, "可用"),
    }
    assert all(h.registry_id == "reg-b" for h in holdings)


async def test_holdings_of_one_account(world: World):
    bob = await world.a.holdings("bob")
    assert [(h.account_id, h.block.serial_space, h.block.quantity) for h in bob] == [("bob", "TST:P1:B2", 20)]
    assert await world.a.holdings("nobody") == []


async def test_an_unknown_status_word_is_an_error_not_a_guess(world: World):
    renamed = {"Available": UnitStatus.HELD, "Frozen": UnitStatus.LOCKED, "Gone": UnitStatus.EXPORTED}
    stale = client(replace(REG_A, status_words=renamed), world.sandbox.url)
    try:
        with pytest.raises(UnrecognisedReply, match="'Active'") as caught:
            await stale.holdings("alice")
    finally:
        await stale.aclose()
    assert isinstance(caught.value, RegistryRefused)


async def test_a_word_that_maps_to_another_status_is_refused(world: World):
    crossed = {"Active": UnitStatus.LOCKED, "Frozen": UnitStatus.HELD, "Transferred Out": UnitStatus.EXPORTED}
    confused = client(replace(REG_A, status_words=crossed), world.sandbox.url)
    try:
        with pytest.raises(UnrecognisedReply, match="maps to locked"):
            await confused.holdings("alice")
    finally:
        await confused.aclose()


async def test_a_refusal_carries_the_registry_code_and_message(world: World):
    with pytest.raises(RegistryRefused) as caught:
        await world.a.lock("t1:lock", "bob", tst(1, 10))
    assert caught.value.code == "WRONG-ACCOUNT"
    assert "reg-a" in caught.value.message
    assert "'alice'" in caught.value.message


async def test_an_unknown_registry_is_refused(world: World):
    ghost = client(
        replace(REG_A, info=REG_A.info.model_copy(update={"registry_id": "ghost"})), world.sandbox.url
    )
    try:
        with pytest.raises(RegistryRefused) as caught:
            await ghost.holdings()
    finally:
        await ghost.aclose()
    assert caught.value.code == "UNKNOWN-REGISTRY"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_nothing_listening_is_unavailable_after_the_attempts():
    started = time.monotonic()
    async with SandboxRegistryClient(
        REG_B, f"http://127.0.0.1:{_closed_port()}", timeout_s=0.2, attempts=3, backoff_s=0.01
    ) as lonely:
        with pytest.raises(RegistryUnavailable, match="after 3 attempts"):
            await lonely.credit("t1:credit", "erin", tst(1, 5))
    assert time.monotonic() - started < 2.0


async def test_a_client_is_a_registry_adapter(world: World):
    adapter: RegistryAdapter = world.a
    assert adapter.profile is REG_A
