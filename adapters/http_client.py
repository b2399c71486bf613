"""The real client of a sandbox registry: HTTP with timeouts, retries and idempotency keys.

A retry re-sends the same key and body, so a step the server already applied
(its reply lost, or the client timed out) is answered from the server's stored
reply instead of being applied twice. 5xx, 429, timeouts and connection errors
are retried with exponential backoff and jitter; refusals (404, 409, 422 and
other 4xx) are final and raised at once, as is a server certificate that does
not verify (adapters.outbound_tls says what is trusted).
"""

from __future__ import annotations

import json
import ssl
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from adapters.base import AccountState, RegistryProfile
from adapters.outbound_tls import VERIFIED, OutboundTls, certificate_problem
from adapters.sandbox.wire import (
    AccountOut,
    CreditRequest,
    ErrorBody,
    HoldingOut,
    HoldingsResponse,
    LockRequest,
    RetirementRequest,
)
from domain.errors import RegistryRefused, RegistryUnavailable
from domain.holdings import Holding
from domain.serials import SerialBlock


class UnrecognisedReply(RegistryRefused):
    """The registry answered with something its profile does not describe (e.g. an unknown status word)."""

    code = "REGISTRY-UNRECOGNISED-REPLY"


class _Transient(Exception):
    """One attempt failed in a way a retry may cure."""


KEPT_CONNECTIONS = 200


class SandboxRegistryClient:
    """`RegistryAdapter` for one registry hosted by the sandbox server at `base_url`."""

    def __init__(
        self,
        profile: RegistryProfile,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        attempts: int = 5,
        backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        tls: OutboundTls = VERIFIED,
    ) -> None:
        self.profile = profile
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._prefix = f"{base_url.rstrip('/')}/registries/{quote(profile.registry_id, safe='')}"
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._ssl: ssl.SSLContext | bool = tls.ssl_context() or False
        self._http: aiohttp.ClientSession | None = None  # opened on first use, inside the event loop

    def _session(self) -> aiohttp.ClientSession:
        # aiohttp, not httpx: under a busy saga the client's own work per call is a large share of
        # the gateway's; connections stay open for reuse up to a busy gateway's concurrency.
        if self._http is None:
            connector = aiohttp.TCPConnector(limit=KEPT_CONNECTIONS, ssl=self._ssl)
            self._http = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def __aenter__(self) -> SandboxRegistryClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def holdings(self, account_id: str | None = None) -> list[Holding]:
        params = {} if account_id is None else {"account_id": account_id}
        answer = await self._call("GET", "/holdings", params=params)
        try:
            parsed = HoldingsResponse.model_validate(answer)
        except ValidationError as exc:
            raise UnrecognisedReply(f"{self.profile.registry_id} sent malformed holdings: {exc}") from exc
        return [self._holding(row) for row in parsed.holdings]

    async def account_state(self, account_id: str) -> AccountState:
        answer = await self._call("GET", f"/accounts/{quote(account_id, safe='')}")
        try:
            parsed = AccountOut.model_validate(answer)
        except ValidationError as exc:
            raise UnrecognisedReply(f"{self.profile.registry_id} sent a malformed account: {exc}") from exc
        if parsed.account_id != account_id or parsed.registry_id != self.profile.registry_id:
            raise UnrecognisedReply(f"{self.profile.registry_id} answered about another account")
        return parsed.state

    async def lock(self, key: str, account_id: str, block: SerialBlock) -> None:
        await self._call("POST", "/locks", LockRequest(key=key, account_id=account_id, block=block))

    async def unlock(self, key: str) -> None:
        await self._call("POST", f"/locks/{quote(key, safe='')}/release")

    async def finalise(self, key: str) -> None:
        await self._call("POST", f"/locks/{quote(key, safe='')}/finalise")

    async def credit(self, key: str, account_id: str, block: SerialBlock) -> None:
        await self._call("POST", "/credits", CreditRequest(key=key, account_id=account_id, block=block))

    async def uncredit(self, key: str) -> None:
        await self._call("POST", f"/credits/{quote(key, safe='')}/reverse")

    async def retire(
        self, key: str, account_id: str, block: SerialBlock, beneficiary: str, reason: str
    ) -> None:
        if self.profile.info.evidence_based:  # the sandbox mimics its book, not a write API it lacks
            raise RegistryRefused(
                f"{self.profile.registry_id} has no write API: the holder retires units there themselves",
                code="NO-WRITE-API",
            )
        request = RetirementRequest(
            key=key, account_id=account_id, block=block, beneficiary=beneficiary, reason=reason
        )
        await self._call("POST", "/retirements", request)

    def _holding(self, row: HoldingOut) -> Holding:
        status = self.profile.status_words.get(row.registry_status)
        if status is None:
            raise UnrecognisedReply(
                f"{self.profile.registry_id} reported status word {row.registry_status!r}, "
                f"which its profile does not map (known: {', '.join(self.profile.status_words)})"
            )
        if status is not row.status:
            raise UnrecognisedReply(
                f"{self.profile.registry_id} word {row.registry_status!r} maps to {status.value}, "
                f"but the registry reported {row.status.value}"
            )
        return Holding(
            registry_id=self.profile.registry_id,
            account_id=row.account_id,
            block=row.block,
            status=status,
            registry_status=row.registry_status,
        )

    async def _call(
        self, method: str, path: str, body: BaseModel | None = None, params: dict[str, str] | None = None
    ) -> Any:
        """Send until an answer comes back; the same body each time, so the same idempotency key."""
        content = b"{}" if body is None else body.model_dump_json().encode()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff_s, max=self._max_backoff_s)
            + wait_random(0, self._backoff_s),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            return await retrying(self._attempt, method, self._prefix + path, content, params)
        except _Transient as exc:
            raise RegistryUnavailable(
                f"{self.profile.registry_id} did not answer after {self._attempts} attempts ({exc})"
            ) from exc

    async def _attempt(self, method: str, url: str, content: bytes, params: dict[str, str] | None) -> Any:
        try:
            async with self._session().request(
                method,
                url,
                data=content if method != "GET" else None,
                params=params,
                headers={"content-type": "application/json"},
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError as exc:
            raise _Transient("timed out") from exc
        except aiohttp.ClientError as exc:
            # aiohttp wraps the refused certificate; its `certificate_error` is the ssl module's own.
            problem = certificate_problem(getattr(exc, "certificate_error", exc))
            if problem is not None:  # no retry cures it: say at once what to fix
                raise RegistryUnavailable(
                    f"{self.profile.registry_id}'s TLS certificate is not trusted ({problem}): "
                    "name the CA that issued it in outbound_ca_file"
                ) from exc
            raise _Transient("could not be reached") from exc
        if status >= 500 or status == 429:
            raise _Transient(f"last answer HTTP {status}")
        if status >= 400:
            raise self._refused(status, body)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise UnrecognisedReply(
                f"{self.profile.registry_id} answered with something other than JSON"
            ) from exc

    def _refused(self, status: int, body: bytes) -> RegistryRefused:
        try:
            error = ErrorBody.model_validate_json(body)
        except ValidationError:
            error = ErrorBody(code=f"HTTP-{status}", message=body.decode(errors="replace")[:200])
        return RegistryRefused(f"{self.profile.registry_id} refused: {error.message}", code=error.code)
