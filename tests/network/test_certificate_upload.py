"""Uploading your own certificate over the API: strict checks, served from the next handshake, and reverting."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import stat
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reelhouse.errors import InvalidInput
from reelhouse.services.certificate_checks import check_upload
from tests.harness import RunningServer
from tests.network.conftest import peer_certificate

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Pair:
    key: CertificateIssuerPrivateKeyTypes
    cert: x509.Certificate

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def key_pem(self, passphrase: bytes | None = None) -> str:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest().upper()


def _sans(names: tuple[str, ...]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for name in names:
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            found.append(x509.DNSName(name))
    return found


def make_pair(
    name: str = "media.example",
    key: CertificateIssuerPrivateKeyTypes | None = None,
    not_before: dt.datetime = NOW - dt.timedelta(hours=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=90),
    issuer: Pair | None = None,
    usage: tuple[x509.ObjectIdentifier, ...] = (ExtendedKeyUsageOID.SERVER_AUTH,),
    names: tuple[str, ...] | None = None,
) -> Pair:
    """names: the subject alternative names (DNS names, or IP addresses as text); the name alone if None."""
    own = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(own.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(_sans(names or (name,))), critical=False)
        .add_extension(x509.ExtendedKeyUsage(list(usage)), critical=False)
        .sign(issuer.key if issuer else own, hashes.SHA256())
    )
    return Pair(own, cert)


def colons(fingerprint: str) -> str:
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2))


def upload(server: RunningServer, pair: Pair, **extra: str) -> tuple[int, dict[str, object]]:
    body = {"certificate": pair.cert_pem, "private_key": pair.key_pem(), **extra}
    answer = server.owner().request("PUT", "/api/certificate", body=body)
    return answer.status, answer.json()


# Served over TLS ---------------------------------------------------------------------------------
def test_uploaded_certificate_is_served_from_the_next_handshake(tls_server: RunningServer) -> None:
    before = peer_certificate(tls_server)
    pair = make_pair()
    status, body = upload(tls_server, pair)
    assert status == 200, body
    assert body["source"] == "user"
    assert body["fingerprint_sha256"] == colons(pair.fingerprint)
    assert body["names"] == ["media.example"]
    served = peer_certificate(tls_server)
    assert served == pair.der != before
    assert tls_server.owner().get("/api/certificate").json()["fingerprint_sha256"] == colons(pair.fingerprint)


def test_an_rsa_certificate_replaces_the_servers_ecdsa_one_for_every_client(
    tls_server: RunningServer,
) -> None:
    # OpenSSL keeps one certificate per key type in a context; the old ECDSA one must not linger beside it.
    pair = make_pair(key=rsa.generate_private_key(65537, 2048))
    assert upload(tls_server, pair)[0] == 200
    assert peer_certificate(tls_server) == pair.der


def test_reverting_serves_the_servers_own_certificate_again(tls_server: RunningServer) -> None:
    own = peer_certificate(tls_server)
    assert upload(tls_server, make_pair(key=rsa.generate_private_key(65537, 2048)))[0] == 200
    assert peer_certificate(tls_server) != own
    answer = tls_server.owner().request("DELETE", "/api/certificate")
    assert answer.status == 204
    assert peer_certificate(tls_server) == own
    assert tls_server.owner().get("/api/certificate").json()["source"] == "generated"
    assert not (tls_server.data_dir / "certificates" / "custom" / "key.pem").exists()


def test_reverting_without_an_own_certificate_changes_nothing(tls_server: RunningServer) -> None:
    own = peer_certificate(tls_server)
    assert tls_server.owner().request("DELETE", "/api/certificate").status == 204
    assert peer_certificate(tls_server) == own
    actions = [e["action"] for e in tls_server.owner().get("/api/audit").json()["entries"]]
    assert "certificate.revert" not in actions


def test_a_refused_upload_leaves_the_served_certificate_alone(tls_server: RunningServer) -> None:
    before = peer_certificate(tls_server)
    good, other = make_pair(), make_pair()
    answer = tls_server.owner().request(
        "PUT", "/api/certificate", body={"certificate": good.cert_pem, "private_key": other.key_pem()}
    )
    assert answer.status == 422
    assert peer_certificate(tls_server) == before
    assert not (tls_server.data_dir / "certificates" / "custom" / "cert.pem").exists()


def test_a_second_upload_replaces_the_first(tls_server: RunningServer) -> None:
    first, second = make_pair("one.example"), make_pair("two.example")
    assert upload(tls_server, first)[0] == 200
    assert peer_certificate(tls_server) == first.der
    assert upload(tls_server, second)[0] == 200
    assert peer_certificate(tls_server) == second.der


# Files and audit ---------------------------------------------------------------------------------
def test_the_key_is_written_readable_by_the_server_alone(tls_server: RunningServer) -> None:
    assert upload(tls_server, make_pair())[0] == 200
    custom = tls_server.data_dir / "certificates" / "custom"
    assert stat.S_IMODE((custom / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(custom.stat().st_mode) == 0o700
    assert not list(custom.glob("*.new*")) and not list(custom.glob("*.tmp"))


def test_an_encrypted_key_is_stored_decrypted_so_a_restart_needs_no_passphrase(
    tls_server: RunningServer,
) -> None:
    pair = make_pair()
    answer = tls_server.owner().request(
        "PUT",
        "/api/certificate",
        body={
            "certificate": pair.cert_pem,
            "private_key": pair.key_pem(b"hunter22"),
            "passphrase": "hunter22",
        },
    )
    assert answer.status == 200, answer.body
    stored = (tls_server.data_dir / "certificates" / "custom" / "key.pem").read_bytes()
    assert serialization.load_pem_private_key(stored, None).public_key() == pair.key.public_key()


def test_the_audit_log_names_the_certificate_and_never_holds_the_key(tls_server: RunningServer) -> None:
    pair = make_pair()
    assert upload(tls_server, pair)[0] == 200
    assert tls_server.owner().request("DELETE", "/api/certificate").status == 204
    audit = tls_server.owner().get("/api/audit?action=certificate")
    entries = {e["action"]: e for e in audit.json()["entries"]}
    assert entries["certificate.install"]["target"] == colons(pair.fingerprint)
    assert entries["certificate.install"]["actor"] == "owner"
    assert "certificate.revert" in entries
    key_body = "".join(pair.key_pem().splitlines()[1:-1])
    assert key_body[:40] not in audit.body.decode()
    database = b"".join(p.read_bytes() for p in tls_server.data_dir.glob("*.db*"))
    assert key_body[:40].encode() not in database


def test_a_member_cannot_upload_a_certificate(tls_server: RunningServer) -> None:
    tls_server.owner()
    tls_server.create_user("friend")
    pair = make_pair()
    answer = tls_server.sign_in("friend").request(
        "PUT", "/api/certificate", body={"certificate": pair.cert_pem, "private_key": pair.key_pem()}
    )
    assert answer.status == 403
    assert not (tls_server.data_dir / "certificates" / "custom" / "cert.pem").exists()


def test_a_body_over_the_server_limit_is_refused_before_it_is_read(tls_server: RunningServer) -> None:
    pair = make_pair()
    body = {"certificate": pair.cert_pem + "x" * (1024 * 1024), "private_key": pair.key_pem()}
    assert tls_server.owner().request("PUT", "/api/certificate", body=body).status == 413


# Each refusal names its field with a sentence ---------------------------------------------------
def _refusal(certificate: str, private_key: str, passphrase: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_upload(certificate, private_key, passphrase, dt.datetime.now(dt.UTC))
    return caught.value


def test_a_mismatched_key_is_refused_over_the_api_naming_the_key(tls_server: RunningServer) -> None:
    good, other = make_pair(), make_pair()
    answer = tls_server.owner().request(
        "PUT", "/api/certificate", body={"certificate": good.cert_pem, "private_key": other.key_pem()}
    )
    assert answer.status == 422
    assert answer.json()["fields"] == {
        "private_key": "This private key does not belong to the certificate: their public keys differ."
    }


def test_an_expired_certificate_is_refused() -> None:
    pair = make_pair(not_before=NOW - dt.timedelta(days=100), not_after=NOW - dt.timedelta(days=1))
    refusal = _refusal(pair.cert_pem, pair.key_pem())
    assert refusal.fields["certificate"].startswith("The certificate expired on ")


def test_a_certificate_not_valid_yet_is_refused() -> None:
    pair = make_pair(not_before=NOW + dt.timedelta(days=2), not_after=NOW + dt.timedelta(days=90))
    refusal = _refusal(pair.cert_pem, pair.key_pem())
    assert refusal.fields["certificate"].startswith("The certificate is not valid until ")


@pytest.mark.parametrize(
    "text",
    ["hello", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "\x00\xff" * 10],
    ids=["words", "bad-base64-der", "binary"],
)
def test_garbage_as_the_certificate_is_refused(text: str) -> None:
    refusal = _refusal(text, make_pair().key_pem())
    assert list(refusal.fields) == ["certificate"]
    assert "not a PEM certificate" in refusal.fields["certificate"]


def test_garbage_as_the_key_is_refused() -> None:
    refusal = _refusal(make_pair().cert_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert list(refusal.fields) == ["private_key"]
    assert "not a PEM private key" in refusal.fields["private_key"]


def test_an_empty_certificate_is_refused() -> None:
    assert "certificate" in _refusal("  \n", make_pair().key_pem()).fields


def test_an_empty_key_is_refused() -> None:
    assert "private_key" in _refusal(make_pair().cert_pem, "").fields


def test_an_oversized_chain_is_refused_before_parsing() -> None:
    pair = make_pair()
    refusal = _refusal(pair.cert_pem * 200, pair.key_pem())
    assert "over 64 KiB" in refusal.fields["certificate"]


def test_an_oversized_key_is_refused() -> None:
    pair = make_pair()
    refusal = _refusal(pair.cert_pem, pair.key_pem() + "#" * 20_000)
    assert "over 16 KiB" in refusal.fields["private_key"]


def test_a_key_pasted_as_the_certificate_is_refused() -> None:
    pair = make_pair()
    refusal = _refusal(pair.key_pem(), pair.key_pem())
    assert "holds a private key" in refusal.fields["certificate"]


def test_a_short_rsa_key_is_refused() -> None:
    pair = make_pair(key=rsa.generate_private_key(65537, 1024))
    refusal = _refusal(pair.cert_pem, pair.key_pem())
    assert refusal.fields["certificate"].startswith("The certificate's key is an RSA key of 1024 bits;")


def test_an_ecdsa_key_on_another_curve_is_refused() -> None:
    pair = make_pair(key=ec.generate_private_key(ec.SECP521R1()))
    refusal = _refusal(pair.cert_pem, pair.key_pem())
    assert "secp521r1" in refusal.fields["certificate"]


def test_ecdsa_p384_and_rsa_3072_are_accepted() -> None:
    for key in (ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 3072)):
        pair = make_pair(key=key)
        assert check_upload(pair.cert_pem, pair.key_pem(), None, NOW).leaf == pair.cert


def test_a_client_only_certificate_is_refused() -> None:
    pair = make_pair(usage=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    refusal = _refusal(pair.cert_pem, pair.key_pem())
    assert "TLS server authentication" in refusal.fields["certificate"]


def test_a_chain_out_of_order_is_refused() -> None:
    ca = make_pair("Example CA")
    leaf = make_pair(issuer=ca)
    refusal = _refusal(ca.cert_pem + leaf.cert_pem, ca.key_pem())
    assert "Certificate 2 did not issue certificate 1" in refusal.fields["certificate"]


def test_a_chain_in_order_is_kept_whole() -> None:
    ca = make_pair("Example CA")
    leaf = make_pair(issuer=ca)
    checked = check_upload("junk before\n" + leaf.cert_pem + ca.cert_pem, leaf.key_pem(), None, NOW)
    assert x509.load_pem_x509_certificates(checked.chain_pem) == [leaf.cert, ca.cert]


def test_an_encrypted_key_without_its_passphrase_is_refused() -> None:
    pair = make_pair()
    refusal = _refusal(pair.cert_pem, pair.key_pem(b"sesame"))
    assert refusal.fields == {"passphrase": "The private key is encrypted; enter its passphrase."}


def test_a_wrong_passphrase_is_refused() -> None:
    pair = make_pair()
    refusal = _refusal(pair.cert_pem, pair.key_pem(b"sesame"), "open up")
    assert refusal.fields == {"passphrase": "This passphrase does not unlock the private key."}
