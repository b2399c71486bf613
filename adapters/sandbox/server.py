"""The sandbox registry server: one aiohttp app hosting many registries over one SQLite store.

`start_sandbox` runs it inside the caller's event loop (tests, the embedded runtime).

Each hosted registry is a `RegistryProfile` passed in, so tests and the embedded
runtime choose what runs. Evidence-based registries also get their public read
API (`public_api`) and the holder's own actions (`holder`). Registry endpoints
and public read APIs pass through the fault injector; admin, health and holder
endpoints never do. Store work runs in a worker thread so a
held (faulted) request never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from adapters.base import RegistryProfile
from adapters.sandbox.faults import Fault, FaultBoard, FaultPlan, LostReplyMode, RegistryCall
from adapters.sandbox.holder import HolderDesk
from adapters.sandbox.idempotency import Reply, once, refusal_reply
from adapters.sandbox.public_api import add_public_api
from adapters.sandbox.refusals import Refusal, RefusalCode
from adapters.sandbox.registry import SandboxRegistry, retirement_out
from adapters.sandbox.store import HoldingRow, RetirementRow, SandboxStore, StoreTx
from adapters.sandbox.wire import (
    AccountOut,
    AccountsRequest,
    AccountsResponse,
    CreditRequest,
    EmptyRequest,
    ErrorBody,
    HoldingOut,
    HoldingsResponse,
    LockRequest,
    Operation,
    OperationResult,
    RegistriesResponse,
    RegistryOut,
    RetirementOut,
    RetirementRequest,
    SeedRequest,
    SeedResult,
    TotalsResponse,
)
from domain.errors import GatewayError
from domain.units import LIVE_STATUSES, UnitStatus

Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN_SCOPE = "_admin"  # idempotency scope of admin seeds, apart from every registry id


@dataclass
class Sandbox:
    """What the handlers share: the store, the hosted registries and their faults."""

    store: SandboxStore
    registries: dict[str, SandboxRegistry]
    faults: FaultBoard

    def registry(self, registry_id: str) -> SandboxRegistry:
        found = self.registries.get(registry_id)
        if found is None:
            raise Refusal(RefusalCode.UNKNOWN_REGISTRY, f"no registry {registry_id!r} in this sandbox")
        return found


SANDBOX = web.AppKey("sandbox", Sandbox)
_FAULTABLE = frozenset(RegistryCall)  # admin and health routes are never faulted


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(text=model.model_dump_json(), status=status, content_type="application/json")


def _reply(reply: Reply) -> web.Response:
    return web.Response(text=reply.body, status=reply.status, content_type="application/json")


def _unavailable(message: str) -> web.Response:
    return _json(ErrorBody(code="SANDBOX-FAULT", message=message), status=503)


async def _body(request: web.Request, model: type[Model]) -> Model:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except (ValidationError, GatewayError) as exc:
        raise Refusal(RefusalCode.INVALID_REQUEST, f"{model.__name__}: {exc}") from exc


@web.middleware
async def refusals_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refusal as refusal:
        return _reply(refusal_reply(refusal))


@web.middleware
async def injected_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    registry_id = request.match_info.get("registry_id")
    call = request.match_info.route.name or ""
    injector = None
    if registry_id is not None and call in _FAULTABLE:
        injector = request.app[SANDBOX].faults.injector(registry_id)
    if injector is None or not injector.plan.aims_at(call):
        return await handler(request)
    plan = injector.plan
    if plan.latency_ms:
        await asyncio.sleep(plan.latency_ms / 1000)
    fault = injector.draw()
    if fault is Fault.ERROR:
        return _unavailable("injected error: nothing was done")
    if fault is Fault.TIMEOUT:
        await asyncio.sleep(plan.timeout_s)
        return _unavailable("injected timeout: nothing was done")
    if fault is Fault.REFUSAL:
        return _json(ErrorBody(code="INJECTED-REFUSAL", message="injected refusal: nothing was done"), 409)
    if fault is Fault.RATE_LIMIT:
        limited = _json(ErrorBody(code="RATE-LIMITED", message="injected rate limit: nothing was done"), 429)
        limited.headers["Retry-After"] = str(plan.retry_after_s)
        return limited
    response = await handler(request)
    if fault is Fault.NONE:
        return response
    if plan.lost_reply_mode is LostReplyMode.DISCONNECT and request.transport is not None:
        request.transport.abort()
    return _unavailable("injected lost reply: the operation was applied")


async def _in_store(request: web.Request, work: Callable[[SandboxStore], Model]) -> Model:
    return await asyncio.to_thread(work, request.app[SANDBOX].store)


async def _mutation(
    request: web.Request,
    key: str,
    operation: Operation,
    body: BaseModel,
    action: Callable[[SandboxRegistry, StoreTx], OperationResult],
) -> web.Response:
    registry = request.app[SANDBOX].registry(request.match_info["registry_id"])

    def work(store: SandboxStore) -> Reply:
        with store.writing() as tx:
            return once(tx, registry.registry_id, key, operation, body, lambda: action(registry, tx))

    return _reply(await asyncio.to_thread(work, request.app[SANDBOX].store))


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def list_registries(request: web.Request) -> web.Response:
    registries = request.app[SANDBOX].registries.values()
    return _json(
        RegistriesResponse(
            registries=[
                RegistryOut(
                    registry_id=r.registry_id,
                    name=r.profile.info.name,
                    programme=r.profile.info.programme,
                    accepted_programmes=sorted(r.profile.accepted_programmes),
                )
                for r in registries
            ]
        )
    )


def _retirement_of(row: HoldingRow, retirements: dict[str, RetirementRow]) -> RetirementOut | None:
    """The retirement that left `row` RETIRED, if it went through `POST retirements`."""
    found = retirements.get(row.op_key or "") if row.status is UnitStatus.RETIRED else None
    if found is None or found.block != row.block or found.account_id != row.account_id:
        return None  # seeded retired, or retired by the holder in an evidence-based registry
    return retirement_out(found)


async def holdings(request: web.Request) -> web.Response:
    registry = request.app[SANDBOX].registry(request.match_info["registry_id"])
    account_id = request.query.get("account_id")

    def work(store: SandboxStore) -> HoldingsResponse:
        with store.reading() as tx:
            rows = tx.holdings(registry.registry_id, account_id)
            retirements = tx.retirements(registry.registry_id, account_id)
        return HoldingsResponse(
            registry_id=registry.registry_id,
            holdings=[
                HoldingOut(
                    account_id=row.account_id,
                    block=row.block,
                    status=row.status,
                    registry_status=registry.profile.word_for(row.status),
                    retirement=_retirement_of(row, retirements),
                )
                for row in rows
            ],
        )

    return _json(await _in_store(request, work))


async def account(request: web.Request) -> web.Response:
    """Whether an account exists in the registry, and whether it is blocked."""
    registry = request.app[SANDBOX].registry(request.match_info["registry_id"])
    account_id = request.match_info["account_id"]

    def work(store: SandboxStore) -> AccountOut:
        with store.reading() as tx:
            state = registry.account_state(tx, account_id)
        return AccountOut(registry_id=registry.registry_id, account_id=account_id, state=state)

    return _json(await _in_store(request, work))


async def lock(request: web.Request) -> web.Response:
    body = await _body(request, LockRequest)
    return await _mutation(
        request,
        body.key,
        Operation.LOCK,
        body,
        lambda registry, tx: registry.lock(tx, body.key, body.account_id, body.block),
    )


async def release(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    body = await _body(request, EmptyRequest)
    return await _mutation(
        request, key, Operation.RELEASE, body, lambda registry, tx: registry.release(tx, key)
    )


async def finalise(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    body = await _body(request, EmptyRequest)
    return await _mutation(
        request, key, Operation.FINALISE, body, lambda registry, tx: registry.finalise(tx, key)
    )


async def credit(request: web.Request) -> web.Response:
    body = await _body(request, CreditRequest)
    return await _mutation(
        request,
        body.key,
        Operation.CREDIT,
        body,
        lambda registry, tx: registry.credit(tx, body.key, body.account_id, body.block),
    )


async def reverse(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    body = await _body(request, EmptyRequest)
    return await _mutation(
        request, key, Operation.REVERSE, body, lambda registry, tx: registry.reverse(tx, key)
    )


async def retire(request: web.Request) -> web.Response:
    body = await _body(request, RetirementRequest)
    return await _mutation(
        request,
        body.key,
        Operation.RETIRE,
        body,
        lambda registry, tx: registry.retire(
            tx, body.key, body.account_id, body.block, body.beneficiary, body.reason
        ),
    )


def seed_store(sandbox: Sandbox, seed: SeedRequest) -> Reply:
    """Insert the seed's holdings once per seed key (all or nothing)."""
    registries = [sandbox.registry(h.registry_id) for h in seed.holdings]

    def insert_all(tx: StoreTx) -> SeedResult:
        for registry, holding in zip(registries, seed.holdings, strict=True):
            registry.seed(tx, seed.seed_key, holding.account_id, holding.block, holding.status)
        return SeedResult(seed_key=seed.seed_key, inserted=len(seed.holdings))

    with sandbox.store.writing() as tx:
        return once(tx, ADMIN_SCOPE, seed.seed_key, Operation.SEED, seed, lambda: insert_all(tx))


async def seed(request: web.Request) -> web.Response:
    body = await _body(request, SeedRequest)
    return _reply(await asyncio.to_thread(seed_store, request.app[SANDBOX], body))


async def put_accounts(request: web.Request) -> web.Response:
    """Open or block accounts, all or none; setting the state an account already has changes nothing."""
    sandbox = request.app[SANDBOX]
    body = await _body(request, AccountsRequest)
    registries = [sandbox.registry(a.registry_id) for a in body.accounts]

    def work(store: SandboxStore) -> AccountsResponse:
        with store.writing() as tx:
            for registry, wanted in zip(registries, body.accounts, strict=True):
                registry.set_account(tx, wanted.account_id, wanted.state)
        return AccountsResponse(
            accounts=[
                AccountOut(registry_id=a.registry_id, account_id=a.account_id, state=a.state)
                for a in body.accounts
            ]
        )

    return _json(await _in_store(request, work))


async def totals(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]

    def work(store: SandboxStore) -> TotalsResponse:
        with store.reading() as tx:
            rows = tx.all_holdings()
        by_registry: dict[str, dict[str, int]] = {registry_id: {} for registry_id in sandbox.registries}
        by_unit_class: dict[str, int] = {}
        for row in rows:
            if row.status not in LIVE_STATUSES:
                continue
            unit_class = str(row.block.unit_class)
            per_registry = by_registry.setdefault(row.registry_id, {})
            per_registry[unit_class] = per_registry.get(unit_class, 0) + row.block.quantity
            by_unit_class[unit_class] = by_unit_class.get(unit_class, 0) + row.block.quantity
        return TotalsResponse(by_registry=by_registry, by_unit_class=by_unit_class)

    return _json(await _in_store(request, work))


async def put_faults(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    registry = sandbox.registry(request.match_info["registry_id"])
    plan = await _body(request, FaultPlan)
    sandbox.faults.set(registry.registry_id, plan)
    return _json(sandbox.faults.report(registry.registry_id))


async def get_faults(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    registry = sandbox.registry(request.match_info["registry_id"])
    return _json(sandbox.faults.report(registry.registry_id))


async def delete_faults(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    registry = sandbox.registry(request.match_info["registry_id"])
    sandbox.faults.clear(registry.registry_id)
    return _json(sandbox.faults.report(registry.registry_id))


async def _close_store(app: web.Application) -> None:
    app[SANDBOX].store.close()


def create_app(profiles: Iterable[RegistryProfile], store: SandboxStore) -> web.Application:
    """The sandbox app for `profiles`; the app closes `store` on cleanup."""
    registries = {p.registry_id: SandboxRegistry(p) for p in profiles}
    app = web.Application(middlewares=[injected_faults, refusals_as_json])
    app[SANDBOX] = Sandbox(store=store, registries=registries, faults=FaultBoard())
    base = "/registries/{registry_id}"
    app.router.add_get("/health", health)
    app.router.add_get("/registries", list_registries)
    # Route names are the RegistryCall values a fault plan aims at.
    app.router.add_get(f"{base}/holdings", holdings, name=RegistryCall.HOLDINGS)
    app.router.add_get(f"{base}/accounts/{{account_id}}", account, name=RegistryCall.ACCOUNT)
    app.router.add_post(f"{base}/locks", lock, name=RegistryCall.LOCK)
    app.router.add_post(f"{base}/locks/{{key}}/release", release, name=RegistryCall.RELEASE)
    app.router.add_post(f"{base}/locks/{{key}}/finalise", finalise, name=RegistryCall.FINALISE)
    app.router.add_post(f"{base}/credits", credit, name=RegistryCall.CREDIT)
    app.router.add_post(f"{base}/credits/{{key}}/reverse", reverse, name=RegistryCall.REVERSE)
    app.router.add_post(f"{base}/retirements", retire, name=RegistryCall.RETIRE)
    HolderDesk(store, registries).add_routes(app)
    add_public_api(app, store, registries)
    app.router.add_post("/admin/seed", seed)
    app.router.add_put("/admin/accounts", put_accounts)
    app.router.add_get("/admin/totals", totals)
    app.router.add_put("/admin/registries/{registry_id}/faults", put_faults)
    app.router.add_get("/admin/registries/{registry_id}/faults", get_faults)
    app.router.add_delete("/admin/registries/{registry_id}/faults", delete_faults)
    app.on_cleanup.append(_close_store)
    return app


@dataclass
class RunningSandbox:
    """A sandbox serving at `url` (no trailing slash) until `stop()`."""

    url: str
    app: web.Application
    _runner: web.AppRunner

    async def stop(self) -> None:
        await self._runner.cleanup()


def _url(address: object, host: str) -> str:
    port = address[1] if isinstance(address, tuple) else 0
    bracketed = f"[{host}]" if ":" in host else host
    return f"http://{bracketed}:{port}"


async def start_sandbox(
    profiles: Iterable[RegistryProfile],
    state_path: Path | str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: SeedRequest | None = None,
    shutdown_timeout_s: float = 1.0,
) -> RunningSandbox:
    """Serve `profiles` from the state file at `state_path`; port 0 picks a free port.

    `seed`, when given, is applied before serving (once per seed key, like `POST /admin/seed`).
    """
    store = SandboxStore(state_path)
    app = create_app(profiles, store)
    if seed is not None:
        try:
            reply = seed_store(app[SANDBOX], seed)
        except Refusal as refusal:
            store.close()
            raise ValueError(f"seed {seed.seed_key!r} refused: {refusal.message}") from refusal
        if reply.status != 200:
            store.close()
            raise ValueError(f"seed {seed.seed_key!r} refused: {reply.body}")
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout_s)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return RunningSandbox(url=_url(runner.addresses[0], host), app=app, _runner=runner)
