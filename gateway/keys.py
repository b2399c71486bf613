"""The gateway's own certificate authority, the server's certificate and one identity per caller.

A caller's certificate says who it is: its subject's organizational unit (OU) is its
role (gateway.roles.Role), its organization (O) its organisation, its common name (CN)
its name. Layout of a keys directory:

    ca.crt, ca.key              the CA (ECDSA P-256, 10 years)
    server.crt, server.key      the gRPC server (serverAuth, SAN for each host, 1 year)
    identities/<name>.crt/.key  callers (clientAuth, OU=role, O=org, CN=name, 1 year)

Private keys are unencrypted PKCS#8 PEM files readable by their owner only (0600, in a
0700 directory): protect the directory, or keep production keys in an HSM-backed CA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
import unicodedata
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import BaseModel, ConfigDict

from gateway.roles import Role

CA_DAYS = 3650
LEAF_DAYS = 365
DEFAULT_HOSTS = ("localhost", "127.0.0.1")
# A file name, a CN and part of a URI at once: ASCII, no separators, no leading dot, at most
# X.509's 64 characters.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_ORG = 64  # X.509's upper bound on an organizationName
_INIT = "run `carbon-gateway keys init`"


class KeysError(Exception):
    """A keys directory is missing something or asked to do something it must not; one line."""


class Identity(BaseModel):
    """A caller's certificate and key on disk, and who the certificate says it is."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    org: str
    not_after: dt.datetime
    certificate: Path
    key: Path
    keys_dir: Path


class KeyRing(BaseModel):
    """What a keys directory holds once `init_keys` has run: the CA, the server, every identity."""

    model_config = ConfigDict(frozen=True)

    keys_dir: Path
    ca_certificate: Path
    server_certificate: Path
    server_key: Path
    identities: list[Identity]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """A key file that is never readable by others, not even for an instant (created 0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _read(path: Path, hint: str = _INIT) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeysError(f"no {path.name} in {path.parent}: {hint}") from None
    except OSError as exc:
        raise KeysError(f"cannot read {path}: {exc.strerror}") from None


def _load_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(_read(path))
    except ValueError:
        raise KeysError(f"{path} is not a PEM X.509 certificate") from None


def _load_ca(keys_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if not (keys_dir / "ca.crt").exists():
        raise KeysError(f"no CA in {keys_dir}: {_INIT}")
    cert = _load_certificate(keys_dir / "ca.crt")
    key_path = keys_dir / "ca.key"
    pem = _read(key_path, "it signs new certificates; restore it from where the CA key is kept")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise KeysError(f"{key_path} is not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeysError(f"{key_path} is not an EC private key")
    return cert, key


def _leaf(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    days: int,
    sans: Sequence[x509.GeneralName] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a peer's clock a little behind ours
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _make_ca(keys_dir: Path, org: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, "carbon-gateway CA"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(keys_dir / "ca.key", _key_pem(key))
    (keys_dir / "ca.crt").write_bytes(_cert_pem(cert))


def _check_org(org: str) -> str:
    if not org.strip():
        raise KeysError("an identity needs an organisation (--org)")
    if len(org) > _MAX_ORG:
        raise KeysError(f"organisation {org[:20]!r}… is longer than X.509's {_MAX_ORG} characters")
    return org


def init_keys(keys_dir: Path, *, hosts: Sequence[str] = DEFAULT_HOSTS, org: str = "local") -> KeyRing:
    """Make what is missing: the CA (never replaced), the server's certificate, one identity per role.

    Running it again changes nothing that exists, so it is safe at every start (`up --demo`).
    """
    _check_org(org)
    if not keys_dir.exists():
        keys_dir.mkdir(mode=0o700, parents=True)
        keys_dir.chmod(0o700)  # whatever the umask
    if not (keys_dir / "ca.crt").exists():
        orphans = [p.name for p in (keys_dir / "server.crt", keys_dir / "identities") if p.exists()]
        if orphans:
            raise KeysError(
                f"{keys_dir} holds {', '.join(orphans)} but no ca.crt: restore the CA that issued them, "
                "or move them away and run `carbon-gateway keys init`"
            )
        _make_ca(keys_dir, org)
    ca = _load_ca(keys_dir)
    if not (keys_dir / "server.crt").exists():
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "carbon-gateway")])
        cert, key = _leaf(ca, subject, ExtendedKeyUsageOID.SERVER_AUTH, LEAF_DAYS, [_san(h) for h in hosts])
        _write_private(keys_dir / "server.key", _key_pem(key))
        (keys_dir / "server.crt").write_bytes(_cert_pem(cert))
    existing = {identity.name for identity in list_identities(keys_dir)}
    for role in Role:
        if role.value not in existing:
            issue_identity(keys_dir, role=role, org=org, name=role.value)
    return KeyRing(
        keys_dir=keys_dir,
        ca_certificate=keys_dir / "ca.crt",
        server_certificate=keys_dir / "server.crt",
        server_key=keys_dir / "server.key",
        identities=list_identities(keys_dir),
    )


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise KeysError(f"{str(role)[:40]!r} is not a role ({known})") from None


def default_name(role: Role, org: str) -> str:
    """`<role>-<org>` folded into an ASCII file name: `bank-bank-of-shenzhen`, `bank-societe-generale`.

    An organisation with no Latin letters at all gets a short hash of its name instead.
    """
    ascii_org = unicodedata.normalize("NFKD", org).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+", "-", ascii_org.lower()).strip("-.")
    slug = slug or hashlib.sha256(org.encode()).hexdigest()[:10]
    return f"{role.value}-{slug}"[:64].rstrip("-.")


def issue_identity(
    keys_dir: Path,
    *,
    role: Role | str,
    org: str,
    name: str | None = None,
    days: int = LEAF_DAYS,
    force: bool = False,
) -> Identity:
    """A caller certificate signed by the CA: OU=role, O=org, CN=name (default `<role>-<org>`).

    Asking again for an identity that exists with the same role and organisation returns it
    unchanged; one that says otherwise is refused unless `force` replaces it.
    """
    role = _role(role)
    _check_org(org)
    name = name if name is not None else default_name(role, org)
    if not _NAME.fullmatch(name):
        raise KeysError(
            f"identity name {name[:40]!r} must be 1 to 64 ASCII letters, digits, '-', '_' and '.', "
            "starting with a letter or digit"
        )
    if days < 1:
        raise KeysError(f"an identity is valid for at least a day, not {days}")
    cert_path = keys_dir / "identities" / f"{name}.crt"
    if cert_path.exists() and not force:
        existing = _identity(cert_path, keys_dir)
        if (existing.role, existing.org) == (role, org) and existing.key.exists():
            return existing
        raise KeysError(
            f"identity {name} in {keys_dir} is {existing.role.value} of {existing.org!r}: "
            "choose another --name, or --force to replace it"
        )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    # A subject alternative name as well: verifiers of the Web PKI profile require one.
    san = [x509.UniformResourceIdentifier(f"urn:carbon-gateway:identity:{name}")]
    cert, key = _leaf(_load_ca(keys_dir), subject, ExtendedKeyUsageOID.CLIENT_AUTH, days, san)
    _write_private(cert_path.with_suffix(".key"), _key_pem(key))
    cert_path.write_bytes(_cert_pem(cert))
    return _identity(cert_path, keys_dir)


def _identity(cert_path: Path, keys_dir: Path) -> Identity:
    pem = _read(cert_path)
    try:
        role, org, _cn = identity_of_certificate(pem)
    except KeysError as bad:
        raise KeysError(f"{cert_path}: {bad}") from None
    return Identity(
        name=cert_path.stem,
        role=role,
        org=org,
        not_after=x509.load_pem_x509_certificate(pem).not_valid_after_utc,
        certificate=cert_path,
        key=cert_path.with_suffix(".key"),
        keys_dir=keys_dir,
    )


def load_identity(path_or_name: Path | str, keys_dir: Path | None = None) -> Identity:
    """An identity by its certificate's path (`…/identities/NAME.crt`) or by name in `keys_dir`."""
    path = Path(path_or_name)
    if path.suffix != ".crt":
        if keys_dir is None:
            raise KeysError(f"{path_or_name!s}: name a certificate file (.crt) or give the keys directory")
        path = keys_dir / "identities" / f"{path_or_name}.crt"
    if not path.exists():
        raise KeysError(f"no identity {path.stem} in {path.parent}: run `carbon-gateway keys issue`")
    return _identity(path, keys_dir or path.parent.parent)


def list_identities(keys_dir: Path) -> list[Identity]:
    """Every caller identity in the directory, by name."""
    folder = keys_dir / "identities"
    if not folder.is_dir():
        return []
    return [_identity(path, keys_dir) for path in sorted(folder.glob("*.crt"))]


def find_identity(keys_dir: Path, roles: Collection[Role]) -> Identity | None:
    """The identity a client presents for an RPC that `roles` may call, None when there is none.

    Only unexpired identities whose key is present count. The least powerful role comes
    first (Role's order: exchange, project-owner, bank, regulator, registry-operator,
    admin), so a command never presents more authority than it needs; within a role the
    one valid longest (the newest, after a rotation), then by name.
    """
    order = list(Role)
    now = _now()
    usable = [
        i for i in list_identities(keys_dir) if i.role in roles and i.not_after > now and i.key.exists()
    ]
    return min(usable, key=lambda i: (order.index(i.role), -i.not_after.timestamp(), i.name), default=None)


@lru_cache(maxsize=4096)
def identity_of_certificate(pem: bytes) -> tuple[Role, str, str]:
    """(role, organisation, name) from a PEM certificate's subject; KeysError when any is missing.

    The server calls it on every call's peer certificate (already verified against the CA by
    the TLS handshake), so it is cached by the certificate's bytes.
    """
    try:
        subject = x509.load_pem_x509_certificate(pem).subject
    except ValueError:
        raise KeysError("the certificate is not a PEM X.509 certificate") from None

    def one(oid: x509.ObjectIdentifier, what: str) -> str:
        found = subject.get_attributes_for_oid(oid)
        if len(found) != 1 or not str(found[0].value).strip():
            raise KeysError(f"the certificate's subject must hold exactly one {what}")
        return str(found[0].value)

    unit = one(NameOID.ORGANIZATIONAL_UNIT_NAME, "organizational unit (OU, the role)")
    try:
        role = Role(unit)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise KeysError(f"the certificate's OU {unit[:40]!r} is not a role ({known})") from None
    return (
        role,
        one(NameOID.ORGANIZATION_NAME, "organization (O)"),
        one(NameOID.COMMON_NAME, "common name (CN)"),
    )


def server_credentials_material(keys_dir: Path) -> tuple[bytes, bytes, bytes]:
    """(CA, server key, server certificate) PEM bytes, for grpc.ssl_server_credentials.

    An expired server certificate stops start-up here rather than every client's handshake.
    """
    ca, key, cert = (_read(keys_dir / name) for name in ("ca.crt", "server.key", "server.crt"))
    expiry = _load_certificate(keys_dir / "server.crt").not_valid_after_utc
    if expiry <= _now():
        raise KeysError(
            f"{keys_dir / 'server.crt'} expired on {expiry:%Y-%m-%d}: "
            "move server.crt and server.key away and run `carbon-gateway keys init`"
        )
    return ca, key, cert


def client_credentials_material(identity: Identity) -> tuple[bytes, bytes, bytes]:
    """(CA, identity key, identity certificate) PEM bytes, for grpc.ssl_channel_credentials."""
    issue = "run `carbon-gateway keys issue`"
    return (
        _read(identity.keys_dir / "ca.crt"),
        _read(identity.key, issue),
        _read(identity.certificate, issue),
    )
