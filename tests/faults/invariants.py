"""The invariants every fault case ends on, in one reusable check (no pytest fixtures: a benchmark
script may call it against any running gateway).

After a fault, and once it has been lifted:

(a) every transfer the case submitted reaches a final state, bounded in time, and an acceptable
    one. Acceptable by default: SETTLED/ANCHORED (it moved), COMPENSATED (a step kept failing before
    the credit and was undone) and REJECTED (a business refusal). NEEDS_INTERVENTION is final too,
    but under a fault that has passed it means the gateway gave up on something it should have
    finished on its own, so it is a violation unless the case passes it in `accept`;
(b) conservation: the live units of every unit class across all sandbox registries equal the
    totals taken before the case (`SandboxAdmin.totals_by_unit_class`);
(c) no serial is live in two places: across every registry and account the sandbox hosts, no two
    rows that are not EXPORTED (held, locked, pledged, retired...) share a unit of one serial
    space. Serial spaces are the issuing programme's numbering (`SerialBlock.serial_space`), so a
    block mirrored into another registry still collides with its origin;
(d) the anchored log verifies: every settled transfer becomes ANCHORED, its settlement receipt
    (GetSettlementProof) verifies against the chain with nothing but the receipt and the node,
    and the ledger's audit (`carbon-gateway audit`: every settled row against the settlement
    log, the stored subtree roots, every anchored root against the contract) has no findings.

`check_invariants` returns every violation it found (an empty list when all hold) with what it
saw; `assert_invariants` asserts there are none. `traced_records` lists log records that carry a
traceback where normal operation should log a line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import grpc
import httpx

from adapters.sandbox.wire import HoldingOut, HoldingsResponse, RegistriesResponse
from domain.units import UnitStatus
from gateway import wire
from gateway.settlement_proofs import audit
from ledger import Ledger
from ledger_anchor.receipt import SettlementReceipt
from ledger_anchor.verify import connect, verify_receipt
from protos.carbon.gateway.v1 import oversight_pb2, oversight_pb2_grpc, transfer_pb2, transfer_pb2_grpc

_T = transfer_pb2
SETTLED = frozenset({_T.TRANSFER_STATE_SETTLED, _T.TRANSFER_STATE_ANCHORED})
# Final as the saga means it: WatchTransfer ends on these (SETTLED goes on to ANCHORED).
FINAL = frozenset(
    {
        _T.TRANSFER_STATE_SETTLED,
        _T.TRANSFER_STATE_ANCHORED,
        _T.TRANSFER_STATE_COMPENSATED,
        _T.TRANSFER_STATE_REJECTED,
        _T.TRANSFER_STATE_NEEDS_INTERVENTION,
    }
)
ACCEPTED = frozenset(FINAL - {_T.TRANSFER_STATE_NEEDS_INTERVENTION})
# gRPC answers that mean "the gateway is still recovering": asked again, never a violation by themselves.
_TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
_POLL_S = 0.25


@dataclass(frozen=True)
class GatewayUnderTest:
    """Where a running gateway's parts are: what the check reads, all from outside the gateway."""

    grpc_target: str  # plaintext gRPC (development mode), host:port
    sandbox_url: str
    ledger_url: str
    chain_rpc_url: str

    @classmethod
    def of(cls, gateway: RunningGateway) -> GatewayUnderTest:
        """From a started `gateway.runtime.EmbeddedGateway`."""
        return cls(
            grpc_target=f"127.0.0.1:{gateway.grpc_port}",
            sandbox_url=gateway.sandbox_url,
            ledger_url=gateway.settings.resolved_ledger_url(),
            chain_rpc_url=gateway.chain_url,
        )


class _HasLedgerUrl(Protocol):
    def resolved_ledger_url(self) -> str: ...


class RunningGateway(Protocol):
    """What `GatewayUnderTest.of` reads of a started `EmbeddedGateway` (a script need not import it)."""

    @property
    def settings(self) -> _HasLedgerUrl: ...
    @property
    def grpc_port(self) -> int: ...
    @property
    def sandbox_url(self) -> str: ...
    @property
    def chain_url(self) -> str: ...


@dataclass
class InvariantReport:
    """What the check saw, and every invariant it found broken."""

    outcomes: dict[str, transfer_pb2.Transfer] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    def state_names(self) -> dict[str, str]:
        return {tid: _T.TransferState.Name(t.state) for tid, t in self.outcomes.items()}

    @property
    def settled(self) -> list[str]:
        return sorted(tid for tid, t in self.outcomes.items() if t.state in SETTLED)


async def sandbox_totals(sandbox_url: str) -> Counter[str]:
    """Live units per unit class across every registry the sandbox hosts (the admin door: never faulted)."""
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=30) as http:
        response = await http.get("/admin/totals")
        response.raise_for_status()
        return Counter({k: int(v) for k, v in response.json()["by_unit_class"].items()})


async def check_invariants(
    target: GatewayUnderTest,
    transfer_ids: Iterable[str],
    totals_before: Mapping[str, int],
    *,
    accept: Collection[int] = ACCEPTED,
    final_within_s: float = 90.0,
    anchored_within_s: float = 60.0,
    min_confirmations: int = 1,
) -> InvariantReport:
    """Check (a) to (d) against the gateway at `target`; the report lists every violation found."""
    report = InvariantReport()
    ids = sorted(set(transfer_ids))
    async with grpc.aio.insecure_channel(target.grpc_target) as channel:
        transfers = transfer_pb2_grpc.TransferServiceStub(channel)
        report.outcomes = await _final_states(transfers, ids, final_within_s, report.violations)
        for tid, found in sorted(report.outcomes.items()):
            if found.state not in accept:
                reasons = "; ".join(f"{r.code}: {r.message}" for r in found.reasons)
                report.violations.append(
                    f"(a) {tid} ended {_T.TransferState.Name(found.state)}, not an accepted state ({reasons})"
                )
        report.totals = await sandbox_totals(target.sandbox_url)
        before = Counter({k: int(v) for k, v in totals_before.items()})
        for unit_class in sorted(set(before) | set(report.totals)):
            if report.totals[unit_class] != before[unit_class]:
                report.violations.append(
                    f"(b) {unit_class}: {report.totals[unit_class]} live units, {before[unit_class]} before"
                )
        report.violations += [f"(c) {v}" for v in await live_twice(target.sandbox_url)]
        report.violations += await _anchored_and_verified(
            channel, transfers, target, report.settled, report, anchored_within_s, min_confirmations
        )
    return report


async def assert_invariants(
    target: GatewayUnderTest,
    transfer_ids: Iterable[str],
    totals_before: Mapping[str, int],
    *,
    accept: Collection[int] = ACCEPTED,
    final_within_s: float = 90.0,
    anchored_within_s: float = 60.0,
    min_confirmations: int = 1,
) -> InvariantReport:
    """`check_invariants`, failing with every violation at once; the report for further assertions."""
    report = await check_invariants(
        target,
        transfer_ids,
        totals_before,
        accept=accept,
        final_within_s=final_within_s,
        anchored_within_s=anchored_within_s,
        min_confirmations=min_confirmations,
    )
    assert not report.violations, "invariants broken:\n" + "\n".join(report.violations)
    return report


async def _call(method: object, request: object, deadline: float) -> object:
    """A unary call, asked again while the gateway answers as if it were still recovering."""
    while True:
        try:
            return await method(request, timeout=10)  # type: ignore[operator]
        except grpc.aio.AioRpcError as error:
            if error.code() not in _TRANSIENT or time.monotonic() > deadline:
                raise
        await asyncio.sleep(_POLL_S)


async def _poll(
    ids: Iterable[str],
    look: Callable[[str], Awaitable[transfer_pb2.Transfer | None]],
    done: Callable[[transfer_pb2.Transfer], bool],
    deadline: float,
) -> list[str]:
    """Look at each of `ids` every _POLL_S until `done` holds for it or `deadline` passes; the ids not
    done by then. One that `look` answers None for (it noted why) is not looked at again."""
    waiting = list(ids)
    while waiting:
        still = []
        for tid in waiting:
            found = await look(tid)
            if found is not None and not done(found):
                still.append(tid)
        waiting = still
        if waiting and time.monotonic() > deadline:
            break
        if waiting:
            await asyncio.sleep(_POLL_S)
    return waiting


async def _final_states(
    transfers: transfer_pb2_grpc.TransferServiceStub, ids: list[str], within_s: float, violations: list[str]
) -> dict[str, transfer_pb2.Transfer]:
    """(a) Poll every transfer until it is final, at most `within_s` for all of them together."""
    deadline = time.monotonic() + within_s
    seen: dict[str, transfer_pb2.Transfer] = {}

    async def look(tid: str) -> transfer_pb2.Transfer | None:
        try:
            found = await _call(transfers.GetTransfer, _T.GetTransferRequest(transfer_id=tid), deadline)
        except grpc.aio.AioRpcError as error:
            violations.append(f"(a) {tid}: GetTransfer answered {error.code().name}: {error.details()}")
            return None
        assert isinstance(found, transfer_pb2.Transfer)
        seen[tid] = found
        return found

    late = await _poll(ids, look, lambda found: found.state in FINAL, deadline)
    violations += [
        f"(a) {tid} is still {_T.TransferState.Name(seen[tid].state)} after {within_s:g} s" for tid in late
    ]
    return seen


async def sandbox_holdings(sandbox_url: str, *, attempts: int = 20) -> list[tuple[str, HoldingOut]]:
    """Every row of every registry the sandbox hosts, as (registry id, row).

    The holdings door is one a fault plan may aim at, so a 429 or 5xx is asked again.
    """
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=30) as http:
        registries = RegistriesResponse.model_validate_json(
            (await _get(http, "/registries", attempts)).content
        )
        ids = [registry.registry_id for registry in registries.registries]
        pages = await asyncio.gather(*(_get(http, f"/registries/{r}/holdings", attempts) for r in ids))
        return [
            (registry_id, row)
            for registry_id, page in zip(ids, pages, strict=True)
            for row in HoldingsResponse.model_validate_json(page.content).holdings
        ]


async def _get(http: httpx.AsyncClient, path: str, attempts: int) -> httpx.Response:
    for attempt in range(attempts):
        try:
            response = await http.get(path)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(_POLL_S)
            continue
        busy = response.status_code == 429 or response.status_code >= 500
        if busy and attempt < attempts - 1:
            await asyncio.sleep(_POLL_S)
            continue
        response.raise_for_status()
        return response
    raise AssertionError("unreachable")


async def live_twice(sandbox_url: str) -> list[str]:
    """(c) Every pair of rows, in any registries and accounts, that hold one unit live at once."""
    return overlapping_live_rows(await sandbox_holdings(sandbox_url))


def overlapping_live_rows(rows: Iterable[tuple[str, HoldingOut]]) -> list[str]:
    """Sweep each serial space once, in order of first unit: a row that starts before the furthest
    end seen so far overlaps the row that reached it."""
    by_space: dict[str, list[tuple[str, HoldingOut]]] = {}
    for registry_id, row in rows:
        if row.status is not UnitStatus.EXPORTED:
            by_space.setdefault(row.block.serial_space, []).append((registry_id, row))
    found = []
    for space, live in sorted(by_space.items()):
        live.sort(key=lambda r: (r[1].block.start, r[1].block.end))
        reach: tuple[str, HoldingOut] | None = None
        for registry_id, row in live:
            if reach is not None and row.block.start <= reach[1].block.end:
                found.append(
                    f"serials {space} {max(row.block.start, reach[1].block.start)}.."
                    f"{min(row.block.end, reach[1].block.end)} are live in {_where(*reach)} "
                    f"and in {_where(registry_id, row)}"
                )
            if reach is None or row.block.end > reach[1].block.end:
                reach = (registry_id, row)
    return found


def _where(registry_id: str, row: HoldingOut) -> str:
    return f"{registry_id}:{row.account_id} ({row.status.value} {row.block.start}..{row.block.end})"


async def _anchored_and_verified(
    channel: grpc.aio.Channel,
    transfers: transfer_pb2_grpc.TransferServiceStub,
    target: GatewayUnderTest,
    settled: list[str],
    report: InvariantReport,
    within_s: float,
    min_confirmations: int,
) -> list[str]:
    """(d) Every settled transfer anchored, its receipt verified on chain, and the ledger's audit clean."""
    violations: list[str] = []
    deadline = time.monotonic() + within_s

    def anchored_now(found: transfer_pb2.Transfer) -> bool:
        return found.state == _T.TRANSFER_STATE_ANCHORED

    async def look(tid: str) -> transfer_pb2.Transfer:
        found = await _call(transfers.GetTransfer, _T.GetTransferRequest(transfer_id=tid), deadline)
        assert isinstance(found, transfer_pb2.Transfer)
        report.outcomes[tid] = found
        return found

    unanchored = [tid for tid in settled if not anchored_now(report.outcomes[tid])]
    waiting = await _poll(unanchored, look, anchored_now, deadline)
    violations += [f"(d) {tid} settled but is not anchored after {within_s:g} s" for tid in waiting]
    oversight = oversight_pb2_grpc.OversightServiceStub(channel)
    w3 = connect(target.chain_rpc_url)

    async def receipt_of(tid: str) -> SettlementReceipt:
        proof = await _call(
            oversight.GetSettlementProof, oversight_pb2.GetSettlementProofRequest(transfer_id=tid), deadline
        )
        assert isinstance(proof, oversight_pb2.SettlementProof)
        return wire.receipt_from_proof(proof)

    anchored = [tid for tid in settled if tid not in waiting]
    receipts = await asyncio.gather(*(receipt_of(tid) for tid in anchored))
    verdicts = await asyncio.gather(
        *(asyncio.to_thread(verify_receipt, r, w3, min_confirmations=min_confirmations) for r in receipts)
    )
    for tid, verdict in zip(anchored, verdicts, strict=True):
        if not verdict.ok:
            violations.append(f"(d) the receipt of {tid} does not verify: {verdict.reason}")
    contract = receipts[0].contract_address if receipts else ""
    if not contract:
        head = await _latest_head(oversight, deadline)
        contract = head.contract_address if head is not None else ""
    findings = await asyncio.to_thread(_audit, target.ledger_url, target.chain_rpc_url, contract or None)
    violations += [f"(d) audit: {code} {message}" for code, message in findings]
    return violations


async def _latest_head(
    oversight: oversight_pb2_grpc.OversightServiceStub, deadline: float
) -> oversight_pb2.TreeHead | None:
    try:
        head = await _call(oversight.GetLatestTreeHead, oversight_pb2.GetLatestTreeHeadRequest(), deadline)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:  # nothing anchored yet
            return None
        raise
    assert isinstance(head, oversight_pb2.TreeHead)
    return head


def _audit(ledger_url: str, chain_rpc_url: str, contract: str | None) -> list[tuple[str, str]]:
    """`carbon-gateway audit --rpc --contract`: the findings, as (code, message)."""
    with Ledger.open(ledger_url, pool_size=1) as ledger:
        w3 = connect(chain_rpc_url) if contract else None
        return [(f.code, f.message) for f in audit(ledger, w3, contract)]


def traced_records(records: Iterable[logging.LogRecord], max_level: int = logging.WARNING) -> list[str]:
    """Records at `max_level` or below that carry a traceback: a wait or a retry is a line, not a stack."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in records
        if r.levelno <= max_level and _has_traceback(r)
    ]


def _has_traceback(record: logging.LogRecord) -> bool:
    attached = record.exc_info is not None and record.exc_info[0] is not None
    return attached or bool(record.exc_text) or "Traceback (most recent call last)" in record.getMessage()
