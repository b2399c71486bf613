"""The canonical encoding of a signed transfer request, byte for byte, and how its signatures are judged."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from google.api import field_behavior_pb2

from domain import signed_requests as sr
from domain.errors import InvalidInput, PermissionDenied
from domain.signed_requests import OwnerKey, SignatureAlgorithm, SignedTransfer
from domain.transfers import AccountRef, Purpose, TransferRequest
from gateway import wire
from gateway.owner_servicer import signed_transfer_from_proto, signed_transfer_to_proto
from protos.carbon.gateway.v1 import owner_pb2, transfer_pb2

ED = SignatureAlgorithm.ED25519
EC = SignatureAlgorithm.ECDSA_P256_SHA256

# The documented vector (docs/security.md): the Ed25519 key whose seed is the bytes 0x00..0x1f.
SEED = bytes(range(32))
SEED_PUBLIC_DER = bytes.fromhex(
    "302a300506032b657003210003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
)
SEED_KEY_ID = "sha256:a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5"
CANONICAL = (
    "carbon-gateway/signed-transfer/v1\n"
    "transfer_id=tr-2026-0001\n"
    "source.registry_id=cn-ccer\n"
    "source.account_id=owner-7\n"
    "destination.registry_id=cn-sz-ets\n"
    "destination.account_id=buyer-3\n"
    "serial=CCER-CN-100001-2024-3-1-100\n"
    "quantity=40\n"
    "purpose=PURPOSE_VOLUNTARY\n"
    "compliance_year=\n"
    f"key_id={SEED_KEY_ID}\n"
    "nonce=n-7f3a9c2e41b8d605\n"
    "expires_at=2026-03-01T12:15:00Z\n"
).encode()
CANONICAL_SHA256 = "99ed509a67b705636f4520755099fa647035ff21d775e8acaa35713a0e1f6154"
SEED_SIGNATURE = bytes.fromhex(
    "7aaea2a690e73779570d80e2fba7c732f057fef9324605a36c0a82a124dc12b6"
    "a9ca6a45c3752869be6a5918ee0f23f44a6d8d0cd1acaf80ef00d726873f7403"
)
# A P-256 key (private scalar 0x1234...ef repeated) and one of its (randomised) signatures of the same
# request under that key's id.
EC_PUBLIC_DER = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004471c3e758c4904285bba7e53118ed0f524adeb07"
    "57d25bd2f8e7b0d76dfa714cdd520f7aca8a8b917acc37f51de8f0c9bbe3ad858382e702dc25a12d09f7a858"
)
EC_KEY_ID = "sha256:c4d91143230d33078090ed89c2071eb8a7be2a5a3f238cbdaa2f8b279f4a9476"
EC_SIGNATURE = bytes.fromhex(
    "304402202bc4a9748368f0efae9a47d90e0db41f0c841bcdc230242dae6c7fc57b69c072022013ff2a619d2f6caf"
    "fb7248cf935c90c9cc2e66a7bf8577bca7d9045b550079f8"
)
EXPIRES = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
NOW = EXPIRES - timedelta(minutes=15)
SOURCE = AccountRef(registry_id="cn-ccer", account_id="owner-7")


def seed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(SEED)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int("1234567890abcdef" * 4, 16), ec.SECP256R1())


def request(**changes: object) -> TransferRequest:
    fields: dict[str, object] = {
        "transfer_id": "tr-2026-0001",
        "source": SOURCE,
        "destination": AccountRef(registry_id="cn-sz-ets", account_id="buyer-3"),
        "serial": "CCER-CN-100001-2024-3-1-100",
        "quantity": 40,
        "purpose": Purpose.VOLUNTARY,
    }
    return TransferRequest.model_validate(fields | changes)


def vector(key_id: str = SEED_KEY_ID, **changes: object) -> SignedTransfer:
    return SignedTransfer(
        request=request(**changes), key_id=key_id, nonce="n-7f3a9c2e41b8d605", expires_at=EXPIRES
    )


def registered(der: bytes, algorithm: SignatureAlgorithm, **changes: object) -> OwnerKey:
    fields: dict[str, object] = {
        "key_id": sr.key_id_of(der),
        "account": SOURCE,
        "owner_org": "Owner Seven Ltd",
        "algorithm": algorithm,
        "public_key": der,
        "registered_at": NOW - timedelta(days=1),
        "registered_by": "registry-operator:ccer/op",
    }
    return OwnerKey.model_validate(fields | changes)


# The encoding


def test_the_canonical_bytes_of_the_documented_request():
    payload = vector().payload()
    assert payload == CANONICAL
    assert hashlib.sha256(payload).hexdigest() == CANONICAL_SHA256


def test_absent_numbers_are_empty_and_present_ones_plain_decimal():
    lines = vector(quantity=None, compliance_year=2027, purpose=Purpose.UNSPECIFIED).payload().split(b"\n")
    assert (
        b"quantity=" in lines and b"compliance_year=2027" in lines and b"purpose=PURPOSE_UNSPECIFIED" in lines
    )


@pytest.mark.parametrize("purpose", list(Purpose))
def test_purposes_are_written_as_the_contracts_enum_names(purpose: Purpose):
    line = f"purpose=PURPOSE_{purpose.name}".encode()
    assert line in vector(purpose=purpose).payload().split(b"\n")
    assert transfer_pb2.Purpose.Value(f"PURPOSE_{purpose.name}") == wire.purpose_to_proto(purpose)


@pytest.mark.parametrize("bad", ["A\nB", "A\r", "\x00A", "A\x85B", "A\tB"])
def test_a_value_with_a_control_character_is_refused_naming_its_field(bad: str):
    with pytest.raises(InvalidInput) as refused:
        vector(serial=bad).payload()
    assert refused.value.field == "serial"


def test_an_equals_sign_inside_a_value_is_kept_and_unambiguous():
    payload = vector(serial="S=1-2").payload()
    assert b"\nserial=S=1-2\n" in payload
    assert payload != vector(serial="S").payload()


def test_the_expiry_is_whole_utc_seconds_written_with_z():
    eastern = EXPIRES.astimezone(ZoneInfo("Asia/Shanghai"))
    assert vector().model_copy(update={"expires_at": eastern}).payload() == CANONICAL
    with pytest.raises(InvalidInput) as refused:
        vector().model_copy(update={"expires_at": EXPIRES + timedelta(milliseconds=1)}).payload()
    assert refused.value.field == "expire_time"


@pytest.mark.parametrize(
    ("field", "value"),
    [("key_id", "sha256:ABC"), ("key_id", "md5:" + "0" * 64), ("nonce", ""), ("nonce", "a b")],
)
def test_key_ids_and_nonces_outside_their_alphabet_are_refused(field: str, value: str):
    fields = {"request": request(), "key_id": SEED_KEY_ID, "nonce": "n", "expires_at": EXPIRES} | {
        field: value
    }
    with pytest.raises(InvalidInput) as refused:
        SignedTransfer.model_validate(fields)
    assert refused.value.field == field


# Keys and signatures


def test_a_key_id_is_the_sha256_of_the_der_subject_public_key_info():
    assert sr.public_key_der(seed_key()) == SEED_PUBLIC_DER
    assert (
        sr.key_id_of(SEED_PUBLIC_DER)
        == SEED_KEY_ID
        == "sha256:" + hashlib.sha256(SEED_PUBLIC_DER).hexdigest()
    )
    assert sr.public_key_der(ec_key()) == EC_PUBLIC_DER
    assert sr.key_id_of(EC_PUBLIC_DER) == EC_KEY_ID


def test_ed25519_is_rfc_8032s():
    rfc_test_1 = ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert sr.sign(b"", rfc_test_1).hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
        "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def test_the_seed_key_signs_the_documented_request_with_the_documented_signature():
    assert sr.sign(CANONICAL, seed_key()) == SEED_SIGNATURE
    assert sr.verify(CANONICAL, SEED_SIGNATURE, SEED_PUBLIC_DER, ED)


def test_the_fixed_ecdsa_vector_verifies_and_fresh_signatures_too():
    payload = vector(key_id=EC_KEY_ID).payload()
    assert sr.verify(payload, EC_SIGNATURE, EC_PUBLIC_DER, EC)
    fresh = sr.sign(payload, ec_key())
    assert fresh != EC_SIGNATURE  # randomised, yet verifies
    assert sr.verify(payload, fresh, EC_PUBLIC_DER, EC)


ALTERATIONS: list[dict[str, object]] = [
    {"transfer_id": "tr-2026-0002"},
    {"source": AccountRef(registry_id="cn-ccer", account_id="owner-8")},
    {"source": AccountRef(registry_id="cn-sz-ets", account_id="owner-7")},
    {"destination": AccountRef(registry_id="cn-sz-ets", account_id="buyer-4")},
    {"destination": AccountRef(registry_id="cn-sz-puhui", account_id="buyer-3")},
    {"serial": "CCER-CN-100001-2024-3-1-101"},
    {"quantity": 41},
    {"quantity": None},
    {"purpose": Purpose.OFFSET},
    {"compliance_year": 2026},
]
SIGNED_FIELDS: list[dict[str, object]] = [
    {"nonce": "n-7f3a9c2e41b8d606"},
    {"expires_at": EXPIRES + timedelta(seconds=1)},
]


@pytest.mark.parametrize("algorithm", [ED, EC])
@pytest.mark.parametrize("change", ALTERATIONS + SIGNED_FIELDS, ids=lambda c: next(iter(c)))
def test_any_altered_field_fails_verification(algorithm: SignatureAlgorithm, change: dict[str, object]):
    key = seed_key() if algorithm is ED else ec_key()
    der = sr.public_key_der(key)
    original = sr.signed(vector(key_id=sr.key_id_of(der)), key)
    assert sr.verify(original.payload(), original.signature, der, algorithm)
    if change in SIGNED_FIELDS:
        altered = original.model_copy(update=change)
    else:
        altered = original.model_copy(update={"request": original.request.model_copy(update=change)})
    assert altered.payload() != original.payload()
    assert not sr.verify(altered.payload(), original.signature, der, algorithm)


def test_another_key_or_a_malformed_signature_fails():
    payload = vector().payload()
    other = ed25519.Ed25519PrivateKey.generate()
    assert not sr.verify(payload, sr.sign(payload, other), SEED_PUBLIC_DER, ED)
    for broken in (b"", SEED_SIGNATURE[:-1], SEED_SIGNATURE + b"\x00", b"\x30\x00"):
        assert not sr.verify(payload, broken, SEED_PUBLIC_DER, ED)
        assert not sr.verify(payload, broken, EC_PUBLIC_DER, EC)
    assert not sr.verify(payload, SEED_SIGNATURE, SEED_PUBLIC_DER, EC)  # the key is not of that algorithm


def test_public_keys_must_be_of_their_algorithm_in_x509s_encoding():
    assert isinstance(sr.load_public_key(SEED_PUBLIC_DER, ED), ed25519.Ed25519PublicKey)
    assert isinstance(sr.load_public_key(EC_PUBLIC_DER, EC), ec.EllipticCurvePublicKey)
    point = (
        ec_key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )
    compressed = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    assert serialization.load_der_public_key(compressed) is not None  # the same key, in another encoding
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    p384_der = p384.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for der, algorithm in [
        (SEED_PUBLIC_DER, EC),
        (EC_PUBLIC_DER, ED),
        (p384_der, EC),
        (compressed, EC),
        (b"not a key", ED),
        (SEED_PUBLIC_DER + b"\x00", ED),
        (b"\x30" * 2000, ED),
    ]:
        with pytest.raises(InvalidInput) as refused:
            sr.load_public_key(der, algorithm)
        assert refused.value.field == "public_key"
    assert sr.algorithm_of_public_key(EC_PUBLIC_DER) is EC
    assert sr.algorithm_of_public_key(SEED_PUBLIC_DER) is ED


# Judging a signed request


def test_a_good_request_is_authenticated_by_its_key():
    key = registered(SEED_PUBLIC_DER, ED)
    assert sr.authenticate(sr.signed(vector(), seed_key()), key, NOW) == key
    ec_signed = vector(key_id=EC_KEY_ID).model_copy(update={"signature": EC_SIGNATURE})
    assert sr.authenticate(ec_signed, registered(EC_PUBLIC_DER, EC), NOW).key_id == EC_KEY_ID


@pytest.mark.parametrize(
    ("key_changes", "request_changes", "now", "code"),
    [
        (None, {}, NOW, sr.KEY_UNKNOWN),
        ({"revoked_at": NOW - timedelta(seconds=1), "revoked_by": "op"}, {}, NOW, sr.KEY_REVOKED),
        (
            {"account": AccountRef(registry_id="cn-ccer", account_id="owner-8")},
            {},
            NOW,
            sr.KEY_NOT_FOR_ACCOUNT,
        ),
        ({}, {}, EXPIRES, sr.EXPIRED),
        ({}, {}, EXPIRES + timedelta(hours=1), sr.EXPIRED),
        ({}, {}, EXPIRES - sr.MAX_LIFETIME - timedelta(seconds=1), sr.EXPIRY_TOO_FAR),
        ({}, {"signature": SEED_SIGNATURE[:-1] + b"\x00"}, NOW, sr.INVALID),
    ],
)
def test_each_refusal_has_its_code(key_changes, request_changes, now, code):
    key = None if key_changes is None else registered(SEED_PUBLIC_DER, ED, **key_changes)
    signed = sr.signed(vector(), seed_key()).model_copy(update=request_changes)
    with pytest.raises(PermissionDenied) as refused:
        sr.authenticate(signed, key, now)
    assert refused.value.code == code


def test_exactly_24_hours_ahead_is_allowed():
    key = registered(SEED_PUBLIC_DER, ED)
    assert sr.authenticate(sr.signed(vector(), seed_key()), key, EXPIRES - sr.MAX_LIFETIME) == key


def test_the_signature_is_judged_before_the_keys_state():
    revoked = registered(SEED_PUBLIC_DER, ED, revoked_at=NOW, revoked_by="op")
    unsigned = vector().model_copy(update={"signature": b"\x00" * 64})
    with pytest.raises(PermissionDenied) as refused:
        sr.authenticate(unsigned, revoked, EXPIRES + timedelta(days=1))
    assert refused.value.code == sr.INVALID


# The wire form


def test_the_wire_form_round_trips_and_keeps_the_payload():
    signed = sr.signed(vector(compliance_year=2027), seed_key())
    msg = signed_transfer_to_proto(signed)
    assert msg.expire_time.ToJsonString() == "2026-03-01T12:15:00Z"
    back = signed_transfer_from_proto(msg)
    assert back == signed
    assert back.payload() == signed.payload()
    msg.ClearField("quantity")
    assert signed_transfer_from_proto(msg).request.quantity is None


def test_the_wire_form_names_every_bad_field_at_once():
    msg = signed_transfer_to_proto(sr.signed(vector(), seed_key()))
    msg.source.account_id = "bad account"
    msg.key_id = "nope"
    msg.nonce = "white space"
    msg.expire_time.nanos = 5
    with pytest.raises(InvalidInput) as refused:
        signed_transfer_from_proto(msg)
    assert [v.field for v in refused.value.violations] == [
        "source.account_id",
        "key_id",
        "nonce",
        "expire_time",
    ]


# The contract


def test_every_owner_service_field_states_its_behaviour():
    requests = {m.input_type.full_name for m in owner_pb2.DESCRIPTOR.services_by_name["OwnerService"].methods}
    for message in owner_pb2.DESCRIPTOR.message_types_by_name.values():
        for field in message.fields:
            behaviours = set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])
            wanted = (
                {field_behavior_pb2.REQUIRED, field_behavior_pb2.OPTIONAL}
                if message.full_name in requests
                else {field_behavior_pb2.OUTPUT_ONLY}
            )
            assert behaviours & wanted, field.full_name


def test_the_signed_request_carries_submit_transfers_fields_under_the_same_numbers():
    signed = owner_pb2.SubmitSignedTransferRequest.DESCRIPTOR.fields_by_name
    for field in transfer_pb2.SubmitTransferRequest.DESCRIPTOR.fields:
        twin = signed[field.name]
        assert (twin.number, twin.type, twin.message_type, twin.enum_type) == (
            field.number,
            field.type,
            field.message_type,
            field.enum_type,
        )
