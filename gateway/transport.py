"""TLS for the gateway's gRPC port, both ends: the server's credentials and a client's identity.

The server requires a client certificate issued by the gateway's CA (gRPC's Python
server can require one or not ask at all, so a caller with none fails the TLS
handshake); the access interceptor reads role, organisation and name from it.
Plaintext is an explicit development setting and says so loudly at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import NamedTuple

import grpc

from gateway import keys
from gateway.roles import Caller, Role
from gateway.settings import Settings

log = logging.getLogger(__name__)

Identify = Callable[[bytes], Caller]  # a PEM client certificate -> its caller, or raises ValueError


class Transport(NamedTuple):
    """How callers reach the server: TLS credentials and how a certificate names its caller.

    Both None is plaintext: nobody is authenticated and the one caller holds every role.
    """

    credentials: grpc.ServerCredentials | None
    identify: Identify | None


PLAINTEXT = Transport(None, None)


PLAINTEXT_WARNING = (
    "WARNING: plaintext gRPC: nobody is authenticated and anyone who reaches "
    "{target} may call every RPC with every role. Development only."
)


def caller_of_certificate(pem: bytes) -> Caller:
    """The caller a (CA-verified) client certificate names; ValueError when it names none.

    Cheap per call: keys.identity_of_certificate caches its parse by certificate bytes."""
    try:
        role, org, name = keys.identity_of_certificate(pem)
    except keys.KeysError as bad:
        raise ValueError(str(bad)) from None
    return Caller(role=Role(role), org=org, name=name)


def server_transport(settings: Settings, *, demo: bool) -> Transport:
    """mTLS from the keys directory (issued on first start with --demo); plaintext only when asked."""
    if settings.plaintext:
        log.warning(PLAINTEXT_WARNING.format(target=settings.grpc_target))
        return PLAINTEXT
    keys_dir = settings.resolved_keys_dir()
    if demo:
        keys.init_keys(keys_dir, hosts=_hosts(settings))
    ca, key, cert = keys.server_credentials_material(keys_dir)
    credentials = grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)
    return Transport(credentials, caller_of_certificate)


def _hosts(settings: Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(("localhost", "127.0.0.1", settings.grpc_host)))


def client_credentials(settings: Settings, roles: Collection[Role]) -> grpc.ChannelCredentials | None:
    """Credentials of a local identity allowed one of `roles`; None in plaintext mode."""
    if settings.plaintext:
        return None
    keys_dir = settings.resolved_keys_dir()
    identity = keys.find_identity(keys_dir, roles)
    if identity is None:
        wanted = ", ".join(sorted(role.value for role in roles))
        raise keys.KeysError(
            f"no identity in {keys_dir} may do this (needs one of: {wanted}): "
            "run `carbon-gateway keys issue --role ROLE --org ORG`"
        )
    ca, key, cert = keys.client_credentials_material(identity)
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
