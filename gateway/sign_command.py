"""`carbon-gateway owner-key ...` and `carbon-gateway sign`: a project owner's keys and signed transfers.

The owner makes a key pair (`owner-key new`) and keeps the private key; its registry's
operator registers the public key for the owner's account (`owner-key register`); the
owner then signs transfer requests (`sign`), printed as the protobuf JSON of a
SubmitSignedTransferRequest and, with `--submit`, sent to the gateway. A request is
checked here exactly as the gateway will check it before it is signed.

Mounted by the gateway's CLI; gateway.cli is imported only when a command runs, since it
imports this module.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from cryptography.hazmat.primitives import serialization

from domain import signed_requests
from domain.errors import InvalidInput
from domain.signed_requests import PrivateKey, SignatureAlgorithm
from protos.carbon.gateway.v1 import transfer_pb2

if TYPE_CHECKING:
    from types import ModuleType

_KEY_KINDS = {"ed25519": SignatureAlgorithm.ED25519, "ecdsa-p256": SignatureAlgorithm.ECDSA_P256_SHA256}
# As the `transfer` command's --purpose: straight from the contract's enum.
_PURPOSES = [
    name.removeprefix("PURPOSE_").lower()
    for name, number in transfer_pb2.Purpose.items()
    if number != transfer_pb2.PURPOSE_UNSPECIFIED
]
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _cli() -> ModuleType:
    from gateway import cli

    return cli


def _default_target() -> str:
    return str(_cli()._settings().grpc_target)


target_option = click.option("--target", default=_default_target, show_default="settings' gRPC address")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _refused(error: InvalidInput) -> click.ClickException:
    return _cli().CommandError(error.message, code=error.code)


def _echo_message(message: Any) -> None:
    cli = _cli()
    cli._echo_json(cli._to_json(message))


def _show_key(key: Any, as_json: bool) -> None:
    if as_json:
        _echo_message(key)
        return
    from protos.carbon.gateway.v1 import owner_pb2

    rows = [
        ("key_id", key.key_id),
        ("account", f"{key.registry_id}:{key.account_id}"),
        ("owner_org", key.owner_org),
        ("algorithm", owner_pb2.SignatureAlgorithm.Name(key.algorithm).removeprefix("SIGNATURE_ALGORITHM_")),
        ("registered", f"{key.register_time.ToJsonString()} by {key.registered_by}"),
    ]
    if key.HasField("revoke_time"):
        rows.append(("revoked", f"{key.revoke_time.ToJsonString()} by {key.revoked_by}"))
    _cli()._print_table(("field", "value"), rows, header=False)


def _channel_for(target: str, method: str) -> Any:
    """The CLI's channel for one OwnerService RPC (its refusals end the command with exit 2)."""
    cli = _cli()
    return cli._channel(target, cli.rpc("OwnerService", method))


@click.group("owner-key")
def owner_key() -> None:
    """A project owner's signing keys: make one, and (registry operators) register, revoke, list them."""


@owner_key.command("new")
@click.option(
    "--algorithm", type=click.Choice(list(_KEY_KINDS)), default="ed25519", show_default=True, help="Key kind."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The private key file."
)
@json_option
def new_key(algorithm: str, out: Path, as_json: bool) -> None:
    """Make a key pair: the private key to OUT (PKCS#8 PEM, unencrypted, mode 0600; never overwritten),
    and print its key id and public key (DER, base64) for the registry operator."""
    key = signed_requests.new_private_key(_KEY_KINDS[algorithm])
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _cli().CommandError(f"{out} exists: a key file is never overwritten") from None
    except OSError as exc:
        raise _cli().CommandError(f"cannot write {out}: {exc.strerror}") from None
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    der = signed_requests.public_key_der(key)
    shown = {
        "key_id": signed_requests.key_id_of(der),
        "algorithm": algorithm,
        "public_key": base64.b64encode(der).decode(),
    }
    if as_json:
        _cli()._echo_json(shown)
    else:
        for name, value in shown.items():
            click.echo(f"{name}\t{value}")


def read_public_key(path: Path) -> bytes:
    """A public key file as DER: PEM (`BEGIN PUBLIC KEY`), base64 of the DER, or the DER itself."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(data)
        except ValueError as bad:
            raise click.BadParameter(f"{path} is not a PEM public key", param_hint="--public-key") from bad
        return loaded.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return data


@owner_key.command("register")
@click.option("--registry", "registry_id", required=True, help="The account's registry.")
@click.option("--account", "account_id", required=True, help="The account the key signs for.")
@click.option("--org", "owner_org", required=True, help="The owner's organisation (its certificate's O).")
@click.option(
    "--public-key",
    "public_key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The owner's public key: PEM, DER, or DER in base64 (as `owner-key new` prints it).",
)
@json_option
@target_option
def register_key(
    registry_id: str, account_id: str, owner_org: str, public_key_file: Path, as_json: bool, target: str
) -> None:
    """Register an owner's public key for one account (a registry operator's call)."""
    from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc

    der = read_public_key(public_key_file)
    try:
        algorithm = signed_requests.algorithm_of_public_key(der)
    except InvalidInput as refused:
        raise _refused(refused) from None
    numbers = {
        SignatureAlgorithm.ED25519: owner_pb2.SIGNATURE_ALGORITHM_ED25519,
        SignatureAlgorithm.ECDSA_P256_SHA256: owner_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
    }
    request = owner_pb2.RegisterOwnerKeyRequest(
        registry_id=registry_id,
        account_id=account_id,
        owner_org=owner_org,
        algorithm=numbers[algorithm],
        public_key=der,
    )
    with _channel_for(target, "RegisterOwnerKey") as channel:
        registered = owner_pb2_grpc.OwnerServiceStub(channel).RegisterOwnerKey(request).owner_key
    _show_key(registered, as_json)


@owner_key.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why, in a sentence (written to the gateway's log).")
@json_option
@target_option
def revoke_key(key_id: str, reason: str, as_json: bool, target: str) -> None:
    """Revoke a key: requests it signs are refused from now on. To rotate, register the new key first."""
    from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc

    with _channel_for(target, "RevokeOwnerKey") as channel:
        revoked = (
            owner_pb2_grpc.OwnerServiceStub(channel)
            .RevokeOwnerKey(owner_pb2.RevokeOwnerKeyRequest(key_id=key_id, reason=reason))
            .owner_key
        )
    _show_key(revoked, as_json)


@owner_key.command("list")
@click.option("--registry", "registry_id", required=True, help="The account's registry.")
@click.option("--account", "account_id", required=True, help="The account.")
@json_option
@target_option
def list_keys(registry_id: str, account_id: str, as_json: bool, target: str) -> None:
    """Every key registered for an account, revoked ones included, oldest first."""
    from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc

    request = owner_pb2.ListOwnerKeysRequest(registry_id=registry_id, account_id=account_id, page_size=500)
    with _channel_for(target, "ListOwnerKeys") as channel:
        keys = _cli()._every_page(
            owner_pb2_grpc.OwnerServiceStub(channel).ListOwnerKeys, request, "owner_keys"
        )
    if as_json:
        _cli()._echo_json([_cli()._to_json(key) for key in keys])
        return
    rows = [
        (key.key_id, key.owner_org, "revoked" if key.HasField("revoke_time") else "in force") for key in keys
    ]
    _cli()._print_table(("key_id", "owner_org", "state"), rows)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    matched = _DURATION.fullmatch(value)
    if not value or matched is None:
        raise click.BadParameter(f"expected a duration such as 15m, 2h or 1h30m, got {value!r}")
    hours, minutes, seconds = (int(part or 0) for part in matched.groups())
    duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(0) < duration <= signed_requests.MAX_LIFETIME:
        raise click.BadParameter("must be more than 0 and at most 24h")
    return duration


def _private_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as bad:
        raise click.BadParameter(
            f"{path} is not an unencrypted PEM private key ({bad})", param_hint="--key"
        ) from None
    if not isinstance(key, PrivateKey):
        raise click.BadParameter(f"{path} is neither an Ed25519 nor a P-256 key", param_hint="--key")
    try:
        signed_requests.algorithm_of(key)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="--key") from None
    return key


@click.command("sign")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The owner's private key (PEM), as `owner-key new` writes it.",
)
@click.option(
    "--from", "source", required=True, help="REGISTRY:ACCOUNT holding the units (the key's account)."
)
@click.option("--to", "destination", required=True, help="REGISTRY:ACCOUNT receiving them.")
@click.option("--serial", required=True, help="A block held by the source account.")
@click.option("--quantity", type=int, default=None, help="Move the first N units (default: all).")
@click.option("--purpose", type=click.Choice(_PURPOSES), default=None, help="What the units are for.")
@click.option("--compliance-year", type=int, default=None, help="For an offset: the year it counts towards.")
@click.option("--id", "transfer_id", default=lambda: f"tr-{uuid.uuid4().hex[:12]}", help="Client-chosen id.")
@click.option(
    "--nonce", default=lambda: secrets.token_urlsafe(24), help="Used once per key (default: 192 random bits)."
)
@click.option(
    "--expires-in",
    default="15m",
    show_default=True,
    callback=_duration,
    help="How long the signature holds (at most 24h).",
)
@click.option("--submit", is_flag=True, help="Send it (SubmitSignedTransfer) and print the gateway's answer.")
@target_option
def sign(
    key_file: Path,
    source: str,
    destination: str,
    serial: str,
    quantity: int | None,
    purpose: str | None,
    compliance_year: int | None,
    transfer_id: str,
    nonce: str,
    expires_in: timedelta,
    submit: bool,
    target: str,
) -> None:
    """Sign a transfer request with an owner's key and print it as one JSON line (the protobuf JSON of a
    SubmitSignedTransferRequest); with --submit, send it and print the gateway's answer as a second line."""
    from gateway.owner_servicer import signed_transfer_from_proto
    from protos.carbon.gateway.v1 import owner_pb2, owner_pb2_grpc

    cli = _cli()
    key = _private_key(key_file)
    request = owner_pb2.SubmitSignedTransferRequest(
        transfer_id=transfer_id,
        source=cli._account(source),
        destination=cli._account(destination),
        serial=serial,
        purpose=f"PURPOSE_{(purpose or 'unspecified').upper()}",
        key_id=signed_requests.key_id_of(signed_requests.public_key_der(key)),
        nonce=nonce,
    )
    if quantity is not None:
        request.quantity = quantity
    if compliance_year is not None:
        request.compliance_year = compliance_year
    request.expire_time.FromDatetime(datetime.now(UTC).replace(microsecond=0) + expires_in)
    try:
        payload = signed_transfer_from_proto(request).payload()  # refused here as the gateway would
    except InvalidInput as refused:
        raise _refused(refused) from None
    request.signature = signed_requests.sign(payload, key)
    _echo_message(request)
    if submit:
        with _channel_for(target, "SubmitSignedTransfer") as channel:
            answer = owner_pb2_grpc.OwnerServiceStub(channel).SubmitSignedTransfer(request)
        _echo_message(answer)
