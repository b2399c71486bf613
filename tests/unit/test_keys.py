"""The local CA: what `keys init` and `keys issue` make, and how a certificate names its caller."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from gateway import keys
from gateway.keys_command import keys as keys_command
from gateway.roles import Role


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _days(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1)


def _verifier(ca: Path) -> PolicyBuilder:
    return PolicyBuilder().store(Store([_cert(ca)])).time(dt.datetime.now(dt.UTC))


def test_init_makes_a_ca_a_server_and_one_identity_per_role_with_private_keys_kept_private(tmp_path):
    ring = keys.init_keys(tmp_path / "k", hosts=("gateway.example", "10.0.0.5"), org="Shenzhen Exchange")

    assert ring.keys_dir == tmp_path / "k"
    assert sorted(i.role for i in ring.identities) == sorted(Role)
    assert {i.org for i in ring.identities} == {"Shenzhen Exchange"}
    for private in [ring.keys_dir / "ca.key", ring.server_key, *(i.key for i in ring.identities)]:
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
        assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    assert stat.S_IMODE(ring.keys_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((ring.keys_dir / "identities").stat().st_mode) == 0o700


def test_the_ca_may_sign_certificates_and_nothing_below_it_may(tmp_path):
    ring = keys.init_keys(tmp_path)
    ca = _cert(ring.ca_certificate)

    assert ca.issuer == ca.subject
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert 3649 < _days(ca) < 3651


def test_the_server_certificate_names_every_host_and_verifies_as_a_server(tmp_path):
    ring = keys.init_keys(tmp_path, hosts=("gateway.example", "10.0.0.5"))
    server = _cert(ring.server_certificate)

    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["gateway.example"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert 364 < _days(server) < 366
    verifier = _verifier(ring.ca_certificate).build_server_verifier(x509.DNSName("gateway.example"))
    assert verifier.verify(server, [])[-1] == _cert(ring.ca_certificate)
    with pytest.raises(VerificationError):
        _verifier(ring.ca_certificate).build_server_verifier(x509.DNSName("other.example")).verify(server, [])


def test_an_identity_names_role_organisation_and_name_and_chains_to_the_ca(tmp_path):
    keys.init_keys(tmp_path)
    bank = keys.issue_identity(tmp_path, role=Role.BANK, org="Bank of Shenzhen", name="bos-loans")

    cert = _cert(bank.certificate)
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "bank"
    assert subject[NameOID.ORGANIZATION_NAME] == "Bank of Shenzhen"
    assert subject[NameOID.COMMON_NAME] == "bos-loans"
    assert keys.identity_of_certificate(bank.certificate.read_bytes()) == (
        Role.BANK,
        "Bank of Shenzhen",
        "bos-loans",
    )
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert 364 < _days(cert) < 366
    verified = _verifier(tmp_path / "ca.crt").build_client_verifier().verify(cert, [])
    assert verified.chain[-1] == _cert(tmp_path / "ca.crt")


def test_an_identity_of_another_ca_does_not_chain_to_ours(tmp_path):
    keys.init_keys(tmp_path / "ours")
    theirs = keys.init_keys(tmp_path / "theirs")
    stranger = _cert(theirs.identities[0].certificate)
    with pytest.raises(VerificationError):
        _verifier(tmp_path / "ours" / "ca.crt").build_client_verifier().verify(stranger, [])


def test_the_server_certificate_is_no_client_identity(tmp_path):
    ring = keys.init_keys(tmp_path)
    with pytest.raises(VerificationError):  # serverAuth only: it cannot log in as a caller
        _verifier(ring.ca_certificate).build_client_verifier().verify(_cert(ring.server_certificate), [])


def test_init_again_keeps_the_ca_and_every_identity(tmp_path):
    keys.init_keys(tmp_path)
    before = {p.name: p.read_bytes() for p in [*tmp_path.glob("*.*"), *tmp_path.glob("identities/*")]}
    ring = keys.init_keys(tmp_path, hosts=("elsewhere.example",), org="another")
    after = {p.name: p.read_bytes() for p in [*tmp_path.glob("*.*"), *tmp_path.glob("identities/*")]}
    assert after == before
    assert {i.org for i in ring.identities} == {"local"}


def test_init_never_makes_a_second_ca_beside_certificates_of_a_lost_one(tmp_path):
    keys.init_keys(tmp_path)
    (tmp_path / "ca.crt").unlink()
    with pytest.raises(keys.KeysError, match=r"no ca\.crt"):
        keys.init_keys(tmp_path)
    assert not (tmp_path / "ca.crt").exists()


def test_issue_needs_a_ca_a_role_and_a_safe_name(tmp_path):
    with pytest.raises(keys.KeysError, match="keys init"):
        keys.issue_identity(tmp_path, role=Role.BANK, org="X")
    keys.init_keys(tmp_path)
    with pytest.raises(keys.KeysError, match="not a role"):
        keys.issue_identity(tmp_path, role="root", org="X")
    for bad in ("../escape", ".hidden", "", "a" * 65, "a/b"):
        with pytest.raises(keys.KeysError, match="name"):
            keys.issue_identity(tmp_path, role=Role.BANK, org="X", name=bad)
    with pytest.raises(keys.KeysError, match="organisation"):
        keys.issue_identity(tmp_path, role=Role.BANK, org=" ")
    assert sorted(p.name for p in (tmp_path / "identities").glob("*.crt")) == sorted(f"{r}.crt" for r in Role)


def test_issue_again_returns_the_same_identity_and_refuses_to_overwrite_another(tmp_path):
    keys.init_keys(tmp_path)
    first = keys.issue_identity(tmp_path, role=Role.BANK, org="X", name="x")
    pem = first.certificate.read_bytes()

    assert keys.issue_identity(tmp_path, role=Role.BANK, org="X", name="x") == first
    with pytest.raises(keys.KeysError, match="--force"):
        keys.issue_identity(tmp_path, role=Role.ADMIN, org="X", name="x")
    with pytest.raises(keys.KeysError, match="--force"):
        keys.issue_identity(tmp_path, role=Role.BANK, org="Y", name="x")
    assert first.certificate.read_bytes() == pem
    replaced = keys.issue_identity(tmp_path, role=Role.ADMIN, org="X", name="x", force=True)
    assert replaced.role == Role.ADMIN and replaced.certificate.read_bytes() != pem


def test_default_name_is_role_and_organisation_as_a_file_name(tmp_path):
    keys.init_keys(tmp_path)
    made = keys.issue_identity(tmp_path, role=Role.BANK, org="Société Générale, S.A.")
    assert made.name == "bank-societe-generale-s.a"
    assert keys.identity_of_certificate(made.certificate.read_bytes()) == (
        Role.BANK,
        "Société Générale, S.A.",
        made.name,
    )
    chinese = keys.issue_identity(tmp_path, role=Role.EXCHANGE, org="深圳排放权交易所")
    assert chinese.name.startswith("exchange-") and chinese.org == "深圳排放权交易所"


def test_load_and_list_identities(tmp_path):
    keys.init_keys(tmp_path)
    made = keys.issue_identity(tmp_path, role=Role.REGULATOR, org="CSRC", name="csrc-1", days=30)

    assert keys.load_identity(made.certificate) == made
    assert keys.load_identity("csrc-1", tmp_path) == made
    with pytest.raises(keys.KeysError, match="keys issue"):
        keys.load_identity("nobody", tmp_path)
    listed = {i.name: i for i in keys.list_identities(tmp_path)}
    assert set(listed) == {*(r.value for r in Role), "csrc-1"}
    assert listed["csrc-1"].not_after - dt.datetime.now(dt.UTC) < dt.timedelta(days=31)
    (tmp_path / "identities" / "junk.crt").write_bytes(b"not a certificate")
    with pytest.raises(keys.KeysError, match=r"junk\.crt"):
        keys.list_identities(tmp_path)


def test_find_identity_presents_the_least_powerful_role_that_may_call(tmp_path):
    keys.init_keys(tmp_path)
    found = keys.find_identity(tmp_path, {Role.REGULATOR, Role.ADMIN, Role.EXCHANGE})
    assert found is not None and found.role == Role.EXCHANGE
    assert keys.find_identity(tmp_path / "empty", {Role.ADMIN}) is None


def test_find_identity_prefers_the_newest_certificate_of_a_role_and_skips_unusable_ones(tmp_path):
    keys.init_keys(tmp_path)
    keys.issue_identity(tmp_path, role=Role.BANK, org="B", name="a-short", days=10)
    newest = keys.issue_identity(tmp_path, role=Role.BANK, org="B", name="z-rotated", days=400)
    found = keys.find_identity(tmp_path, {Role.BANK})
    assert found is not None and found.name == newest.name
    newest.key.unlink()
    found = keys.find_identity(tmp_path, {Role.BANK})
    assert found is not None and found.name == "bank"  # 365 days, longer than a-short


def test_credentials_material_is_pem_for_grpc_and_missing_files_say_what_to_run(tmp_path):
    with pytest.raises(keys.KeysError, match=r"no ca\.crt in .*: run `carbon-gateway keys init`"):
        keys.server_credentials_material(tmp_path)
    ring = keys.init_keys(tmp_path)
    ca, key, cert = keys.server_credentials_material(tmp_path)
    assert ca == ring.ca_certificate.read_bytes() and cert == ring.server_certificate.read_bytes()
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----")
    identity = ring.identities[0]
    assert keys.client_credentials_material(identity) == (
        ca,
        identity.key.read_bytes(),
        identity.certificate.read_bytes(),
    )
    identity.key.unlink()
    with pytest.raises(keys.KeysError, match="keys issue"):
        keys.client_credentials_material(identity)


def _certificate_with(subject: x509.Name) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    ("attributes", "complaint"),
    [
        ([(NameOID.ORGANIZATION_NAME, "X"), (NameOID.COMMON_NAME, "n")], "organizational unit"),
        (
            [
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "root"),
                (NameOID.ORGANIZATION_NAME, "X"),
                (NameOID.COMMON_NAME, "n"),
            ],
            "not a role",
        ),
        (
            [
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "bank"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "admin"),
                (NameOID.ORGANIZATION_NAME, "X"),
                (NameOID.COMMON_NAME, "n"),
            ],
            "exactly one organizational unit",
        ),
        ([(NameOID.ORGANIZATIONAL_UNIT_NAME, "bank"), (NameOID.COMMON_NAME, "n")], "organization"),
        ([(NameOID.ORGANIZATIONAL_UNIT_NAME, "bank"), (NameOID.ORGANIZATION_NAME, "X")], "common name"),
    ],
)
def test_a_certificate_that_does_not_say_who_is_calling_is_refused(attributes, complaint):
    pem = _certificate_with(x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes]))
    with pytest.raises(keys.KeysError, match=complaint):
        keys.identity_of_certificate(pem)


def test_garbage_is_not_a_certificate():
    with pytest.raises(keys.KeysError, match="not a PEM"):
        keys.identity_of_certificate(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


def test_the_command_makes_issues_and_lists(tmp_path):
    runner = CliRunner()
    where = str(tmp_path / "k")
    made = runner.invoke(keys_command, ["init", "--dir", where, "--host", "gw.example"])
    assert made.exit_code == 0, made.output
    assert "6 identities" in made.output
    issued = runner.invoke(
        keys_command, ["issue", "--dir", where, "--role", "bank", "--org", "B", "--days", "7"]
    )
    assert issued.exit_code == 0, issued.output
    assert issued.output.splitlines() == [f"{where}/identities/bank-b.crt", f"{where}/identities/bank-b.key"]
    refused = runner.invoke(keys_command, ["issue", "--dir", where, "--role", "root", "--org", "B"])
    assert refused.exit_code == 2 and "root" in refused.output
    clash = runner.invoke(
        keys_command, ["issue", "--dir", where, "--role", "admin", "--org", "B", "--name", "bank-b"]
    )
    assert clash.exit_code == 1 and "--force" in clash.output and "Traceback" not in clash.output
    listed = runner.invoke(keys_command, ["list", "--dir", where, "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert {(r["name"], r["role"], r["org"]) for r in rows} >= {
        ("bank-b", "bank", "B"),
        ("admin", "admin", "local"),
    }
    assert len(rows) == 7


def test_the_command_reads_the_keys_directory_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARBON_GATEWAY_DATA_DIR", str(tmp_path / "data"))
    made = CliRunner().invoke(keys_command, ["init"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "data" / "keys" / "ca.crt").exists()
