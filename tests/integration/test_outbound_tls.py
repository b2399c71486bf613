"""Outbound connections verify the server's certificate: refused from an unknown CA, accepted from
the CA the settings name (beside the system's roots), and unverified only when development
settings say so. Registries (httpx), evidence readers (httpx) and chain nodes (web3) alike."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import pytest
import requests
from aiohttp import web
from web3 import Web3

from adapters import catalogue
from adapters.http_client import SandboxRegistryClient
from adapters.outbound_tls import OutboundTls, OutboundTlsError
from adapters.polite_client import PoliteClient, Politeness
from domain.errors import RegistryUnavailable
from gateway import keys


class Https(NamedTuple):
    url: str  # https://127.0.0.1:PORT, a name its certificate holds
    ca: Path  # the CA that issued its certificate, unknown to the system


async def _serve(keys_dir: Path, hosts: tuple[str, ...]) -> tuple[web.AppRunner, str]:
    """A registry API, a public evidence API and a JSON-RPC node at once, over HTTPS."""
    keys.init_keys(keys_dir, hosts=hosts)

    async def holdings(request: web.Request) -> web.Response:
        return web.json_response({"registry_id": request.match_info["registry"], "holdings": []})

    async def public(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def json_rpc(request: web.Request) -> web.Response:
        call = await request.json()
        return web.json_response({"jsonrpc": "2.0", "id": call["id"], "result": "0x539"})  # chain 1337

    app = web.Application()
    app.router.add_get("/registries/{registry}/holdings", holdings)
    app.router.add_get("/public", public)
    app.router.add_post("/", json_rpc)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(keys_dir / "server.crt", keys_dir / "server.key")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"https://127.0.0.1:{port}"


@pytest.fixture(scope="module")
async def https(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Https]:
    keys_dir = tmp_path_factory.mktemp("https")
    runner, url = await _serve(keys_dir, ("localhost", "127.0.0.1"))
    yield Https(url, keys_dir / "ca.crt")
    await runner.cleanup()


@pytest.fixture(scope="module")
async def misnamed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Https]:
    """A server whose certificate, from a CA we trust, names another host."""
    keys_dir = tmp_path_factory.mktemp("misnamed")
    runner, url = await _serve(keys_dir, ("registry.example",))
    yield Https(url, keys_dir / "ca.crt")
    await runner.cleanup()


async def _holdings(url: str, tls: OutboundTls) -> list[object]:
    client = SandboxRegistryClient(catalogue.profile("cn-ccer"), url, timeout_s=2.0, attempts=3, tls=tls)
    async with client:
        return list(await client.holdings())


async def test_a_registry_certificate_from_an_unknown_ca_is_refused_at_once_and_said_plainly(https):
    with pytest.raises(RegistryUnavailable) as refused:
        await _holdings(https.url, OutboundTls())
    message = str(refused.value)
    assert message == (
        "cn-ccer's TLS certificate is not trusted (unable to get local issuer certificate): "
        "name the CA that issued it in outbound_ca_file"
    )  # not retried ("after 3 attempts"), and no OpenSSL internals (_ssl.c) or traceback


async def test_the_ca_the_settings_name_is_trusted(https):
    assert await _holdings(https.url, OutboundTls(ca_file=https.ca)) == []


async def test_a_trusted_ca_does_not_excuse_a_certificate_for_another_host(misnamed):
    with pytest.raises(RegistryUnavailable, match=r"not trusted .*mismatch"):
        await _holdings(misnamed.url, OutboundTls(ca_file=misnamed.ca))


async def test_verification_off_is_a_development_setting_that_connects_and_says_so(https, caplog):
    tls = OutboundTls(verify=False)
    with caplog.at_level(logging.WARNING):
        tls.check()
    assert [r.getMessage() for r in caplog.records] == [
        "WARNING: outbound TLS verification is off (outbound_tls_verify = false): registries, "
        "evidence sources and chain nodes are not authenticated. Development only."
    ]
    assert await _holdings(https.url, tls) == []
    caplog.clear()
    OutboundTls().check()
    assert caplog.records == []


async def test_an_evidence_reader_verifies_the_public_api_the_same_way(https):
    fast = Politeness(min_interval_s=0, attempts=3, backoff_s=0)
    refused = PoliteClient("verra", https.url, fast)
    with pytest.raises(RegistryUnavailable, match=r"^verra public API's TLS certificate is not trusted"):
        await refused.send("GET", "/public")
    await refused.aclose()
    trusting = PoliteClient("verra", https.url, fast, OutboundTls(ca_file=https.ca))
    assert (await trusting.send("GET", "/public")).json() == {"ok": True}
    await trusting.aclose()


def _chain_id(url: str, tls: OutboundTls) -> int:
    return Web3(Web3.HTTPProvider(url, session=tls.requests_session())).eth.chain_id


async def test_a_chain_node_is_verified_like_everything_else(https):
    with pytest.raises(requests.exceptions.SSLError):
        await asyncio.to_thread(_chain_id, https.url, OutboundTls())
    trusting = OutboundTls(ca_file=https.ca)
    roots_before = trusting.ssl_context().cert_store_stats()
    assert await asyncio.to_thread(_chain_id, https.url, trusting) == 1337
    # requests did not load a bundle of its own (REQUESTS_CA_BUNDLE, certifi) into the shared context
    assert trusting.ssl_context().cert_store_stats() == roots_before
    assert await asyncio.to_thread(_chain_id, https.url, OutboundTls(verify=False)) == 1337


def test_the_ca_file_is_trusted_beside_the_system_roots_not_instead(https):
    system = OutboundTls().ssl_context()
    both = OutboundTls(ca_file=https.ca).ssl_context()
    assert system is not None and both is not None
    assert both.cert_store_stats()["x509_ca"] == system.cert_store_stats()["x509_ca"] + 1
    assert OutboundTls(verify=False).ssl_context() is None
    assert OutboundTls(verify=False).httpx_verify() is False


def test_an_unusable_ca_file_stops_start_up_naming_it(tmp_path):
    with pytest.raises(OutboundTlsError, match=r"outbound_ca_file .*missing\.pem does not exist"):
        OutboundTls(ca_file=tmp_path / "missing.pem").check()
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(OutboundTlsError, match=r"junk\.pem holds no PEM certificates"):
        OutboundTls(ca_file=tmp_path / "junk.pem").check()
