"""Only the right party can do each thing: the role matrix, callers without an identity, scoping.

A second gRPC port over the session gateway's own desk and ledger, served with
client certificates exactly as `carbon-gateway up` serves them (the session
port runs in development mode), so every RPC is tried for real over mTLS.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway import keys
from gateway.roles import ACCESS, Role
from gateway.runtime import EmbeddedGateway
from gateway.server import start_grpc_server
from gateway.transport import Transport, caller_of_certificate
from protos.carbon.gateway.v1 import registry_pb2, registry_pb2_grpc, transfer_pb2, transfer_pb2_grpc
from tests.e2e.client import SETTLED, error_info, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
_ids = itertools.count(1)


class SecurePort:
    def __init__(self, keys_dir: Path, port: int) -> None:
        self.keys_dir = keys_dir
        self.target = f"127.0.0.1:{port}"

    def channel(self, identity: keys.Identity | None) -> grpc.aio.Channel:
        ca = (self.keys_dir / "ca.crt").read_bytes()
        if identity is None:
            return grpc.aio.secure_channel(self.target, grpc.ssl_channel_credentials(root_certificates=ca))
        ca, key, cert = keys.client_credentials_material(identity)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=ca, private_key=key, certificate_chain=cert
        )
        return grpc.aio.secure_channel(self.target, credentials)

    def identity(self, role: Role, org: str = "org-a") -> keys.Identity:
        name = f"{role.value}-{org}"
        found = next((i for i in keys.list_identities(self.keys_dir) if i.name == name), None)
        return found or keys.issue_identity(self.keys_dir, role=role, org=org, name=name)


@pytest.fixture(scope="module")
async def secure(
    gateway: EmbeddedGateway, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SecurePort]:
    keys_dir = tmp_path_factory.mktemp("keys")
    keys.init_keys(keys_dir)
    ca, key, cert = keys.server_credentials_material(keys_dir)
    credentials = grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)
    assert gateway.desk is not None and gateway.ledger is not None
    server, port = await start_grpc_server(
        "127.0.0.1:0",
        gateway.desk,
        gateway.adapters,
        gateway.ledger,
        gateway.settings.watch_poll_s,
        transport=Transport(credentials, caller_of_certificate),
        audit=gateway.ledger.append_audit,
    )
    yield SecurePort(keys_dir, port)
    await server.stop(None)


def _method(path: str):
    service, name = path.strip("/").split("/")
    method = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    return (
        method,
        message_factory.GetMessageClass(method.input_type),
        message_factory.GetMessageClass(method.output_type),
    )


async def _call(channel: grpc.aio.Channel, path: str) -> grpc.StatusCode:
    """Call `path` with an empty request; the status code it ends with (OK when it answers)."""
    method, request_class, response_class = _method(path)
    try:
        if method.server_streaming:
            stream = channel.unary_stream(
                path,
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
            # An admitted stream with nothing to send yet (WatchFinanceEvents) waits: a second is enough
            # to see it was let through (DEADLINE_EXCEEDED is neither refusal).
            async for _ in stream(request_class(), timeout=1):
                break
        else:
            unary = channel.unary_unary(
                path,
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
            await unary(request_class(), timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_each_role_is_refused_every_rpc_the_table_does_not_give_it(
    secure: SecurePort, gateway, role: Role
):
    """The whole matrix for one role: refused where the table says no, let through where it says yes."""
    assert gateway.ledger is not None

    # What a call could add or alter (states move on in the background: anchoring, sagas of earlier tests).
    def recorded() -> list[tuple[str, object]]:
        assert gateway.ledger is not None
        return [(t.transfer_id, t.request) for t in gateway.ledger.list(page_size=500)[0]]

    before = recorded()
    refused: list[tuple[str, grpc.StatusCode]] = []
    admitted: list[tuple[str, grpc.StatusCode]] = []
    async with secure.channel(secure.identity(role)) as channel:
        for path, access in sorted(ACCESS.items()):
            code = await _call(channel, path)
            (admitted if role in access.roles else refused).append((path, code))
    assert [p for p, code in refused if code != grpc.StatusCode.PERMISSION_DENIED] == []
    blocked = (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
    assert [p for p, code in admitted if code in blocked] == []
    assert recorded() == before, "a refused call changed the ledger"


async def test_a_refusal_names_the_role_and_is_in_the_audit_log(secure: SecurePort, gateway):
    assert gateway.ledger is not None
    async with secure.channel(secure.identity(Role.BANK, "org-audit")) as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ResolveTransfer(transfer_pb2.ResolveTransferRequest(transfer_id="tr-not-mine"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info(refused.value).reason == "ROLE-NOT-ALLOWED"
    assert "bank" in (refused.value.details() or "")
    recorded = gateway.ledger.audit_events(after_seq=-1, limit=500, org="org-audit")
    assert [(e.method, e.role, e.caller, e.outcome, e.reason, e.target) for e in recorded] == [
        (
            "/carbon.gateway.v1.TransferService/ResolveTransfer",
            "bank",
            "bank-org-audit",
            "PERMISSION_DENIED",
            "ROLE-NOT-ALLOWED",
            "tr-not-mine",
        )
    ]


async def test_a_caller_without_a_certificate_cannot_even_connect(secure: SecurePort, gateway):
    """gRPC's server either requires a client certificate or never asks for one: it requires it, so
    a caller without one fails the TLS handshake and no RPC runs."""
    async with secure.channel(None) as channel:
        for path in (
            "/carbon.gateway.v1.TransferService/SubmitTransfer",
            "/carbon.gateway.v1.RegistryService/ListRegistries",
        ):
            assert await _call(channel, path) == grpc.StatusCode.UNAVAILABLE


async def test_health_needs_a_tls_connection_but_no_role(secure: SecurePort):
    """Health checks pass the interceptor untouched: any identity of ours may probe."""
    async with secure.channel(secure.identity(Role.PROJECT_OWNER)) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def _certificate_without_a_role(keys_dir: Path) -> tuple[bytes, bytes]:
    """A certificate our CA signed that names no role (no OU): TLS accepts it, the gateway must not."""
    ca_cert = x509.load_pem_x509_certificate((keys_dir / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((keys_dir / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no-role")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


async def test_a_certificate_that_names_no_role_is_unauthenticated(secure: SecurePort):
    key, cert = _certificate_without_a_role(secure.keys_dir)
    ca = (secure.keys_dir / "ca.crt").read_bytes()
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    async with grpc.aio.secure_channel(secure.target, credentials) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await transfer_pb2_grpc.TransferServiceStub(channel).GetTransfer(
                transfer_pb2.GetTransferRequest(transfer_id="tr-any")
            )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "Traceback" not in (refused.value.details() or "")


async def test_one_exchange_cannot_see_or_touch_another_exchanges_transfer(
    secure: SecurePort, sandbox: SandboxAdmin, account: str, ccer_serial: CcerSerial
):
    serial = ccer_serial(1, 10)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    transfer_id = f"access-{next(_ids)}-{account}"
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account),
        destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=f"{account}-dest"),
        serial=serial,
        purpose=transfer_pb2.PURPOSE_VOLUNTARY,
    )
    async with (
        secure.channel(secure.identity(Role.EXCHANGE, "exchange-a")) as mine,
        secure.channel(secure.identity(Role.EXCHANGE, "exchange-b")) as theirs,
        secure.channel(secure.identity(Role.REGULATOR, "regulator")) as overseer,
        secure.channel(secure.identity(Role.REGISTRY_OPERATOR, "ccer-registry")) as operator,
    ):
        a, b = transfer_pb2_grpc.TransferServiceStub(mine), transfer_pb2_grpc.TransferServiceStub(theirs)
        # Until the registry's operator says exchange-a holds the account, it may not move its units.
        with pytest.raises(grpc.aio.AioRpcError) as not_held:
            await a.SubmitTransfer(request)
        assert (not_held.value.code(), error_info(not_held.value).reason) == (
            grpc.StatusCode.PERMISSION_DENIED,
            "ACCOUNT-NOT-HELD",
        )
        await registry_pb2_grpc.RegistryServiceStub(operator).RecordAccountHolder(
            registry_pb2.RecordAccountHolderRequest(
                registry_id="cn-ccer", account_id=account, holder_org="exchange-a"
            )
        )
        holders = registry_pb2_grpc.RegistryServiceStub(operator)
        again = registry_pb2.RecordAccountHolderRequest(
            registry_id="cn-ccer", account_id=account, holder_org="exchange-a"
        )
        assert (await holders.RecordAccountHolder(again)).holder_org == "exchange-a"  # a no-op
        with pytest.raises(grpc.aio.AioRpcError) as other_holder:
            again.holder_org = "exchange-b"
            await holders.RecordAccountHolder(again)
        assert other_holder.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as not_theirs:
            await b.SubmitTransfer(request)
        assert error_info(not_theirs.value).reason == "ACCOUNT-NOT-HELD"
        await a.SubmitTransfer(request)
        assert (await final_state(a, transfer_id)).state in SETTLED

        for attempt in (
            b.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id)),
            b.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await attempt
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            async for _ in b.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=transfer_id)):
                pass
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

        # Holdings: exchange-a reads its account, exchange-b may not, the regulator reads all.
        async def held(channel: grpc.aio.Channel, account_id: str | None) -> set[str]:
            asked = registry_pb2.ListHoldingsRequest(registry_id="cn-ccer", page_size=500)
            if account_id is not None:
                asked.account_id = account_id
            found = await registry_pb2_grpc.RegistryServiceStub(channel).ListHoldings(asked)
            return {h.account_id for h in found.holdings}

        assert await held(mine, account) == {account}
        assert await held(mine, None) == {account}
        with pytest.raises(grpc.aio.AioRpcError) as not_theirs:
            await held(theirs, account)
        assert error_info(not_theirs.value).reason == "ACCOUNT-NOT-HELD"
        assert account not in await held(theirs, None)
        assert account in await held(overseer, None)

        async def listed(stub: transfer_pb2_grpc.TransferServiceStub) -> set[str]:
            ids: set[str] = set()
            page = transfer_pb2.ListTransfersRequest(page_size=500)
            while True:
                found = await stub.ListTransfers(page)
                ids |= {t.transfer_id for t in found.transfers}
                if not found.next_page_token:
                    return ids
                page.page_token = found.next_page_token

        assert transfer_id in await listed(a)
        assert transfer_id not in await listed(b)
        assert transfer_id in await listed(transfer_pb2_grpc.TransferServiceStub(overseer))
