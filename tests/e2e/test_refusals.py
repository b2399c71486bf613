"""Bad requests get the right gRPC status and leave no trace in the ledger or the registries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, error_info, every_page, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
INVALID = grpc.StatusCode.INVALID_ARGUMENT
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


def _request(
    transfer_id: str, account: str, held: str, change: dict[str, object]
) -> transfer_pb2.SubmitTransferRequest:
    fields: dict[str, object] = {
        "source": ("cn-ccer", account),
        "destination": ("cn-sz-ets", f"{account}-dest"),
        "serial": held,
        "quantity": 10,
        "purpose": transfer_pb2.PURPOSE_VOLUNTARY,
    }
    fields.update(change)
    src, dst = fields["source"], fields["destination"]
    msg = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id=src[0], account_id=src[1]),  # type: ignore[index]
        destination=transfer_pb2.AccountRef(registry_id=dst[0], account_id=dst[1]),  # type: ignore[index]
        serial=str(fields["serial"]),
    )
    msg.purpose = fields["purpose"]  # type: ignore[assignment]  # an open enum: any number goes out
    if fields["quantity"] is not None:
        msg.quantity = int(fields["quantity"])  # type: ignore[call-overload]
    return msg


def _violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """(field, check code) of each BadRequest violation or PreconditionFailure subject the status carries."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    named = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            named += [(v.field, "") for v in bad.field_violations]
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failed = error_details_pb2.PreconditionFailure()
            detail.Unpack(failed)
            named += [(v.subject, v.type) for v in failed.violations]
    return named


def _fields_named(error: grpc.aio.AioRpcError) -> list[str]:
    """The full paths of the fields a rich error status names."""
    return [field for field, _ in _violations(error)]


def _shows_no_internals(error: grpc.aio.AioRpcError) -> None:
    details = error.details() or ""
    for internal in ("Traceback", "Error:", "Exception", "SELECT", "/work/", ".py"):
        assert internal not in details, details


async def _nothing_stored(gateway: EmbeddedGateway, transfer_id: str) -> None:
    """The ledger holds no transfer of that id, asked directly: a malformed id is refused over gRPC
    (INVALID_ARGUMENT) before any lookup, so GetTransfer cannot say whether it is stored."""
    assert gateway.ledger is not None
    assert await asyncio.to_thread(gateway.ledger.get, transfer_id) is None, f"{transfer_id!r} was stored"


def _dest(account_id: str) -> dict[str, object]:
    return {"destination": ("cn-sz-ets", account_id)}


# Each case changes one field of a valid request for units the account holds.
Change = Callable[[str, CcerSerial], dict[str, object]]
CASES: list[tuple[str, Change, grpc.StatusCode, str]] = [
    ("unknown-source-registry", lambda a, s: {"source": ("nowhere", a)}, INVALID, "source.registry_id"),
    (
        "unknown-destination-registry",
        lambda a, s: {"destination": ("nowhere", a)},
        INVALID,
        "destination.registry_id",
    ),
    (
        "evidence-based-destination",
        lambda a, s: {"destination": ("verra", a)},
        PRECONDITION,
        "destination.registry_id",
    ),
    # Look-alikes of an open account (`{account}-dest`): each would be another account, so none is taken.
    ("blank-destination", lambda a, s: _dest("   "), INVALID, "destination.account_id"),
    ("empty-destination", lambda a, s: _dest(""), INVALID, "destination.account_id"),
    ("nul-suffixed-destination", lambda a, s: _dest(f"{a}-dest\x00"), INVALID, "destination.account_id"),
    ("rtl-override-destination", lambda a, s: _dest(f"\u202e{a}-dest"), INVALID, "destination.account_id"),
    ("zero-width-destination", lambda a, s: _dest(f"{a}-de\u200bst"), INVALID, "destination.account_id"),
    ("bom-destination", lambda a, s: _dest(f"\ufeff{a}-dest"), INVALID, "destination.account_id"),
    ("newline-destination", lambda a, s: _dest(f"{a}-dest\n"), INVALID, "destination.account_id"),
    ("padded-destination", lambda a, s: _dest(f" {a}-dest"), INVALID, "destination.account_id"),
    ("cyrillic-destination", lambda a, s: _dest(f"{a}-d\u0435st"), INVALID, "destination.account_id"),
    ("oversized-destination", lambda a, s: _dest("d" * 129), INVALID, "destination.account_id"),
    ("zero-width-source", lambda a, s: {"source": ("cn-ccer", f"{a}\u200b")}, INVALID, "source.account_id"),
    ("unknown-destination", lambda a, s: _dest(f"{a}-never-opened"), PRECONDITION, "destination.account_id"),
    ("unknown-purpose-number", lambda a, s: {"purpose": 99}, INVALID, "purpose"),
    ("malformed-serial", lambda a, s: {"serial": "CCER-not-a-serial"}, INVALID, "serial"),
    ("serial-with-spaces", lambda a, s: {"serial": f" {s(9001, 9100)}"}, INVALID, "serial"),
    ("letter-o-for-zero", lambda a, s: {"serial": s(9001, 9100).replace("9100", "91O0")}, INVALID, "serial"),
    ("zero-quantity", lambda a, s: {"quantity": 0}, INVALID, "quantity"),
    ("negative-quantity", lambda a, s: {"quantity": -3}, INVALID, "quantity"),
    ("quantity-above-block", lambda a, s: {"quantity": 101}, INVALID, "quantity"),
    ("same-account", lambda a, s: {"destination": ("cn-ccer", a)}, INVALID, "destination"),
    ("block-not-held", lambda a, s: {"serial": s(9200, 9300)}, PRECONDITION, "serial"),
    ("part-of-a-block", lambda a, s: {"serial": s(9001, 9050)}, PRECONDITION, "serial"),
]


@pytest.mark.parametrize(("name", "change", "code", "field"), CASES, ids=[c[0] for c in CASES])
async def test_bad_requests_are_refused_and_leave_no_trace(
    gateway,
    transfers,
    registries,
    sandbox: SandboxAdmin,
    account,
    ccer_serial: CcerSerial,
    name,
    change,
    code,
    field,
):
    held = ccer_serial(9001, 9100)
    await sandbox.seed("cn-ccer", account, held)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    before = await _books(registries, account)
    transfer_id = f"refused-{name}-{account}"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(_request(transfer_id, account, held, change(account, ccer_serial)))
    assert refused.value.code() == code, refused.value.details()
    assert _fields_named(refused.value) == [field], refused.value.details()
    assert len(refused.value.details() or "") < 400, "an oversized input was echoed"
    _shows_no_internals(refused.value)
    await _nothing_stored(gateway, transfer_id)
    assert await _books(registries, account) == before


async def _books(registries, account: str) -> list[list[registry_pb2.Holding]]:
    """The source account's holdings and everything in the destination registry: what a move changes."""
    source, _ = await every_page(
        registries.ListHoldings,
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account),
        "holdings",
    )
    destination, _ = await every_page(
        registries.ListHoldings, registry_pb2.ListHoldingsRequest(registry_id="cn-sz-ets"), "holdings"
    )
    return [source, destination]


async def test_an_unknown_or_blocked_destination_is_named_with_its_check_code(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    held = ccer_serial(9001, 9100)
    await sandbox.seed("cn-ccer", account, held)
    unknown = _request(f"unknown-dest-{account}", account, held, _dest(f"{account}-nobody"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(unknown)
    assert _violations(refused.value) == [("destination.account_id", "ACCOUNT-UNKNOWN")]

    await sandbox.block_account("cn-sz-ets", f"{account}-blocked")
    blocked = _request(f"blocked-dest-{account}", account, held, _dest(f"{account}-blocked"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(blocked)
    assert refused.value.code() == PRECONDITION
    assert _violations(refused.value) == [("destination.account_id", "ACCOUNT-BLOCKED")]
    for request in (unknown, blocked):
        await _nothing_stored(gateway, request.transfer_id)

    # Once the registry opens the account, the same request is accepted: the refusal stored nothing.
    await sandbox.open_account("cn-sz-ets", f"{account}-nobody")
    await transfers.SubmitTransfer(unknown)
    assert (await final_state(transfers, unknown.transfer_id)).state in SETTLED


async def test_a_destination_registry_that_cannot_be_asked_is_unavailable(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    held = ccer_serial(9001, 9100)
    await sandbox.seed("cn-ccer", account, held)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    await sandbox.fail("cn-sz-ets", error_rate=1.0, operations=["account"])
    request = _request(f"unasked-{account}", account, held, {})
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(request)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    info = error_info(refused.value)
    assert (info.reason, info.domain, info.metadata["field"]) == (
        "REGISTRY-UNAVAILABLE",
        "carbon-gateway",
        "destination.account_id",
    )
    _shows_no_internals(refused.value)
    await _nothing_stored(gateway, request.transfer_id)


async def test_a_transfer_id_with_a_trailing_newline_is_refused(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    held = ccer_serial(9001, 9100)
    await sandbox.seed("cn-ccer", account, held)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    clean = f"newline-{account}"
    for transfer_id in (f"{clean}\n", f"{clean}\r\n", f"{clean}\u200b", "t" * 129):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await transfers.SubmitTransfer(_request(transfer_id, account, held, {}))
        assert refused.value.code() == INVALID
        assert _fields_named(refused.value) == ["transfer_id"]
        assert "t" * 100 not in (refused.value.details() or "")
        await _nothing_stored(gateway, transfer_id)
        with pytest.raises(grpc.aio.AioRpcError) as looked_up:  # refused by its shape, not looked up
            await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
        assert looked_up.value.code() == INVALID
        assert _fields_named(looked_up.value) == ["transfer_id"]
    await _nothing_stored(gateway, clean)


def test_a_look_alike_purpose_cannot_be_written():
    """The purpose is an enum: `NDC` with a zero-width space, `N.D.C.` or a Cyrillic `С` is no value."""
    for look_alike in ("NDC\u200b", "N.D.C.", "ND\u0421", "PURPOSE_NDC\u200b"):
        with pytest.raises(ValueError):
            transfer_pb2.SubmitTransferRequest(purpose=look_alike)


async def test_authorised_use_is_judged_whatever_the_client_writes(transfers, sandbox: SandboxAdmin, account):
    """Indonesian VCS units leaving Hong Kong for an NDC need the host's authorisation (DC-CLAIM)."""
    first = 300_000_000 + int(account.removeprefix("acct-")) * 1_000
    serial = f"1234-{first}-{first + 99}-VCS-VCU-261-VER-ID-14-1477-01012020-31122020-0"
    await sandbox.seed("hk-core-climate", account, serial)
    await sandbox.open_account("mo-micx", f"{account}-mo")
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=f"ndc-{account}",
        source=transfer_pb2.AccountRef(registry_id="hk-core-climate", account_id=account),
        destination=transfer_pb2.AccountRef(registry_id="mo-micx", account_id=f"{account}-mo"),
        serial=serial,
        purpose=transfer_pb2.PURPOSE_NDC,
    )
    await transfers.SubmitTransfer(request)
    done = await final_state(transfers, request.transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert "DC-CLAIM" in [r.code for r in done.reasons], done.reasons
    assert done.purpose == transfer_pb2.PURPOSE_NDC


@pytest.mark.parametrize(
    "account_id",
    ["   ", "acct\x00", "\u202eacct", "ac\u200bct", "a" * 5000],
    ids=["blank", "nul", "rtl", "zw", "huge"],
)
async def test_holdings_of_a_malformed_account_are_refused(registries, account_id: str):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await registries.ListHoldings(
            registry_pb2.ListHoldingsRequest(registry_id="cn-sz-ets", account_id=account_id)
        )
    assert refused.value.code() == INVALID
    assert _fields_named(refused.value) == ["account_id"]
    assert len(refused.value.details() or "") < 400


async def test_unknown_transfer_is_not_found(transfers):
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id="never-submitted"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_malformed_serial_names_the_bad_segment(registries):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await registries.ParseSerial(
            registry_pb2.ParseSerialRequest(
                registry_id="verra",
                serial="0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1",
            )
        )
    assert refused.value.code() == INVALID
    assert "segment" in refused.value.details()
