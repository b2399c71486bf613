"""A transfer along each path the mission names, end to end over gRPC, with units conserved."""

from __future__ import annotations

import itertools
from datetime import date

import grpc
import pytest

from adapters import catalogue
from compliance_rules.facts import Authorisation, AuthorisedUse
from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, final_state, transfer_request, until_scheduled
from tests.e2e.sandbox_admin import SandboxAdmin
from workflows.inputs import transfer_workflow_id

pytestmark = pytest.mark.e2e
_n = itertools.count(1)


def verra_serial(first: int, last: int) -> str:
    return f"9660-{first}-{last}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"


def fresh_range(size: int) -> tuple[int, int]:
    """A VCS range no other test uses (VCS numbering is registry-wide)."""
    first = 400_000_000 + next(_n) * 10_000
    return first, first + size - 1


async def held(registries, registry_id: str, account_id: str) -> list[tuple[str, int, int]]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sorted((h.serial, h.quantity, h.status) for h in found.holdings)


@pytest.mark.parametrize(
    ("source", "destination", "serial"),
    [
        (
            "cn-sz-puhui",
            "cn-sz-ets",
            "SZPH-CN-{n}-2024-1-1-1200",
        ),  # carbon-inclusive CERs used for ETS offset
        ("cn-ccer", "cn-gd-ets", "CCER-CN-{n}-2024-2-1-800"),  # CCER into Guangdong's ETS
        (
            "vu-national",
            "cn-ccer",
            "CA0004-VU-CH-{n}-1-3000-2023",
        ),  # a Belt-and-Road ITMO into a CCER-side account
        (
            "hk-core-climate",
            "mo-micx",
            verra_serial(0, 0),
        ),  # Core Climate to Macau (VCS range replaced below)
    ],
    ids=["sz-puhui-to-sz-ets", "ccer-to-gd-ets", "itmo-to-ccer", "core-climate-to-macau"],
)
async def test_a_transfer_settles_along_each_api_path(
    gateway, transfers, registries, sandbox: SandboxAdmin, account, source, destination, serial
):
    n = 600_000 + next(_n)
    serial = verra_serial(*fresh_range(500)) if source == "hk-core-climate" else serial.format(n=n)
    await sandbox.seed(source, account, serial)
    if source == "vu-national":  # units hosted abroad come into China only with their host's authorisation
        gateway.ledger.record_authorisation(
            Authorisation(
                authorisation_id=f"VU-AUTH-{n}",
                host_party="VU",
                authorised_use=AuthorisedUse.NDC,
                cooperative_approach_id="CA0004",
                authorised_on=date(2023, 6, 1),
                block=catalogue.parse_serial(source, serial),
            )
        )
    await sandbox.open_account(destination, f"{account}-to")
    transfer_id = f"path-{source}-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, (source, account), (destination, f"{account}-to"), serial, 100)
    )
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons
    moved = await held(registries, destination, f"{account}-to")
    assert [(s, q) for s, q, _ in moved] == [(done.moved_serial, 100)]


async def test_verra_to_core_climate_settles_on_the_holders_immobilisation(
    transfers, registries, sandbox: SandboxAdmin, account
):
    serial = verra_serial(*fresh_range(1000))
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"verra-hk-{account}"
    submitted = (
        await transfers.SubmitTransfer(
            request(transfer_id, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
        )
    ).transfer
    assert submitted.state == transfer_pb2.TRANSFER_STATE_RECEIVED
    # The holder immobilises the units in Verra's own app, naming the transfer, and tells the gateway.
    await sandbox.holder_acts(
        "verra", "immobilise", account, serial, f"Immobilised for gateway transfer {transfer_id}"
    )
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons
    assert any(r.code == "IMMOBILISED-FOR-TRANSFER" and "not a retirement" in r.message for r in done.reasons)
    assert [(s, q) for s, q, _ in await held(registries, "hk-core-climate", f"{account}-hk")] == [
        (serial, 1000)
    ]
    ((_, _, status),) = await held(registries, "verra", account)
    assert status == registry_pb2.UNIT_STATUS_EXPORTED


async def test_missing_evidence_compensates_at_the_registrys_deadline(
    transfers, registries, sandbox, account
):
    serial = f"GS1-1-KE-GS7495-16-2025-{70_000 + next(_n)}-1-500"
    await sandbox.seed("gold-standard", account, serial)
    await sandbox.open_account("mo-micx", f"{account}-mo")
    transfer_id = f"gs-deadline-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("gold-standard", account), ("mo-micx", f"{account}-mo"), serial)
    )
    done = await final_state(transfers, transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_COMPENSATED
    assert [r.code for r in done.reasons] == ["EVIDENCE-DEADLINE"]
    assert await held(registries, "mo-micx", f"{account}-mo") == []


@pytest.mark.parametrize(
    ("details", "immobilised", "code"),
    [
        ("Immobilised for gateway transfer someone-elses-transfer", None, "EVIDENCE-OTHER-TRANSFER"),
        ("Immobilised for gateway transfer {transfer_id}", (1, 499), "EVIDENCE-OTHER-SERIALS"),
        ("Retired for {transfer_id}", "retire", "EVIDENCE-RETIRED"),
    ],
    ids=["names-another-transfer", "covers-other-serials", "retirement-is-not-evidence"],
)
async def test_wrong_evidence_is_refused(transfers, registries, sandbox, account, details, immobilised, code):
    first, last = fresh_range(1000)
    serial = verra_serial(first, last)
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"wrong-evidence-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
    )
    action, acted_on = "immobilise", serial
    if immobilised == "retire":
        action = "retire"
    elif immobilised is not None:
        acted_on = verra_serial(first + immobilised[0], first + immobilised[1])
    await sandbox.holder_acts("verra", action, account, acted_on, details.format(transfer_id=transfer_id))
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    done = await final_state(transfers, transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert code in [r.code for r in done.reasons]
    assert await held(registries, "hk-core-climate", f"{account}-hk") == []
    if action == "immobilise":
        # The holder takes back what the refused transfer will never use.
        await sandbox.holder_acts("verra", "release", account, acted_on, "")


async def test_evidence_for_an_api_driven_transfer_is_refused(transfers, sandbox, account):
    serial = f"CCER-CN-{800_000 + next(_n)}-2024-1-1-10"
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    transfer_id = f"no-evidence-needed-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial)
    )
    await final_state(transfers, transfer_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_an_evidence_based_registry_cannot_be_credited(transfers, sandbox, account):
    serial = f"CCER-CN-{800_000 + next(_n)}-2024-1-1-10"
    await sandbox.seed("cn-ccer", account, serial)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(
            request(f"to-verra-{account}", ("cn-ccer", account), ("verra", "x"), serial)
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_methane_units_keep_their_gas_and_gwp_set_across_registries(
    transfers, registries, sandbox: SandboxAdmin, account
):
    serial = f"CCER-CN-{610_000 + next(_n)}-2024-1-1-560"  # landfill gas: 560 tCO2e = 20 t CH4 at AR5
    await sandbox.seed("cn-ccer", account, serial, gas="CH4", gwp_set="AR5")
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    transfer_id = f"methane-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), serial, 280)
    )
    done = await final_state(transfers, transfer_id)
    assert done.state in SETTLED, done.reasons
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-sz-ets", account_id=f"{account}-sz")
    )
    ((moved,),) = [found.holdings]
    assert (moved.quantity, moved.block.gas, moved.block.gwp_set) == (
        280,
        registry_pb2.GAS_CH4,
        registry_pb2.GWP_SET_AR5,
    )


async def test_cancelling_a_transfer_waiting_for_evidence_undoes_it(
    gateway, transfers, sandbox: SandboxAdmin, account
):
    serial = verra_serial(*fresh_range(100))
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"cancelled-{account}"
    await transfers.SubmitTransfer(
        request(transfer_id, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
    )
    watch = transfers.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=transfer_id), timeout=60)
    async for update in watch:
        if update.transfer.state == transfer_pb2.TRANSFER_STATE_CHECKED:
            break
    # Cancel once the saga is waiting for the evidence (the watch sees CHECKED a moment before the saga
    # learns its check ended; a cancel in between ends REJECTED, with nothing reserved to undo).
    handle = gateway.client.get_workflow_handle(transfer_workflow_id(transfer_id))
    await until_scheduled(handle, "find_evidence")
    await handle.cancel()
    done = await final_state(transfers, transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_COMPENSATED
    assert "CANCELLED" in [r.code for r in done.reasons]
    # The reservation was released: the holder can start again.
    again = f"after-cancel-{account}"
    await transfers.SubmitTransfer(
        request(again, ("verra", account), ("hk-core-climate", f"{account}-hk"), serial)
    )
    await sandbox.holder_acts("verra", "immobilise", account, serial, f"for gateway transfer {again}")
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=again))
    assert (await final_state(transfers, again)).state in SETTLED


def request(transfer_id, source, destination, serial, quantity=None):
    return transfer_request(
        transfer_id, source, destination, serial, quantity=quantity, purpose=transfer_pb2.PURPOSE_VOLUNTARY
    )
