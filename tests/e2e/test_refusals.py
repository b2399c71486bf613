"""Bad requests get the right gRPC status and leave no trace in the ledger or the registries."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
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
    }
    fields.update(change)
    src, dst = fields["source"], fields["destination"]
    msg = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id=src[0], account_id=src[1]),  # type: ignore[index]
        destination=transfer_pb2.AccountRef(registry_id=dst[0], account_id=dst[1]),  # type: ignore[index]
        serial=str(fields["serial"]),
    )
    if fields["quantity"] is not None:
        msg.quantity = int(fields["quantity"])  # type: ignore[call-overload]
    return msg


def _fields_named(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields a rich error status names (BadRequest violations or PreconditionFailure subjects)."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    named = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            named += [v.field.split(".")[0] for v in bad.field_violations]
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failed = error_details_pb2.PreconditionFailure()
            detail.Unpack(failed)
            named += [v.subject for v in failed.violations]
    return named


# Each case changes one field of a valid request for units the account holds.
Change = Callable[[str, CcerSerial], dict[str, object]]
CASES: list[tuple[str, Change, grpc.StatusCode, str]] = [
    ("unknown-source-registry", lambda a, s: {"source": ("nowhere", a)}, INVALID, "source"),
    ("unknown-destination-registry", lambda a, s: {"destination": ("nowhere", a)}, INVALID, "destination"),
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
    transfers, registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial, name, change, code, field
):
    held = ccer_serial(9001, 9100)
    await sandbox.seed("cn-ccer", account, held)
    before = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account)
    )
    transfer_id = f"refused-{name}-{account}"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await transfers.SubmitTransfer(_request(transfer_id, account, held, change(account, ccer_serial)))
    assert refused.value.code() == code, refused.value.details()
    assert field in _fields_named(refused.value), refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    after = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account)
    )
    assert after == before


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
