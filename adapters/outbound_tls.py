"""How the gateway's outbound connections check the certificates of the servers they reach.

Registries, evidence readers and chain nodes all verify TLS the same way: against the
system's roots plus `ca_file` when one is named (a registry or node behind a private CA),
through one SSLContext built once. Turning verification off is a development setting,
and the gateway says so at start.
"""

from __future__ import annotations

import logging
import ssl
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

OFF_WARNING = (
    "WARNING: outbound TLS verification is off (outbound_tls_verify = false): registries, "
    "evidence sources and chain nodes are not authenticated. Development only."
)


class OutboundTlsError(Exception):
    """`outbound_ca_file` cannot be used; the message is one line naming the file."""


class OutboundTls(BaseModel):
    """Whether outbound TLS is verified, and which CA file is trusted beside the system's roots."""

    model_config = ConfigDict(frozen=True)

    verify: bool = True
    ca_file: Path | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        """The verifying context every client shares; None when verification is off."""
        return _context(self.ca_file) if self.verify else None

    def httpx_verify(self) -> ssl.SSLContext | bool:
        """What httpx's `verify=` takes: the verifying context, or False."""
        context = self.ssl_context()
        return False if context is None else context

    def requests_session(self) -> requests.Session:
        """A requests session for web3's HTTPProvider (`session=`) trusting exactly what httpx does.

        requests would otherwise trust its own bundle (certifi) and replace the roots with
        `verify=<file>`; mounting an adapter on our context keeps one rule for every client.
        """
        import requests
        import urllib3

        session = requests.Session()
        context = self.ssl_context()
        if context is None:  # said once at start (warn_if_off), not again on every request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session.mount("https://", _context_adapter(context))
        return session

    def check(self) -> None:
        """At start: build the context now, so an unusable `ca_file` stops start-up naming it,
        and warn once when verification is off."""
        self.ssl_context()
        self.warn_if_off()

    def warn_if_off(self) -> None:
        """One warning line at start when verification is off (and nothing otherwise)."""
        if not self.verify:
            log.warning(OFF_WARNING)


VERIFIED = OutboundTls()


@lru_cache(maxsize=8)
def _context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()  # the system's roots, hostname checks, TLS 1.2 or later
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except FileNotFoundError:
            raise OutboundTlsError(f"outbound_ca_file {ca_file} does not exist") from None
        except ssl.SSLError:  # an OSError too: first
            raise OutboundTlsError(f"outbound_ca_file {ca_file} holds no PEM certificates") from None
        except OSError as exc:
            raise OutboundTlsError(f"cannot read outbound_ca_file {ca_file}: {exc.strerror}") from None
    return context


def certificate_problem(error: BaseException) -> str | None:
    """Why the server's certificate was refused, when that is what `error` (or its cause) is.

    A clean phrase ("unable to get local issuer certificate") for a message, without the
    OpenSSL source locations an SSLError's text carries; None for any other failure.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or "certificate verify failed")
        seen = seen.__cause__ or seen.__context__
    return None


def _context_adapter(context: ssl.SSLContext | None) -> Any:
    """A requests adapter verifying with `context` (None: not at all), whatever requests would
    otherwise take from its bundle or the environment (REQUESTS_CA_BUNDLE overrides a session's
    own `verify`)."""
    from requests import PreparedRequest, Response
    from requests.adapters import HTTPAdapter  # requests only for the processes that reach a node

    class ContextAdapter(HTTPAdapter):
        def send(
            self,
            request: PreparedRequest,
            stream: bool = False,
            timeout: float | tuple[float | None, float | None] | None = None,
            verify: bool | str = True,
            cert: str | tuple[str, str] | None = None,
            proxies: dict[str, str] | None = None,
        ) -> Response:
            return super().send(request, stream, timeout, context is not None, cert, proxies)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if context is not None:
                kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            conn.ca_certs = conn.ca_cert_dir = None  # urllib3 would load them into the shared context

    return ContextAdapter()
