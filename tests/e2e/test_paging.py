"""Every list RPC pages the same way over gRPC: page_size, an opaque page_token bound to its filter.

Each list is read a page at a time (small pages, so there are several) and in one
page; both readings must hold the same items in the same order. A token shown to
another filter, or to another RPC, is INVALID_ARGUMENT naming `page_token`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import compliance_pb2_grpc, registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, every_page, final_state, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
_n = itertools.count(1)
Call = Callable[[Any], Awaitable[Any]]


@pytest.fixture
def compliance(channel) -> compliance_pb2_grpc.ComplianceServiceStub:
    return compliance_pb2_grpc.ComplianceServiceStub(channel)


async def paged_as_whole(
    call: Call, request: Any, items: str, key: Callable[[Any], Any], size: int
) -> list[Any]:
    """The list read `size` items a page and read in one page: the same keys in the same order."""
    whole, _ = await every_page(call, _copy(request), items, page_size=500)
    paged, pages = await every_page(call, _copy(request), items, page_size=size)
    assert [key(i) for i in paged] == [key(i) for i in whole]
    assert pages == max(1, -(-len(whole) // size)), "a page came back short or long"
    return paged


def _copy(request: Any) -> Any:
    fresh = type(request)()
    fresh.CopyFrom(request)
    return fresh


async def first_page_token(call: Call, request: Any) -> str:
    request = _copy(request)
    request.page_size = 1
    token = (await call(request)).next_page_token
    assert token, "one item a page must leave a next page"
    return token


async def refused_token(call: Call, request: Any) -> str:
    """The description of the INVALID_ARGUMENT the request's page_token gets; it must name page_token."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    status = rpc_status.from_call(refused.value)
    assert status is not None
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    assert fields == ["page_token"], refused.value.details()
    return refused.value.details() or ""


async def test_registries_page_in_registry_id_order(registries):
    request = registry_pb2.ListRegistriesRequest()
    listed = await paged_as_whole(
        registries.ListRegistries, request, "registries", lambda r: r.registry_id, 5
    )
    ids = [r.registry_id for r in listed]
    assert ids == sorted(ids) and len(ids) > 10


async def test_holdings_page_and_a_token_is_bound_to_its_account(
    registries, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    for i in range(5):
        await sandbox.seed("cn-ccer", account, ccer_serial(i * 100 + 1, i * 100 + 50))
    mine = registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", account_id=account)
    listed = await paged_as_whole(registries.ListHoldings, mine, "holdings", lambda h: h.serial, 2)
    assert sorted(h.serial for h in listed) == sorted(
        ccer_serial(i * 100 + 1, i * 100 + 50) for i in range(5)
    )
    await paged_as_whole(
        registries.ListHoldings, registry_pb2.ListHoldingsRequest(registry_id="cn-ccer"), "holdings",
        lambda h: (h.account_id, h.serial, h.status), 7,
    )  # fmt: skip

    token = await first_page_token(registries.ListHoldings, mine)
    # The page size may change between pages (AIP-158); the filter may not.
    rest = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(
            registry_id="cn-ccer", account_id=account, page_size=10, page_token=token
        )
    )
    assert [h.serial for h in rest.holdings] == [h.serial for h in listed[1:]]
    for other in (
        registry_pb2.ListHoldingsRequest(
            registry_id="cn-ccer", account_id=f"{account}-other", page_token=token
        ),
        registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", page_token=token),
        registry_pb2.ListHoldingsRequest(registry_id="cn-sz-ets", account_id=account, page_token=token),
    ):
        assert "another listing" in await refused_token(registries.ListHoldings, other)


async def test_transfers_page_and_a_token_is_bound_to_its_filter(
    transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    ids = []
    for i in range(3):
        serial = ccer_serial(i * 10 + 1, i * 10 + 10)
        await sandbox.seed("cn-ccer", account, serial)
        transfer_id = f"paged-{account}-{i}"
        await transfers.SubmitTransfer(
            transfer_request(transfer_id, ("cn-ccer", account), ("cn-sz-ets", f"{account}-dest"), serial)
        )
        assert (await final_state(transfers, transfer_id)).state in SETTLED
        ids.append(transfer_id)
    mine = transfer_pb2.ListTransfersRequest(filter=transfer_pb2.TransferFilter(account_id=account))
    listed = await paged_as_whole(transfers.ListTransfers, mine, "transfers", lambda t: t.transfer_id, 1)
    assert [t.transfer_id for t in listed] == ids

    token = await first_page_token(transfers.ListTransfers, mine)
    for other_filter in (
        transfer_pb2.TransferFilter(account_id=f"{account}-dest"),
        transfer_pb2.TransferFilter(account_id=account, states=[transfer_pb2.TRANSFER_STATE_ANCHORED]),
        transfer_pb2.TransferFilter(account_id=account, registry_id="cn-ccer"),
        transfer_pb2.TransferFilter(),
    ):
        other = transfer_pb2.ListTransfersRequest(filter=other_filter, page_token=token)
        assert "another listing" in await refused_token(transfers.ListTransfers, other)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert "not a token" in await refused_token(
        transfers.ListTransfers, transfer_pb2.ListTransfersRequest(filter=mine.filter, page_token=tampered)
    )


async def test_checks_page_and_a_token_of_another_rpc_is_refused(compliance, registries):
    listed = await paged_as_whole(
        compliance.ListChecks, pb.ListChecksRequest(), "checks", lambda c: c.code, 2
    )
    assert [c.code for c in listed] == sorted(c.code for c in listed)
    token = await first_page_token(compliance.ListChecks, pb.ListChecksRequest())
    for call, request in (
        (registries.ListRegistries, registry_pb2.ListRegistriesRequest(page_token=token)),
        (compliance.ListFirstTransfers, pb.ListFirstTransfersRequest(page_token=token)),
        (compliance.ListUnadjustedUses, pb.ListUnadjustedUsesRequest(page_token=token)),
    ):
        assert "another listing" in await refused_token(call, request)


async def _authorised_itmo(compliance, transfers, sandbox: SandboxAdmin, account: str) -> str:
    """A settled NDC transfer of Vanuatu's authorised units to China: a first transfer, used abroad."""
    project = 8_000 + next(_n)
    serial = f"CA0004-VU-CH-{project}-1-100-2023"
    await sandbox.seed("vu-national", account, serial)
    await sandbox.open_account("cn-ccer", f"{account}-cn")
    authorised_on = timestamp_pb2.Timestamp()
    authorised_on.FromJsonString("2025-03-01T00:00:00Z")
    await compliance.RecordAuthorisation(
        pb.RecordAuthorisationRequest(
            authorisation_id=f"VU-PAGED-{project}",
            host_party="VU",
            authorised_use=pb.AUTHORISED_USE_NDC,
            cooperative_approach_id="VU-CN-2025",
            authorised_on=authorised_on,
            registry_id="vu-national",
            serial=serial,
        )
    )
    transfer_id = f"paged-itmo-{account}-{project}"
    await transfers.SubmitTransfer(
        transfer_request(
            transfer_id, ("vu-national", account), ("cn-ccer", f"{account}-cn"), serial,
            purpose=transfer_pb2.PURPOSE_NDC,
        )
    )  # fmt: skip
    assert (await final_state(transfers, transfer_id)).state in SETTLED
    return transfer_id


async def test_first_transfers_and_unadjusted_uses_page(
    compliance, transfers, sandbox: SandboxAdmin, account
):
    made = [await _authorised_itmo(compliance, transfers, sandbox, f"{account}-{i}") for i in range(2)]
    firsts = await paged_as_whole(
        compliance.ListFirstTransfers,
        pb.ListFirstTransfersRequest(),
        "first_transfers",
        lambda f: f.transfer_id,
        1,
    )
    listed = [f.transfer_id for f in firsts]
    assert [listed.index(t) for t in made] == sorted(listed.index(t) for t in made), (
        "not in the order they happened"
    )
    uses = await paged_as_whole(
        compliance.ListUnadjustedUses, pb.ListUnadjustedUsesRequest(), "uses",
        lambda u: (u.transfer_id, u.serial_space, u.start), 1,
    )  # fmt: skip
    assert set(made) <= {u.transfer_id for u in uses}
    assert [u.transfer_id for u in uses] == sorted(u.transfer_id for u in uses)


async def test_lineage_pages_and_a_token_is_bound_to_its_block(
    compliance, transfers, sandbox: SandboxAdmin, account
):
    first = 710_000_000 + next(_n) * 10_000
    serial = f"9660-{first}-{first + 99}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
    await sandbox.seed("hk-core-climate", account, serial)
    hops = [
        ("hk-core-climate", account),
        ("mo-micx", f"{account}-mo"),
        ("hk-core-climate", f"{account}-back"),
    ]
    for _, holder in hops[1:]:
        await sandbox.open_account("mo-micx" if holder.endswith("-mo") else "hk-core-climate", holder)
    for i, (source, destination) in enumerate(itertools.pairwise(hops)):
        transfer_id = f"paged-hop-{i}-{account}"
        await transfers.SubmitTransfer(transfer_request(transfer_id, source, destination, serial))
        assert (await final_state(transfers, transfer_id)).state in SETTLED
    block = pb.GetLineageRequest(registry_id="hk-core-climate", serial=serial)
    moves = await paged_as_whole(compliance.GetLineage, block, "movements", lambda m: m.transfer_id, 1)
    assert [m.transfer_id for m in moves] == [f"paged-hop-0-{account}", f"paged-hop-1-{account}"]

    token = await first_page_token(compliance.GetLineage, block)
    part = serial.replace(f"-{first + 99}-", f"-{first + 49}-")
    other = pb.GetLineageRequest(registry_id="hk-core-climate", serial=part, page_token=token)
    assert "another listing" in await refused_token(compliance.GetLineage, other)


@pytest.mark.parametrize("page_size", [-1, -500])
async def test_a_negative_page_size_is_refused(registries, page_size):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await registries.ListRegistries(registry_pb2.ListRegistriesRequest(page_size=page_size))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_size" in (refused.value.details() or "")
