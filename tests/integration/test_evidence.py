"""The evidence readers against the sandbox's public APIs: genuine evidence is found, anything else is not."""

from __future__ import annotations

import time

import pytest

from adapters import gold_standard, hk_core_climate, verra
from adapters.evidence import (
    Evidence,
    EvidenceRefused,
    GoldStandardEvidenceReader,
    VerraEvidenceReader,
    evidence_reader_for,
)
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.verra import VERRA
from adapters.polite_client import Politeness
from domain.errors import InvalidInput, RegistryRefused, RegistryUnavailable
from domain.units import UnitStatus
from tests.integration.evidence_fixtures import QUICK, EvidenceWorld, open_evidence_world, vcu, ver


@pytest.fixture
async def world(tmp_path):
    async with open_evidence_world(tmp_path / "sandbox.db") as opened:
        seeded = await opened.admin.seed(
            "base", ("verra", "alice", vcu(1, 1000)), ("gold-standard", "gina", ver(1, 500))
        )
        assert seeded.status_code == 200, seeded.text
        yield opened


async def acted(response) -> None:
    assert response.status_code == 200, response.text


async def refused(call) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        await call
    assert isinstance(caught.value, RegistryRefused)
    return caught.value


async def test_verra_evidence_is_found_once_the_holder_immobilises(world: EvidenceWorld):
    block = vcu(101, 200)
    assert await world.verra_reader.find("T-1", block) is None

    await acted(
        await world.holder.immobilise("verra", "alice", block, "Immobilised for gateway transfer T-1.")
    )
    evidence = await world.verra_reader.find("T-1", block)

    assert evidence is not None
    assert (evidence.registry_id, evidence.transfer_id, evidence.block) == ("verra", "T-1", block)
    assert (evidence.kind, evidence.status, evidence.registry_status) == (
        "immobilisation",
        UnitStatus.EXPORTED,
        "Immobilised",
    )
    assert evidence.serial == VERRA.format(block)
    assert evidence.details == "Immobilised for gateway transfer T-1."
    assert Evidence.model_validate_json(evidence.model_dump_json()) == evidence


async def test_gold_standard_evidence_is_found_once_the_holder_immobilises(world: EvidenceWorld):
    block = ver(1, 25)
    assert await world.gs_reader.find("T-2", block) is None

    await acted(await world.holder.immobilise("gold-standard", "gina", block, "note: T-2"))
    evidence = await world.gs_reader.find("T-2", block)

    assert evidence is not None
    assert (evidence.registry_id, evidence.registry_status, evidence.serial) == (
        "gold-standard",
        "IMMOBILISED",
        GOLD_STANDARD.format(block),
    )


async def test_nothing_is_found_where_the_registry_has_nothing(world: EvidenceWorld):
    assert await world.verra_reader.find("T-1", vcu(1, 10, project="4444")) is None
    assert await world.gs_reader.find("T-1", ver(1, 10, batch=99, project="GS42")) is None


async def test_an_immobilisation_naming_another_transfer_is_refused(world: EvidenceWorld):
    await world.holder.immobilise("verra", "alice", vcu(1, 100), "for transfer T-10")
    await world.holder.immobilise("gold-standard", "gina", ver(1, 100), "for transfer T-2")

    verra_refusal = await refused(world.verra_reader.find("T-1", vcu(1, 100)))
    gs_refusal = await refused(world.gs_reader.find("T-1", ver(1, 100)))

    assert verra_refusal.code == gs_refusal.code == "EVIDENCE-OTHER-TRANSFER"
    assert verra_refusal.serial == VERRA.format(vcu(1, 100))
    assert (await world.verra_reader.find("T-10", vcu(1, 100))) is not None


async def test_an_immobilisation_of_other_serials_is_refused(world: EvidenceWorld):
    await world.holder.immobilise("verra", "alice", vcu(1, 200), "transfer T-1")
    await world.holder.immobilise("gold-standard", "gina", ver(1, 40), "transfer T-1")

    larger = await refused(world.verra_reader.find("T-1", vcu(1, 100)))
    smaller = await refused(world.gs_reader.find("T-1", ver(1, 100)))

    assert larger.code == smaller.code == "EVIDENCE-OTHER-SERIALS"
    assert "1..100" in larger.message


async def test_a_retirement_is_never_evidence(world: EvidenceWorld):
    await world.holder.retire("verra", "alice", vcu(1, 100), "transfer T-1", beneficiary="T-1")
    await world.holder.retire("gold-standard", "gina", ver(1, 100), "transfer T-1", reason="T-1")

    verra_refusal = await refused(world.verra_reader.find("T-1", vcu(1, 100)))
    gs_refusal = await refused(world.gs_reader.find("T-1", ver(1, 100)))

    assert verra_refusal.code == gs_refusal.code == "EVIDENCE-RETIRED"


async def test_a_retirement_outranks_other_refusals_across_pages(tmp_path):
    async with open_evidence_world(tmp_path / "sandbox.db", verra_page_size=1) as world:
        await world.admin.seed("base", ("verra", "alice", vcu(1, 1000)))
        await world.holder.immobilise("verra", "alice", vcu(1, 50), "transfer T-1")
        await world.holder.retire("verra", "alice", vcu(51, 60), "claimed")
        await world.holder.immobilise("verra", "alice", vcu(61, 70), "transfer T-2")

        refusal = await refused(world.verra_reader.find("T-1", vcu(1, 100)))

        assert refusal.code == "EVIDENCE-RETIRED"
        assert refusal.serial == VERRA.format(vcu(51, 60))


async def test_a_released_mistake_can_be_redone(world: EvidenceWorld):
    block = ver(201, 300)
    await world.holder.immobilise("gold-standard", "gina", block, "transfer T-3X")
    await refused(world.gs_reader.find("T-3", block))

    await acted(await world.holder.release("gold-standard", "gina", block))
    assert await world.gs_reader.find("T-3", block) is None
    await acted(await world.holder.immobilise("gold-standard", "gina", block, "transfer T-3"))

    assert await world.gs_reader.find("T-3", block) is not None


async def test_evidence_on_a_later_page_is_found(world: EvidenceWorld):
    block = ver(401, 450)
    await world.holder.immobilise("gold-standard", "gina", block, "T-4")
    later = [("gold-standard", "gina", ver(1, 10, batch=50000 + n)) for n in range(60)]
    assert (await world.admin.seed("later", *later)).status_code == 200
    first_page = await world.http.get("/gold-standard/credits", params={"query": "GS7495", "size": 25})
    assert GOLD_STANDARD.format(block) not in {c["serial_number"] for c in first_page.json()}

    evidence = await world.gs_reader.find("T-4", block)

    assert evidence is not None and evidence.serial == GOLD_STANDARD.format(block)


async def test_requests_keep_the_minimum_interval(tmp_path):
    polite = QUICK.model_copy(update={"min_interval_s": 0.15})
    async with open_evidence_world(tmp_path / "sandbox.db", politeness=polite, verra_page_size=1) as world:
        await world.admin.seed("base", ("verra", "alice", vcu(1, 10)), ("verra", "alice", vcu(11, 20)))
        await world.admin.set_faults("verra")  # no faults; the injector counts requests

        started = time.monotonic()
        assert await world.verra_reader.find("T-1", vcu(5, 15)) is None  # two records: two pages
        assert await world.verra_reader.find("T-1", vcu(1, 10)) is None

        assert (await world.admin.faults("verra")).counts.requests == 3
        assert time.monotonic() - started >= 0.3


FAULT_PLANS = {
    "latency": {"latency_ms": 40},
    "server_errors": {"error_rate": 0.5},
    "rate_limits": {"rate_limit_rate": 0.5, "retry_after_s": 0},
    "timeouts": {"timeout_rate": 0.4, "timeout_s": 0.3},
    "mixed": {
        "latency_ms": 5,
        "error_rate": 0.2,
        "rate_limit_rate": 0.2,
        "retry_after_s": 0,
        "timeout_rate": 0.1,
        "timeout_s": 0.3,
    },
}
INJECTED = {"server_errors": "error", "rate_limits": "rate_limit", "timeouts": "timeout"}


@pytest.mark.parametrize("kind", list(FAULT_PLANS))
async def test_readers_stay_correct_under_faults(tmp_path, kind: str):
    impatient = QUICK.model_copy(update={"timeout_s": 0.15, "attempts": 15})
    async with open_evidence_world(tmp_path / "sandbox.db", politeness=impatient) as world:
        await world.admin.seed(
            "base", ("verra", "alice", vcu(1, 1000)), ("gold-standard", "gina", ver(1, 500))
        )
        await world.holder.immobilise("verra", "alice", vcu(1, 100), "transfer T-1")
        await world.holder.immobilise("gold-standard", "gina", ver(1, 100), "transfer T-2")
        await world.holder.retire("gold-standard", "gina", ver(101, 200), "transfer T-3")
        for registry_id in ("verra", "gold-standard"):
            await world.admin.set_faults(registry_id, seed=1, **FAULT_PLANS[kind])

        results = []
        for _ in range(3):
            results.append(await world.verra_reader.find("T-1", vcu(1, 100)))
            results.append(await world.gs_reader.find("T-2", ver(1, 100)))
            assert await world.verra_reader.find("T-9", vcu(401, 500)) is None
            assert (await refused(world.gs_reader.find("T-3", ver(101, 200)))).code == "EVIDENCE-RETIRED"

        assert all(evidence is not None for evidence in results)
        reports = [await world.admin.faults(r) for r in ("verra", "gold-standard")]
        if kind in INJECTED:
            assert sum(getattr(r.counts, INJECTED[kind]) for r in reports) > 0, reports


async def test_retry_after_is_honoured(world: EvidenceWorld):
    await world.admin.set_faults("verra", rate_limit_rate=1.0, retry_after_s=1)
    reader = VerraEvidenceReader(
        f"{world.sandbox.url}/verra", politeness=QUICK.model_copy(update={"attempts": 2})
    )
    started = time.monotonic()
    try:
        with pytest.raises(RegistryUnavailable, match="HTTP 429"):
            await reader.find("T-1", vcu(1, 100))
    finally:
        await reader.aclose()
    assert time.monotonic() - started >= 1.0
    assert (await world.admin.faults("verra")).counts.requests == 2


async def test_a_pause_longer_than_patience_gives_up_at_once(world: EvidenceWorld):
    await world.admin.set_faults("gold-standard", rate_limit_rate=1.0, retry_after_s=600)
    with pytest.raises(RegistryUnavailable, match="asked to wait 600 s"):
        await world.gs_reader.find("T-1", ver(1, 100))
    assert (await world.admin.faults("gold-standard")).counts.requests == 1


async def test_unavailable_when_attempts_run_out(world: EvidenceWorld):
    await world.admin.set_faults("gold-standard", error_rate=1.0)
    with pytest.raises(RegistryUnavailable, match="after 8 attempts"):
        await world.gs_reader.find("T-1", ver(1, 100))
    assert (await world.admin.faults("gold-standard")).counts.requests == 8


async def test_a_block_of_another_programme_is_refused_before_any_request(world: EvidenceWorld):
    await world.admin.set_faults("gold-standard")
    with pytest.raises(InvalidInput):
        await world.gs_reader.find("T-1", vcu(1, 100))
    assert (await world.admin.faults("gold-standard")).counts.requests == 0


async def test_readers_come_from_the_profile(world: EvidenceWorld):
    await world.holder.immobilise("verra", "alice", vcu(1, 100), "T-1")
    for profile, expected in (
        (verra.PROFILE, VerraEvidenceReader),
        (gold_standard.PROFILE, GoldStandardEvidenceReader),
    ):
        reader = evidence_reader_for(profile, world.sandbox.url + "/", politeness=QUICK)
        try:
            assert isinstance(reader, expected)
            if profile is verra.PROFILE:
                assert await reader.find("T-1", vcu(1, 100)) is not None
        finally:
            await reader.aclose()
    with pytest.raises(InvalidInput, match="locks there itself"):
        evidence_reader_for(hk_core_climate.PROFILE, world.sandbox.url, politeness=Politeness())
