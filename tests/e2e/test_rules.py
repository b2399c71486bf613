"""Compliance rule packs judge transfers end to end: offset caps refuse with a RULE- reason, nothing moves."""

from __future__ import annotations

import pytest

from protos.carbon.gateway.v1 import registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, final_state, transfer_request
from tests.e2e.covered_entities import make_covered
from tests.e2e.sandbox_admin import SandboxAdmin

pytestmark = pytest.mark.e2e
OFFSET = transfer_pb2.PURPOSE_OFFSET


async def held(registries, registry_id: str, account_id: str) -> int:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account_id)
    )
    return sum(h.quantity for h in found.holdings if h.status == registry_pb2.UNIT_STATUS_HELD)


async def test_ccer_offsets_into_shenzhen_stop_at_the_ccer_cap(
    gateway, transfers, registries, sandbox: SandboxAdmin, account, ccer_serial
):
    await sandbox.seed("cn-ccer", account, ccer_serial(1, 200))
    emitter = f"{account}-sz"
    await sandbox.open_account("cn-sz-ets", emitter)
    make_covered(gateway, "cn-sz-ets", emitter, tonnes=1_000)  # CCER cap 5 %: 50 units; all offsets 10 %

    def offset(n: int, serial: str, quantity: int) -> transfer_pb2.SubmitTransferRequest:
        return transfer_request(
            f"rules-{account}-{n}", ("cn-ccer", account), ("cn-sz-ets", emitter), serial, quantity=quantity,
            purpose=OFFSET,
        )  # fmt: skip

    await transfers.SubmitTransfer(offset(1, ccer_serial(1, 200), 60))
    refused = await final_state(transfers, f"rules-{account}-1")
    assert refused.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert "RULE-SZ-OFFSET-CCER" in [r.code for r in refused.reasons]
    assert await held(registries, "cn-sz-ets", emitter) == 0  # nothing moved
    assert await held(registries, "cn-ccer", account) == 200

    await transfers.SubmitTransfer(offset(2, ccer_serial(1, 200), 40))
    assert (await final_state(transfers, f"rules-{account}-2")).state in SETTLED
    assert await held(registries, "cn-sz-ets", emitter) == 40
    judged = gateway.ledger.judgement(f"rules-{account}-2")
    assert judged is not None and "cn-sz-ets@1.0.0" in judged.packs
    assert "RULE-SZ-OFFSET-CCER" in judged.rule_ids

    # 40 used: 20 more would take the entity past its 50.
    await transfers.SubmitTransfer(offset(3, ccer_serial(41, 200), 20))
    third = await final_state(transfers, f"rules-{account}-3")
    assert third.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert "RULE-SZ-OFFSET-CCER" in [r.code for r in third.reasons]
    assert await held(registries, "cn-sz-ets", emitter) == 40


async def test_an_offset_into_an_account_no_covered_entity_holds_is_refused(
    transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    await sandbox.seed("cn-ccer", account, ccer_serial(1, 10))
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    request = transfer_request(
        f"rules-uncovered-{account}", ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz"), ccer_serial(1, 10),
        purpose=OFFSET,
    )  # fmt: skip
    await transfers.SubmitTransfer(request)
    done = await final_state(transfers, request.transfer_id)
    assert done.state == transfer_pb2.TRANSFER_STATE_REJECTED
    assert any(r.code.startswith("RULE-") for r in done.reasons)
