"""What an account holder does in an evidence-based registry's own web app, mimicked by the sandbox.

Verra and Gold Standard have no write API: to move units out, the holder
immobilises them in the registry, naming the gateway's transfer in the details
text, and the gateway reads that back through the public API. These endpoints
stand in for the holder's clicks so tests can produce real evidence (and the
wrong kinds of evidence). They are not a gateway write API: the gateway never
calls them, the fault injector never touches them, and registries the gateway
can drive refuse them.

    POST /registries/{id}/holder/immobilise {account_id, block, details}   units become EXPORTED
    POST /registries/{id}/holder/retire {account_id, block, details, beneficiary?, reason?}
    POST /registries/{id}/holder/release {account_id, block}   undo an immobilisation of exactly block

Immobilised units carry our EXPORTED status (the registry's word "Immobilised"):
from the conservation point of view they have left the registry, because the
destination will hold their mirror.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from adapters.sandbox.refusals import Refusal, RefusalCode
from adapters.sandbox.registry import SandboxRegistry
from adapters.sandbox.store import HolderActionRow, SandboxStore, StoreTx
from adapters.sandbox.wire import (
    HolderAction,
    HolderActionResult,
    ImmobiliseRequest,
    ReleaseRequest,
    RetireRequest,
)
from domain.errors import GatewayError
from domain.serials import SerialBlock
from domain.units import UnitStatus

Model = TypeVar("Model", bound=BaseModel)


def _acted_at() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(
    registry: SandboxRegistry,
    tx: StoreTx,
    action: HolderAction,
    account_id: str,
    block: SerialBlock,
    details: str,
    beneficiary: str | None = None,
    reason: str | None = None,
) -> HolderActionRow:
    row = HolderActionRow(
        op_key=f"holder-{action.value}-{uuid.uuid4().hex}",
        registry_id=registry.registry_id,
        kind=action.value,
        account_id=account_id,
        block=block,
        details=details,
        beneficiary=beneficiary,
        reason=reason,
        acted_at=_acted_at(),
    )
    tx.put_holder_action(row)
    return row


def _result(registry: SandboxRegistry, row: HolderActionRow, status: UnitStatus) -> HolderActionResult:
    return HolderActionResult(
        registry_id=registry.registry_id,
        action=HolderAction(row.kind),
        account_id=row.account_id,
        block=row.block,
        status=status,
        registry_status=registry.profile.word_for(status),
        acted_at=row.acted_at,
    )


def immobilise(registry: SandboxRegistry, tx: StoreTx, request: ImmobiliseRequest) -> HolderActionResult:
    row = _record(registry, tx, HolderAction.IMMOBILISE, request.account_id, request.block, request.details)
    registry.take_held(tx, request.account_id, request.block, UnitStatus.EXPORTED, row.op_key)
    return _result(registry, row, UnitStatus.EXPORTED)


def retire(registry: SandboxRegistry, tx: StoreTx, request: RetireRequest) -> HolderActionResult:
    row = _record(
        registry,
        tx,
        HolderAction.RETIRE,
        request.account_id,
        request.block,
        request.details,
        request.beneficiary,
        request.reason,
    )
    registry.take_held(tx, request.account_id, request.block, UnitStatus.RETIRED, row.op_key)
    return _result(registry, row, UnitStatus.RETIRED)


def release(registry: SandboxRegistry, tx: StoreTx, request: ReleaseRequest) -> HolderActionResult:
    """Put an immobilised block back, merged with its held neighbours; only the whole block."""
    immobilisations = {
        key for key, action in tx.holder_actions(registry.registry_id).items() if action.kind == "immobilise"
    }
    found = next(
        (
            row
            for row in tx.overlapping(registry.registry_id, request.block)
            if row.account_id == request.account_id
            and row.status is UnitStatus.EXPORTED
            and row.op_key in immobilisations
            and row.block == request.block
        ),
        None,
    )
    if found is None:
        raise Refusal(
            RefusalCode.NOT_IMMOBILISED,
            f"{request.account_id!r} has no immobilisation of exactly "
            f"{request.block.serial_space} {request.block.start}..{request.block.end}",
        )
    row = _record(
        registry, tx, HolderAction.RELEASE, request.account_id, request.block, f"released {found.op_key}"
    )
    tx.delete(found.row_id)
    registry.put_held(tx, request.account_id, request.block, row.op_key)
    return _result(registry, row, UnitStatus.HELD)


class HolderDesk:
    """The HTTP face of the holder actions, over the sandbox's store and registries."""

    def __init__(self, store: SandboxStore, registries: dict[str, SandboxRegistry]) -> None:
        self._store = store
        self._registries = registries

    def add_routes(self, app: web.Application) -> None:
        base = "/registries/{registry_id}/holder"
        app.router.add_post(f"{base}/immobilise", self.immobilise)
        app.router.add_post(f"{base}/retire", self.retire)
        app.router.add_post(f"{base}/release", self.release)

    async def immobilise(self, request: web.Request) -> web.Response:
        body = await _body(request, ImmobiliseRequest)
        return await self._act(request, lambda registry, tx: immobilise(registry, tx, body))

    async def retire(self, request: web.Request) -> web.Response:
        body = await _body(request, RetireRequest)
        return await self._act(request, lambda registry, tx: retire(registry, tx, body))

    async def release(self, request: web.Request) -> web.Response:
        body = await _body(request, ReleaseRequest)
        return await self._act(request, lambda registry, tx: release(registry, tx, body))

    async def _act(
        self, request: web.Request, action: Callable[[SandboxRegistry, StoreTx], HolderActionResult]
    ) -> web.Response:
        registry = self._evidence_based(request.match_info["registry_id"])

        def work() -> HolderActionResult:
            with self._store.writing() as tx:
                return action(registry, tx)

        result = await asyncio.to_thread(work)
        return web.Response(text=result.model_dump_json(), content_type="application/json")

    def _evidence_based(self, registry_id: str) -> SandboxRegistry:
        registry = self._registries.get(registry_id)
        if registry is None:
            raise Refusal(RefusalCode.UNKNOWN_REGISTRY, f"no registry {registry_id!r} in this sandbox")
        if not registry.profile.info.evidence_based:
            raise Refusal(
                RefusalCode.NOT_EVIDENCE_BASED,
                f"{registry_id} has a write API: the gateway locks and finalises there itself",
            )
        return registry


async def _body(request: web.Request, model: type[Model]) -> Model:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except (ValidationError, GatewayError) as exc:
        raise Refusal(RefusalCode.INVALID_REQUEST, f"{model.__name__}: {exc}") from exc
