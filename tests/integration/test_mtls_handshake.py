"""Real TLS handshakes with certificates from `keys.init_keys`: what a gRPC server sees of a caller.

The server requires a client certificate and verifies it against our CA, as the gateway
serves; one case shows what `require_client_auth=False` would mean instead.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import NamedTuple

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway import keys
from gateway.roles import Role

WHO_AM_I = "/test.Peer/WhoAmI"


class Server(NamedTuple):
    target: str
    ring: keys.KeyRing


async def _who_am_i(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    """What the server knows of its peer: its certificate and who that certificate names."""
    auth = context.auth_context()
    pem = b"".join(auth.get("x509_pem_cert", []))
    answer: dict[str, object] = {
        "has_cert": bool(pem),
        "transport": auth["transport_security_type"][0].decode(),
    }
    if pem:
        role, org, name = keys.identity_of_certificate(pem)
        answer |= {"role": role.value, "org": org, "name": name}
    return json.dumps(answer).encode()


async def _serve(ring: keys.KeyRing, *, require_client_auth: bool) -> tuple[grpc.aio.Server, str]:
    ca, key, cert = keys.server_credentials_material(ring.keys_dir)
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    handler = grpc.unary_unary_rpc_method_handler(_who_am_i)  # bytes in, bytes out
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Peer", {"WhoAmI": handler}),))
    credentials = grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=ca, require_client_auth=require_client_auth
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
async def ours(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """A server requiring a client certificate from our CA, as the gateway serves."""
    ring = keys.init_keys(tmp_path_factory.mktemp("ours"))
    server, target = await _serve(ring, require_client_auth=True)
    yield Server(target, ring)
    await server.stop(None)


@pytest.fixture(scope="module")
async def unasking(ours: Server) -> AsyncIterator[Server]:
    """The same keys, served with `require_client_auth=False`."""
    server, target = await _serve(ours.ring, require_client_auth=False)
    yield Server(target, ours.ring)
    await server.stop(None)


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> keys.KeyRing:
    """Another CA, with identities that look just like ours."""
    return keys.init_keys(tmp_path_factory.mktemp("theirs"))


def _channel(target: str, ca: bytes, identity: keys.Identity | None = None) -> grpc.aio.Channel:
    if identity is None:
        return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca))
    _, key, cert = keys.client_credentials_material(identity)
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    return grpc.aio.secure_channel(target, credentials)


async def _who(channel: grpc.aio.Channel) -> dict[str, object]:
    async with channel:
        return json.loads(await channel.unary_unary(WHO_AM_I)(b"", timeout=5))


def _ca(ring: keys.KeyRing) -> bytes:
    return ring.ca_certificate.read_bytes()


async def test_an_issued_identity_connects_and_the_server_reads_role_org_and_name(ours):
    bank = keys.issue_identity(ours.ring.keys_dir, role=Role.BANK, org="Bank of Shenzhen", name="bos-loans")
    seen = await _who(_channel(ours.target, _ca(ours.ring), bank))
    assert seen == {
        "has_cert": True,
        "transport": "ssl",
        "role": "bank",
        "org": "Bank of Shenzhen",
        "name": "bos-loans",
    }


async def test_a_client_certificate_from_another_ca_is_refused_at_the_handshake(ours, stranger):
    impostor = keys.find_identity(stranger.keys_dir, {Role.ADMIN})
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _who(_channel(ours.target, _ca(ours.ring), impostor))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_client_without_a_certificate_never_gets_in(ours):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _who(_channel(ours.target, _ca(ours.ring)))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_client_refuses_a_server_whose_certificate_another_ca_issued(ours, stranger):
    exchange = keys.find_identity(ours.ring.keys_dir, {Role.EXCHANGE})
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _who(_channel(ours.target, _ca(stranger), exchange))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_without_require_client_auth_tls_completes_but_no_caller_is_ever_identified(unasking):
    """gRPC's Python server then never asks for a certificate (there is no "ask but do not
    require"): a client without one is served, health checks pass, and even a client holding
    one presents none, so the gateway must require one."""
    seen = await _who(_channel(unasking.target, _ca(unasking.ring)))
    assert seen == {"has_cert": False, "transport": "ssl"}
    async with _channel(unasking.target, _ca(unasking.ring)) as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    bank = keys.find_identity(unasking.ring.keys_dir, {Role.BANK})
    assert (await _who(_channel(unasking.target, _ca(unasking.ring), bank)))["has_cert"] is False
