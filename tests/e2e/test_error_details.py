"""Every refusal carries google.rpc.ErrorInfo (a stable reason, domain carbon-gateway) and the detail
its status calls for: BadRequest with every violation, ResourceInfo for NOT_FOUND and ALREADY_EXISTS,
PreconditionFailure for FAILED_PRECONDITION."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import (
    compliance_pb2_grpc,
    finance_pb2,
    finance_pb2_grpc,
    registry_pb2,
    transfer_pb2,
)
from tests.e2e.client import SETTLED, final_state, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
KINDS = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.ResourceInfo,
)


def details(error: grpc.aio.AioRpcError) -> dict[str, Message]:
    """The status's details by type name; ErrorInfo must be among them, with the gateway's domain."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found: dict[str, Message] = {}
    for detail in status.details:
        for kind in KINDS:
            unpacked = kind()
            if detail.Unpack(unpacked):
                found[kind.DESCRIPTOR.name] = unpacked
    assert len(found) == len(status.details), status.details
    info = found["ErrorInfo"]
    assert isinstance(info, error_details_pb2.ErrorInfo)
    assert info.domain == "carbon-gateway" and info.reason, info
    for internal in ("Traceback", "Error:", "Exception", "SELECT", "/work/", ".py"):
        assert internal not in (error.details() or "")
    return found


async def refusal(call, request) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(request)
    return refused.value


@pytest.fixture
def compliance(channel) -> compliance_pb2_grpc.ComplianceServiceStub:
    return compliance_pb2_grpc.ComplianceServiceStub(channel)


async def test_a_request_missing_several_required_fields_names_them_all(transfers):
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id="missing-several", source=transfer_pb2.AccountRef(registry_id="cn-ccer")
    )
    refused = await refusal(transfers.SubmitTransfer, request)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = details(refused)
    assert list(found) == ["ErrorInfo", "BadRequest"]
    assert found["ErrorInfo"].reason == "INVALID-INPUT"
    assert [v.field for v in found["BadRequest"].field_violations] == [
        "source.account_id",
        "destination",
        "serial",
    ]
    assert all(v.description.endswith("is required") for v in found["BadRequest"].field_violations)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id="missing-several"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND, "a refused submit stored something"


async def test_nested_and_typed_required_fields_are_named_by_their_full_path(compliance):
    evaluated = await refusal(
        compliance.EvaluateTransfer,
        pb.EvaluateTransferRequest(
            transfer=transfer_pb2.SubmitTransferRequest(destination=transfer_pb2.AccountRef())
        ),
    )
    assert [v.field for v in details(evaluated)["BadRequest"].field_violations] == [
        "transfer.transfer_id",
        "transfer.source",
        "transfer.destination.registry_id",
        "transfer.destination.account_id",
        "transfer.serial",
    ]
    recorded = await refusal(
        compliance.RecordCreditedGeneration,
        pb.RecordCreditedGenerationRequest(issuance_id="i-1", plant_id="p"),
    )
    assert [v.field for v in details(recorded)["BadRequest"].field_violations] == [
        "registry_id",
        "serial",
        "period_start",
        "period_end",
        "generated_mwh",
        "credited_mwh",
    ]


async def test_several_bad_fields_of_a_submit_are_named_at_once(transfers):
    request = transfer_request(
        "bad id\n", ("cn-ccer", "acct\u200b"), ("cn-sz-ets", "dest"), "CCER-x", quantity=0
    )
    request.purpose = 99  # type: ignore[assignment]  # an open enum: any number goes out
    refused = await refusal(transfers.SubmitTransfer, request)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    found = details(refused)
    assert found["ErrorInfo"].reason == "INVALID-INPUT"
    assert [v.field for v in found["BadRequest"].field_violations] == [
        "transfer_id",
        "source.account_id",
        "quantity",
        "purpose",
    ]


async def test_one_bad_field_keeps_its_own_reason(registries):
    refused = await refusal(
        registries.ParseSerial, registry_pb2.ParseSerialRequest(registry_id="cn-ccer", serial="CCER-nonsense")
    )
    found = details(refused)
    assert found["ErrorInfo"].reason == "MALFORMED-SERIAL"
    assert found["ErrorInfo"].metadata["field"] == "serial"
    assert [v.field for v in found["BadRequest"].field_violations] == ["serial"]


async def test_not_found_names_the_resource_and_is_no_precondition(transfers, channel):
    refused = await refusal(transfers.GetTransfer, transfer_pb2.GetTransferRequest(transfer_id="never-there"))
    assert refused.code() == grpc.StatusCode.NOT_FOUND
    found = details(refused)
    assert list(found) == ["ErrorInfo", "ResourceInfo"]
    assert found["ErrorInfo"].reason == "NOT-FOUND"
    assert (found["ResourceInfo"].resource_type, found["ResourceInfo"].resource_name) == (
        "transfer",
        "never-there",
    )

    finance = finance_pb2_grpc.FinanceServiceStub(channel)
    pledge = await refusal(
        finance.ReleaseCollateral, finance_pb2.ReleaseCollateralRequest(pledge_id="no-such-loan")
    )
    assert pledge.code() == grpc.StatusCode.NOT_FOUND
    info = details(pledge)["ResourceInfo"]
    assert (info.resource_type, info.resource_name) == ("pledge", "no-such-loan")


async def test_already_exists_and_failed_precondition_carry_their_details(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(1, 50)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    transfer_id = f"details-{account}"
    first = transfer_request(
        transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-dest"), serial, quantity=5
    )
    await transfers.SubmitTransfer(first)
    changed = transfer_request(
        transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-dest"), serial, quantity=6
    )
    taken = await refusal(transfers.SubmitTransfer, changed)
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    found = details(taken)
    assert list(found) == ["ErrorInfo", "ResourceInfo"]
    assert found["ErrorInfo"].reason == "ALREADY-EXISTS"
    assert (found["ResourceInfo"].resource_type, found["ResourceInfo"].resource_name) == (
        "transfer",
        transfer_id,
    )

    nobody = transfer_request(
        f"{transfer_id}-2", ("cn-ccer", account), ("cn-sz-ets", f"{account}-nobody"), serial
    )
    unknown = await refusal(transfers.SubmitTransfer, nobody)
    assert unknown.code() == grpc.StatusCode.FAILED_PRECONDITION
    found = details(unknown)
    assert list(found) == ["ErrorInfo", "PreconditionFailure"]
    assert found["ErrorInfo"].reason == "ACCOUNT-UNKNOWN"
    (violation,) = found["PreconditionFailure"].violations
    assert (violation.type, violation.subject) == ("ACCOUNT-UNKNOWN", "destination.account_id")
    assert (await final_state(transfers, transfer_id)).state in SETTLED


async def test_a_watch_without_a_transfer_id_is_refused_naming_it(transfers):
    watch = transfers.WatchTransfer(transfer_pb2.WatchTransferRequest(), timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _ = [update async for update in watch]
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details(refused.value)["BadRequest"].field_violations] == ["transfer_id"]
