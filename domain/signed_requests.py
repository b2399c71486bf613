"""Project owners' signed transfer requests: the bytes they sign, how signatures are checked, key ids.

A signature must mean the same request in every language, so it covers a fixed text, not
protobuf bytes (whose encoding is not canonical). The canonical encoding, version 1, is UTF-8
text of 13 lines, each ending with one LF (0x0A), no BOM, nothing after the last LF:

    carbon-gateway/signed-transfer/v1
    transfer_id=<transfer_id>
    source.registry_id=<...>
    source.account_id=<...>
    destination.registry_id=<...>
    destination.account_id=<...>
    serial=<serial>
    quantity=<decimal digits, no sign or leading zeros; empty when absent>
    purpose=<the Purpose enum value's name in transfer.proto, e.g. PURPOSE_VOLUNTARY>
    compliance_year=<decimal digits; empty when absent>
    key_id=<key_id>
    nonce=<nonce>
    expires_at=<YYYY-MM-DDTHH:MM:SSZ, UTC, whole seconds>

Each value is the field exactly as sent (no trimming, case folding or Unicode normalisation).
A value is everything after the first `=` of its line, up to the LF: the names are fixed and
contain no `=`, so a `=` inside a value is unambiguous and allowed. An LF inside a value would
end its line early and let one request pass for another, so a value holding any control
character (Unicode category Cc: U+0000-U+001F, U+007F-U+009F, which includes LF and CR) is
refused, naming its field; ids already exclude them, so in practice this guards the serial.

Signatures: Ed25519 (RFC 8032) over those bytes, its raw 64-byte signature; or ECDSA on P-256
over their SHA-256, DER-encoded (for keys held in hardware). ECDSA signatures are malleable
(s and n-s both verify); harmless here, as nothing is keyed by a signature. A key's id is
`sha256:` and the lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, as X.509 writes it;
a key sent in another encoding (a compressed P-256 point, say) is refused, so one key has one id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import BaseModel, ConfigDict, field_validator

from domain.errors import InvalidInput, PermissionDenied, quoted
from domain.transfers import AccountRef, TransferRequest

SCHEME = "carbon-gateway/signed-transfer/v1"
MAX_LIFETIME = timedelta(
    hours=24
)  # the furthest ahead a request may expire, so nonces are kept a day at most

# Refusal codes (PermissionDenied.code), checked in this order.
KEY_UNKNOWN = "SIGNATURE-KEY-UNKNOWN"
INVALID = "SIGNATURE-INVALID"
KEY_REVOKED = "SIGNATURE-KEY-REVOKED"
KEY_NOT_FOR_ACCOUNT = "SIGNATURE-KEY-NOT-FOR-ACCOUNT"
EXPIRED = "SIGNATURE-EXPIRED"
EXPIRY_TOO_FAR = "SIGNATURE-EXPIRY-TOO-FAR"
REPLAYED = "SIGNATURE-REPLAYED"

_KEY_ID = re.compile(r"sha256:[0-9a-f]{64}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,128}")
KEY_ID_RULE = "key ids are sha256: and 64 lowercase hex digits"
NONCE_RULE = "nonces are 1-128 ASCII letters, digits, - and _"
_MAX_KEY_BYTES = 1024  # a P-256 SubjectPublicKeyInfo is 91 bytes, an Ed25519 one 44

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


class SignatureAlgorithm(StrEnum):
    """How a key signs; the values are what the ledger stores."""

    ED25519 = "ed25519"
    ECDSA_P256_SHA256 = "ecdsa-p256-sha256"


class OwnerKey(BaseModel):
    """A project owner's public key, registered by a registry operator for one account."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    account: AccountRef
    owner_org: str
    algorithm: SignatureAlgorithm
    public_key: bytes  # DER SubjectPublicKeyInfo
    registered_at: datetime
    registered_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def same_registration(self, other: OwnerKey) -> bool:
        """The same key for the same account and owner (when and by whom aside)."""
        fields = ("key_id", "account", "owner_org", "algorithm", "public_key")
        return all(getattr(self, name) == getattr(other, name) for name in fields)


class SignedTransfer(BaseModel):
    """A transfer request with what the owner's signature binds to it."""

    model_config = ConfigDict(frozen=True)

    request: TransferRequest
    key_id: str
    nonce: str
    expires_at: datetime
    signature: bytes = b""

    @field_validator("key_id")
    @classmethod
    def _key_id_shape(cls, value: str) -> str:
        return require_key_id(value)

    @field_validator("nonce")
    @classmethod
    def _nonce_shape(cls, value: str) -> str:
        return require_nonce(value)

    @field_validator("expires_at")
    @classmethod
    def _whole_utc_seconds(cls, value: datetime) -> datetime:
        return require_whole_seconds(value)

    def payload(self) -> bytes:
        """The canonical bytes the signature covers."""
        return canonical_bytes(self.request, self.key_id, self.nonce, self.expires_at)


def require_key_id(value: str, field: str = "key_id") -> str:
    if not _KEY_ID.fullmatch(value):
        raise InvalidInput(f"{field} is not a key id: {quoted(value)}; {KEY_ID_RULE}", field=field)
    return value


def require_nonce(value: str) -> str:
    if not _NONCE.fullmatch(value):
        raise InvalidInput(f"nonce is not valid: {quoted(value)}; {NONCE_RULE}", field="nonce")
    return value


def require_whole_seconds(moment: datetime) -> datetime:
    """The moment in UTC; a naive one or one with a fraction of a second is refused, not guessed or cut."""
    if moment.tzinfo is None or moment.microsecond:
        raise InvalidInput("expire_time must be a UTC time in whole seconds", field="expire_time")
    return moment.astimezone(UTC)


def rfc3339_seconds(moment: datetime) -> str:
    """`2026-03-01T12:00:00Z`: UTC, whole seconds."""
    return require_whole_seconds(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(name: str, value: str) -> str:
    for char in value:
        if unicodedata.category(char) == "Cc":
            raise InvalidInput(
                f"{name} contains a control character (U+{ord(char):04X}), which a signed request cannot carry",
                field=name,
            )
    return f"{name}={value}\n"


def canonical_bytes(request: TransferRequest, key_id: str, nonce: str, expires_at: datetime) -> bytes:
    """The request in the canonical encoding (module doc); InvalidInput naming a field it cannot carry."""
    fields = (
        ("transfer_id", request.transfer_id),
        ("source.registry_id", request.source.registry_id),
        ("source.account_id", request.source.account_id),
        ("destination.registry_id", request.destination.registry_id),
        ("destination.account_id", request.destination.account_id),
        ("serial", request.serial),
        ("quantity", "" if request.quantity is None else str(request.quantity)),
        ("purpose", f"PURPOSE_{request.purpose.name}"),
        ("compliance_year", "" if request.compliance_year is None else str(request.compliance_year)),
        ("key_id", key_id),
        ("nonce", nonce),
        ("expires_at", rfc3339_seconds(expires_at)),
    )
    return (SCHEME + "\n" + "".join(_line(name, value) for name, value in fields)).encode("utf-8")


# Keys


def key_id_of(public_key_der: bytes) -> str:
    return "sha256:" + hashlib.sha256(public_key_der).hexdigest()


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _signing_key(key: object) -> PublicKey | None:
    """`key` when it is an Ed25519 or a P-256 key."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    return None


def _algorithm_of_public(key: PublicKey) -> SignatureAlgorithm:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return SignatureAlgorithm.ED25519
    return SignatureAlgorithm.ECDSA_P256_SHA256


def load_public_key(public_key_der: bytes, algorithm: SignatureAlgorithm) -> PublicKey:
    """The key, when the bytes are a DER SubjectPublicKeyInfo of `algorithm` as X.509 writes it;
    otherwise InvalidInput naming `public_key`."""
    problem = f"public_key is not a DER SubjectPublicKeyInfo of an {algorithm.value} key"
    if len(public_key_der) > _MAX_KEY_BYTES:
        raise InvalidInput(f"{problem}: {len(public_key_der)} bytes is too long", field="public_key")
    try:
        key = serialization.load_der_public_key(public_key_der)
    except (ValueError, TypeError) as bad:
        raise InvalidInput(f"{problem}: it does not parse", field="public_key") from bad
    found = _signing_key(key)
    if found is None or _algorithm_of_public(found) is not algorithm:
        raise InvalidInput(f"{problem}: it is another kind of key", field="public_key")
    if _spki(found) != public_key_der:
        raise InvalidInput(
            f"{problem} in X.509's encoding (for P-256: the uncompressed point)", field="public_key"
        )
    return found


def verify(payload: bytes, signature: bytes, public_key_der: bytes, algorithm: SignatureAlgorithm) -> bool:
    """Whether `signature` is the key's signature of `payload`; any malformed part is a no."""
    try:
        key = load_public_key(public_key_der, algorithm)
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        else:
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, InvalidInput, ValueError):
        return False
    return True


# Signing (the owner's side: the CLI and the tests)


def new_private_key(algorithm: SignatureAlgorithm) -> PrivateKey:
    if algorithm is SignatureAlgorithm.ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key: PrivateKey) -> SignatureAlgorithm:
    """The algorithm a private key signs with; ValueError for any key but Ed25519 and P-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return SignatureAlgorithm.ED25519
    if isinstance(key.curve, ec.SECP256R1):
        return SignatureAlgorithm.ECDSA_P256_SHA256
    raise ValueError(f"an ECDSA key on {key.curve.name} is not P-256")


def public_key_der(key: PrivateKey) -> bytes:
    return _spki(key.public_key())


def sign(payload: bytes, key: PrivateKey) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(payload)
    return key.sign(payload, ec.ECDSA(hashes.SHA256()))


def signed(request: SignedTransfer, key: PrivateKey) -> SignedTransfer:
    """The request with its signature by `key`."""
    return request.model_copy(update={"signature": sign(request.payload(), key)})


# Judging a signed request


def authenticate(signed: SignedTransfer, key: OwnerKey | None, now: datetime) -> OwnerKey:
    """The key that signed the request; PermissionDenied with the first refusal code that applies.

    The signature is checked before the key's state, so only the key's holder learns
    that it is revoked or meant for another account.
    """
    if key is None:
        raise PermissionDenied(f"no owner key {signed.key_id} is registered", code=KEY_UNKNOWN)
    if not verify(signed.payload(), signed.signature, key.public_key, key.algorithm):
        raise PermissionDenied(
            f"the signature is not key {key.key_id}'s signature of this request", code=INVALID
        )
    if key.revoked_at is not None:
        raise PermissionDenied(
            f"key {key.key_id} was revoked at {key.revoked_at.isoformat()}", code=KEY_REVOKED
        )
    if key.account != signed.request.source:
        raise PermissionDenied(
            f"key {key.key_id} signs for account {key.account.registry_id}:{key.account.account_id}, "
            f"not the source {signed.request.source.registry_id}:{signed.request.source.account_id}",
            code=KEY_NOT_FOR_ACCOUNT,
        )
    if signed.expires_at <= now:
        raise PermissionDenied(f"the request expired at {rfc3339_seconds(signed.expires_at)}", code=EXPIRED)
    if signed.expires_at - now > MAX_LIFETIME:
        raise PermissionDenied(
            f"the request expires at {rfc3339_seconds(signed.expires_at)}, more than "
            f"{MAX_LIFETIME.total_seconds() / 3600:g} hours from now",
            code=EXPIRY_TOO_FAR,
        )
    return key


def replayed(key_id: str, nonce: str, detail: str) -> PermissionDenied:
    return PermissionDenied(f"key {key_id} already used nonce {quoted(nonce)}: {detail}", code=REPLAYED)


def algorithm_of_public_key(public_key_der: bytes) -> SignatureAlgorithm:
    """The algorithm of a DER SubjectPublicKeyInfo; InvalidInput for any key but Ed25519 and P-256."""
    try:
        key = serialization.load_der_public_key(public_key_der)
    except (ValueError, TypeError) as bad:
        raise InvalidInput("public_key is not a DER SubjectPublicKeyInfo", field="public_key") from bad
    found = _signing_key(key)
    if found is None:
        raise InvalidInput("public_key is neither an Ed25519 nor a P-256 key", field="public_key")
    return _algorithm_of_public(found)


def require_org(value: str, field: str = "owner_org") -> str:
    """An organisation as a client certificate's O names it: 1-128 characters, no control characters,
    no leading or trailing space (it must equal the certificate's exactly to see its transfers)."""
    problem = None
    if not value or len(value) > 128:
        problem = f"must be 1 to 128 characters, got {len(value)}"
    elif value != value.strip():
        problem = "has leading or trailing whitespace"
    elif any(unicodedata.category(char) == "Cc" for char in value):
        problem = "contains a control character"
    if problem is not None:
        raise InvalidInput(f"{field} {problem}: {quoted(value)}", field=field)
    return value
