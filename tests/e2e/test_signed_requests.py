"""Project owners' signed transfer requests through the running gateway: what settles, what is refused.

Every refusal of a signature is PERMISSION_DENIED with its own reason and leaves nothing
behind: no transfer, and the nonce still unspent (the same nonce then reaches the
transfer desk, which refuses the unheld units with FAILED_PRECONDITION instead).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from domain import signed_requests as sr
from domain.signed_requests import PrivateKey, SignatureAlgorithm
from gateway.owner_servicer import signed_transfer_from_proto
from gateway.runtime import EmbeddedGateway
from gateway.settings import ENV_PREFIX
from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc, registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, error_info, every_page, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
OWNER_SERVICE = owner_pb2.DESCRIPTOR.services_by_name["OwnerService"].full_name
CLI = Path(sys.executable).with_name("carbon-gateway")
_ids = itertools.count(1)
ALGORITHMS = {
    SignatureAlgorithm.ED25519: owner_pb2.SIGNATURE_ALGORITHM_ED25519,
    SignatureAlgorithm.ECDSA_P256_SHA256: owner_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
}


@dataclass
class Owners:
    stub: owner_pb2_grpc.OwnerServiceStub
    target: str  # where the CLI reaches OwnerService


@pytest.fixture(scope="module")
def owners(gateway: EmbeddedGateway, channel: grpc.aio.Channel) -> Owners:
    """OwnerService of the test gateway."""
    return Owners(owner_pb2_grpc.OwnerServiceStub(channel), f"127.0.0.1:{gateway.grpc_port}")


def new_id(prefix: str = "signed") -> str:
    return f"{prefix}-{next(_ids)}-{os.getpid()}"


async def register(
    owners: Owners, key: PrivateKey, account: str, org: str = "Owner Org", registry: str = "cn-ccer"
) -> owner_pb2.OwnerKey:
    request = owner_pb2.RegisterOwnerKeyRequest(
        registry_id=registry,
        account_id=account,
        owner_org=org,
        algorithm=ALGORITHMS[sr.algorithm_of(key)],
        public_key=sr.public_key_der(key),
    )
    return (await owners.stub.RegisterOwnerKey(request)).owner_key


def unsigned(
    key: PrivateKey,
    source: str,
    destination: str,
    serial: str,
    *,
    transfer_id: str,
    nonce: str,
    expires_in: timedelta = timedelta(minutes=15),
    quantity: int | None = None,
) -> owner_pb2.SubmitSignedTransferRequest:
    msg = owner_pb2.SubmitSignedTransferRequest(
        transfer_id=transfer_id,
        source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=source),
        destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=destination),
        serial=serial,
        purpose=transfer_pb2.PURPOSE_VOLUNTARY,
        key_id=sr.key_id_of(sr.public_key_der(key)),
        nonce=nonce,
    )
    if quantity is not None:
        msg.quantity = quantity
    msg.expire_time.FromDatetime(datetime.now(UTC).replace(microsecond=0) + expires_in)
    return msg


def signed_by(
    key: PrivateKey, msg: owner_pb2.SubmitSignedTransferRequest
) -> owner_pb2.SubmitSignedTransferRequest:
    """`msg` with `key`'s signature of its canonical bytes, whatever key id it names."""
    out = owner_pb2.SubmitSignedTransferRequest()
    out.CopyFrom(msg)
    out.signature = sr.sign(signed_transfer_from_proto(msg).payload(), key)
    return out


def sign(key: PrivateKey, *args: str, **kwargs) -> owner_pb2.SubmitSignedTransferRequest:
    return signed_by(key, unsigned(key, *args, **kwargs))


async def refused(call, request) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request)
    return caught.value


async def assert_not_recorded(transfers, transfer_id: str) -> None:
    error = await refused(transfers.GetTransfer, transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
    assert error.code() == grpc.StatusCode.NOT_FOUND


def ed25519_key() -> PrivateKey:
    return sr.new_private_key(SignatureAlgorithm.ED25519)


def p256_key() -> PrivateKey:
    return sr.new_private_key(SignatureAlgorithm.ECDSA_P256_SHA256)


def _expired(key, account, serial, tid, nonce):
    return sign(
        key,
        account,
        f"{account}-dest",
        serial,
        transfer_id=tid,
        nonce=nonce,
        expires_in=-timedelta(seconds=1),
    )


def _too_far(key, account, serial, tid, nonce):
    later = sr.MAX_LIFETIME + timedelta(minutes=5)
    return sign(key, account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce, expires_in=later)


def _altered(key, account, serial, tid, nonce):
    good = sign(key, account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce, quantity=5)
    good.quantity = 6
    return good


def _other_destination(key, account, serial, tid, nonce):
    good = sign(key, account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce)
    good.destination.account_id = f"{account}-elsewhere"
    return good


def _wrong_key(key, account, serial, tid, nonce):
    return signed_by(
        ed25519_key(), unsigned(key, account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce)
    )


def _unknown_key(key, account, serial, tid, nonce):
    return sign(ed25519_key(), account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce)


REFUSALS = {
    "expired": (_expired, sr.EXPIRED),
    "expiry-too-far": (_too_far, sr.EXPIRY_TOO_FAR),
    "altered-quantity": (_altered, sr.INVALID),
    "altered-destination": (_other_destination, sr.INVALID),
    "wrong-key": (_wrong_key, sr.INVALID),
    "unknown-key": (_unknown_key, sr.KEY_UNKNOWN),
}


@pytest.mark.parametrize("make_key", [ed25519_key, p256_key], ids=["ed25519", "p256"])
@pytest.mark.parametrize("case", list(REFUSALS))
async def test_each_bad_signature_is_refused_and_changes_nothing(
    owners: Owners,
    gateway: EmbeddedGateway,
    transfers,
    account: str,
    ccer_serial: CcerSerial,
    case: str,
    make_key,
):
    key = make_key()
    await register(owners, key, account)
    serial, tid, nonce = ccer_serial(1, 10), new_id(), new_id("nonce")
    make, code = REFUSALS[case]
    error = await refused(owners.stub.SubmitSignedTransfer, make(key, account, serial, tid, nonce))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info(error).reason == code, error.details()
    await assert_not_recorded(transfers, tid)
    # The refusal is recorded in the audit log with its own reason.
    recorded = [
        (e.outcome, e.reason)
        for e in gateway.ledger.audit_events(after_seq=-1, limit=100_000)
        if e.method == f"/{OWNER_SERVICE}/SubmitSignedTransfer" and e.target == tid
    ]
    assert recorded == [("PERMISSION_DENIED", code)]
    # The nonce is still unspent: the same one, rightly signed, reaches the desk (nothing is held there).
    fine = sign(key, account, f"{account}-dest", serial, transfer_id=tid, nonce=nonce)
    assert (
        await refused(owners.stub.SubmitSignedTransfer, fine)
    ).code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_key_registered_for_another_account_is_refused(
    owners: Owners, transfers, account: str, ccer_serial
):
    key = ed25519_key()
    await register(owners, key, f"{account}-other")
    tid = new_id()
    error = await refused(
        owners.stub.SubmitSignedTransfer,
        sign(key, account, f"{account}-dest", ccer_serial(1, 10), transfer_id=tid, nonce=new_id("nonce")),
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info(error).reason == sr.KEY_NOT_FOR_ACCOUNT
    await assert_not_recorded(transfers, tid)


async def test_a_request_refused_after_its_signature_passed_cannot_be_replayed(
    owners: Owners, transfers, account: str, ccer_serial
):
    key = ed25519_key()
    await register(owners, key, account)
    request = sign(
        key, account, f"{account}-dest", ccer_serial(1, 10), transfer_id=new_id(), nonce=new_id("n")
    )
    first = await refused(owners.stub.SubmitSignedTransfer, request)
    assert first.code() == grpc.StatusCode.FAILED_PRECONDITION  # the units are not held
    again = await refused(owners.stub.SubmitSignedTransfer, request)
    assert again.code() == grpc.StatusCode.PERMISSION_DENIED and error_info(again).reason == sr.REPLAYED
    await assert_not_recorded(transfers, request.transfer_id)


async def test_a_signed_transfer_settles_once_its_retry_is_a_no_op_and_a_replay_is_refused(
    owners: Owners, transfers, registries, sandbox: SandboxAdmin, account: str, ccer_serial: CcerSerial
):
    key = ed25519_key()
    registered = await register(owners, key, account, org="Owner One")
    assert registered.key_id == sr.key_id_of(sr.public_key_der(key))
    serial = ccer_serial(1001, 1100)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    nonce = new_id("nonce")
    request = sign(key, account, f"{account}-dest", serial, transfer_id=new_id(), nonce=nonce, quantity=30)

    submitted = (await owners.stub.SubmitSignedTransfer(request)).transfer
    again = (await owners.stub.SubmitSignedTransfer(request)).transfer  # the same signed request
    assert (again.transfer_id, again.create_time) == (submitted.transfer_id, submitted.create_time)

    replay = sign(key, account, f"{account}-dest", serial, transfer_id=new_id(), nonce=nonce, quantity=30)
    error = await refused(owners.stub.SubmitSignedTransfer, replay)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and error_info(error).reason == sr.REPLAYED
    await assert_not_recorded(transfers, replay.transfer_id)

    done = await final_state(transfers, request.transfer_id)
    assert done.state in SETTLED, done.reasons
    assert done.quantity == 30
    held = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id="cn-sz-ets", account_id=f"{account}-dest")
    )
    assert [(h.serial, h.quantity) for h in held.holdings] == [(ccer_serial(1001, 1030), 30)]  # moved once


async def test_rotation_the_new_p256_key_works_and_the_revoked_one_is_refused(
    owners: Owners, transfers, sandbox: SandboxAdmin, account: str, ccer_serial: CcerSerial
):
    old, new = ed25519_key(), p256_key()
    old_key = await register(owners, old, account)
    new_key = await register(owners, new, account)
    revoked = (
        await owners.stub.RevokeOwnerKey(
            owner_pb2.RevokeOwnerKeyRequest(key_id=old_key.key_id, reason="rotated")
        )
    ).owner_key
    assert revoked.HasField("revoke_time") and revoked.revoked_by and revoked.revoke_reason == "rotated"
    again = (
        await owners.stub.RevokeOwnerKey(
            owner_pb2.RevokeOwnerKeyRequest(key_id=old_key.key_id, reason="twice")
        )
    ).owner_key
    assert (again.revoke_time, again.revoke_reason) == (revoked.revoke_time, "rotated")  # the first is kept

    listed, pages = await every_page(
        owners.stub.ListOwnerKeys,
        owner_pb2.ListOwnerKeysRequest(registry_id="cn-ccer", account_id=account),
        "owner_keys",
        page_size=1,
    )
    assert pages == 2
    assert [(k.key_id, k.HasField("revoke_time")) for k in listed] == [
        (old_key.key_id, True),
        (new_key.key_id, False),
    ]

    serial = ccer_serial(2001, 2010)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    by_old = sign(old, account, f"{account}-dest", serial, transfer_id=new_id(), nonce=new_id("n"))
    error = await refused(owners.stub.SubmitSignedTransfer, by_old)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and error_info(error).reason == sr.KEY_REVOKED
    await assert_not_recorded(transfers, by_old.transfer_id)

    by_new = sign(new, account, f"{account}-dest", serial, transfer_id=new_id(), nonce=new_id("n"))
    await owners.stub.SubmitSignedTransfer(by_new)
    assert (await final_state(transfers, by_new.transfer_id)).state in SETTLED


async def test_registering_keys_checks_the_bytes_and_keeps_one_account_per_key(owners: Owners, account: str):
    key = p256_key()
    first = await register(owners, key, account)
    again = await register(owners, key, account)
    assert (again.key_id, again.register_time) == (first.key_id, first.register_time)
    taken = await refused(
        owners.stub.RegisterOwnerKey,
        owner_pb2.RegisterOwnerKeyRequest(
            registry_id="cn-ccer",
            account_id=f"{account}-other",
            owner_org="Owner Org",
            algorithm=owner_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
            public_key=sr.public_key_der(key),
        ),
    )
    assert taken.code() == grpc.StatusCode.ALREADY_EXISTS
    mismatched = await refused(
        owners.stub.RegisterOwnerKey,
        owner_pb2.RegisterOwnerKeyRequest(
            registry_id="cn-ccer",
            account_id=account,
            owner_org="Owner Org",
            algorithm=owner_pb2.SIGNATURE_ALGORITHM_ED25519,
            public_key=sr.public_key_der(key),
        ),
    )
    assert mismatched.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    status = rpc_status.from_call(mismatched)
    assert status is not None and any(d.Unpack(bad_request) for d in status.details)
    assert [v.field for v in bad_request.field_violations] == ["public_key"]


# The CLI


async def run_cli(gateway: EmbeddedGateway, *args: str, cwd: Path) -> tuple[int, str, str]:
    """One `carbon-gateway` command aimed at the test gateway."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    env[ENV_PREFIX + "GRPC_PORT"] = str(gateway.grpc_port)
    env[ENV_PREFIX + "PLAINTEXT"] = "true"
    process = await asyncio.create_subprocess_exec(
        str(CLI), *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_cli_makes_a_key_registers_it_signs_and_submits(
    gateway, owners: Owners, transfers, sandbox: SandboxAdmin, account: str, ccer_serial: CcerSerial, tmp_path
):
    code, out, err = await run_cli(
        gateway, "owner-key", "new", "--algorithm", "ecdsa-p256", "--out", "owner.pem", "--json", cwd=tmp_path
    )
    assert code == 0, err
    made = json.loads(out)
    assert oct((tmp_path / "owner.pem").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "owner.pub").write_text(made["public_key"] + "\n")
    target = ("--target", owners.target)
    code, out, err = await run_cli(
        gateway,
        "owner-key",
        "register",
        "--registry",
        "cn-ccer",
        "--account",
        account,
        "--org",
        "Owner Org",
        "--public-key",
        "owner.pub",
        "--json",
        *target,
        cwd=tmp_path,
    )
    assert code == 0, err
    assert json.loads(out)["key_id"] == made["key_id"]

    serial = ccer_serial(3001, 3020)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    code, out, err = await run_cli(
        gateway,
        "sign",
        "--key",
        "owner.pem",
        "--from",
        f"cn-ccer:{account}",
        "--to",
        f"cn-sz-ets:{account}-dest",
        "--serial",
        serial,
        "--quantity",
        "7",
        "--purpose",
        "voluntary",
        "--expires-in",
        "10m",
        "--submit",
        *target,
        cwd=tmp_path,
    )
    assert code == 0, err
    signed_line, answer_line = out.splitlines()
    printed = json_format.ParseDict(json.loads(signed_line), owner_pb2.SubmitSignedTransferRequest())
    assert printed.key_id == made["key_id"] and printed.quantity == 7
    payload = signed_transfer_from_proto(printed).payload()
    assert sr.verify(
        payload, printed.signature, base64.b64decode(made["public_key"]), SignatureAlgorithm.ECDSA_P256_SHA256
    )
    answered = json_format.ParseDict(json.loads(answer_line), owner_pb2.SubmitSignedTransferResponse())
    assert answered.transfer.transfer_id == printed.transfer_id

    # The printed request is what was sent: sending it again is the same transfer, not a second one.
    assert (
        await owners.stub.SubmitSignedTransfer(printed)
    ).transfer.create_time == answered.transfer.create_time
    assert (await final_state(transfers, printed.transfer_id)).state in SETTLED

    code, out, err = await run_cli(
        gateway,
        "owner-key",
        "revoke",
        made["key_id"],
        "--reason",
        "lost laptop",
        "--json",
        *target,
        cwd=tmp_path,
    )
    assert code == 0 and json.loads(out)["revoke_time"], err
    code, out, err = await run_cli(
        gateway,
        "sign",
        "--key",
        "owner.pem",
        "--from",
        f"cn-ccer:{account}",
        "--to",
        f"cn-sz-ets:{account}-dest",
        "--serial",
        serial,
        "--submit",
        *target,
        cwd=tmp_path,
    )
    assert code == 2 and err.startswith("error PERMISSION_DENIED: "), err
