"""An HTTP client that public registry APIs tolerate: paced, patient with 429 and 5xx, bounded in time.

The evidence-based registries' public APIs serve their own web apps and throttle
or refuse impatient clients (about one request a second is welcome). Every
request here first waits out the minimum interval since the previous one
(retries included); 429, 5xx, timeouts and connection errors are retried with
exponential backoff and jitter, and a Retry-After is honoured when it fits within
`max_retry_after_s`. A registry asking for a longer pause is reported unavailable
at once, so the caller (a Temporal activity) retries later instead of holding a
worker slot. Other 4xx answers are refusals and are never retried.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from adapters.outbound_tls import VERIFIED, OutboundTls, certificate_problem
from domain.errors import RegistryRefused, RegistryUnavailable


class Politeness(BaseModel):
    """How a reader treats a public API; tests shrink the intervals, production keeps the defaults."""

    model_config = ConfigDict(frozen=True)

    min_interval_s: float = Field(default=1.0, ge=0.0)
    timeout_s: float = Field(default=10.0, gt=0.0)
    attempts: int = Field(default=5, ge=1)
    backoff_s: float = Field(default=0.5, ge=0.0)
    max_backoff_s: float = Field(default=30.0, ge=0.0)
    max_retry_after_s: float = Field(default=60.0, ge=0.0)


class _Transient(Exception):
    """One attempt failed in a way waiting may cure; `pause_s` is the least the server asked for."""

    def __init__(self, reason: str, pause_s: float = 0.0) -> None:
        super().__init__(reason)
        self.pause_s = pause_s


class PoliteClient:
    """Requests to one registry's public API at `base_url`, one at a time and spaced out."""

    def __init__(
        self,
        registry_id: str,
        base_url: str,
        politeness: Politeness | None = None,
        tls: OutboundTls = VERIFIED,
    ) -> None:
        self.registry_id = registry_id
        self.politeness = politeness or Politeness()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(self.politeness.timeout_s),
            headers={"accept": "application/json", "user-agent": "carbon-gateway-evidence-reader"},
            verify=tls.httpx_verify(),
        )
        self._pacing = asyncio.Lock()
        self._last_sent: float | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> httpx.Response:
        """The first successful answer; RegistryRefused on a 4xx, RegistryUnavailable when patience ends."""
        failure = ""
        for attempt in range(1, self.politeness.attempts + 1):
            try:
                return await self._attempt(method, path, params, json)
            except _Transient as transient:
                failure = str(transient)
                if attempt < self.politeness.attempts:
                    await asyncio.sleep(max(self._backoff(attempt), transient.pause_s))
        raise RegistryUnavailable(
            f"{self.registry_id} public API did not answer {method} {path} "
            f"after {self.politeness.attempts} attempts: {failure}"
        )

    async def _attempt(
        self, method: str, path: str, params: dict[str, str] | None, json: Any
    ) -> httpx.Response:
        await self._pace()
        try:
            response = await self._http.request(method, path, params=params, json=json)
        except httpx.TransportError as exc:  # timeouts included
            problem = certificate_problem(exc)
            if problem is not None:  # no retry cures it: say at once what to fix
                raise RegistryUnavailable(
                    f"{self.registry_id} public API's TLS certificate is not trusted ({problem}): "
                    "name the CA that issued it in outbound_ca_file"
                ) from exc
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return response
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}", self._retry_after(response))
        raise RegistryRefused(
            f"{self.registry_id} public API refused {method} {path}: "
            f"HTTP {response.status_code}: {response.text[:200]}",
            code=f"HTTP-{response.status_code}",
        )

    async def _pace(self) -> None:
        """Hold this request until `min_interval_s` has passed since the previous one was sent."""
        loop = asyncio.get_running_loop()
        async with self._pacing:
            if self._last_sent is not None:
                wait = self._last_sent + self.politeness.min_interval_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._last_sent = loop.time()

    def _backoff(self, attempt: int) -> float:
        base = self.politeness.backoff_s * 2 ** (attempt - 1)
        return min(base, self.politeness.max_backoff_s) + random.uniform(0, self.politeness.backoff_s)

    def _retry_after(self, response: httpx.Response) -> float:
        pause = retry_after_s(response.headers.get("retry-after"))
        if pause > self.politeness.max_retry_after_s:
            raise RegistryUnavailable(
                f"{self.registry_id} public API asked to wait {pause:.0f} s "
                f"(more than {self.politeness.max_retry_after_s:.0f} s): try again later"
            )
        return pause


def retry_after_s(header: str | None) -> float:
    """Seconds a Retry-After header asks for: delay-seconds or an HTTP date; 0 when absent or unreadable."""
    if header is None:
        return 0.0
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
