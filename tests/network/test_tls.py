"""The HTTPS listener: HSTS, the secure-connections modes, renewal and a user's certificate."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from reelhouse.services.certificates import CertificateService
from tests.harness import RunningServer
from tests.network.conftest import REMOTE, configure, https_get, peer_certificate


def test_https_answers_carry_hsts_of_at_least_a_year(tls_server: RunningServer) -> None:
    answer = https_get(tls_server, "/api/me")
    assert answer.status == 401
    hsts = answer.header("Strict-Transport-Security") or ""
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000


def test_required_redirects_page_requests_and_refuses_the_rest_over_http(tls_server: RunningServer) -> None:
    configure(tls_server, secure_connections="required")
    client = tls_server.anonymous()
    page = client.get("/library?x=1", headers={"Host": "localhost:1234"})
    assert page.status == 308
    assert page.header("Location") == f"https://localhost:{tls_server.https_port}/library?x=1"
    assert client.get("/api/me").status == 403
    assert client.post("/api/auth/login", {"username": "a", "password": "b"}).status == 403
    assert https_get(tls_server, "/api/me").status == 401


@pytest.mark.parametrize(
    ("host", "location"),
    [
        ("LocalHost:1234", "https://localhost:{port}/library?x=1"),
        ("[::1]:1234", "https://[::1]:{port}/library?x=1"),
        ("::1%@evil.example", None),
        ("127.0.0.1:1234@evil.example", None),
    ],
)
def test_the_redirect_to_https_is_built_from_the_parsed_host(
    tls_server: RunningServer, host: str, location: str | None
) -> None:
    configure(tls_server, secure_connections="required")
    page = tls_server.anonymous().get("/library?x=1", headers={"Host": host})
    if location is None:
        assert (page.status, page.header("Location")) == (400, None)
    else:
        assert (page.status, page.header("Location")) == (308, location.format(port=tls_server.https_port))


def _handshake_offering(server: RunningServer, group: str, version: ssl.TLSVersion) -> str | None:
    context = ssl.create_default_context(cafile=str(server.data_dir / "certificates" / "ca.pem"))
    context.check_hostname = False
    context.maximum_version = version
    context.set_ecdh_curve(group)
    assert server.https_port is not None
    try:
        with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as raw:
            with context.wrap_socket(raw) as tls:
                return tls.version()
    except ssl.SSLError:
        return None


def test_the_key_exchange_is_p256_alone(tls_server: RunningServer) -> None:
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        assert _handshake_offering(tls_server, "prime256v1", version) == version.name.replace("_", ".")
    # Over TLS 1.3, where the key exchange does not depend on the certificate's curve.
    for group in ("X25519", "X448", "secp384r1", "secp521r1"):
        assert _handshake_offering(tls_server, group, ssl.TLSVersion.TLSv1_3) is None, group


def test_preferred_serves_the_home_network_over_both(tls_server: RunningServer) -> None:
    assert tls_server.anonymous().get("/api/me").status == 401
    assert https_get(tls_server, "/api/me").status == 401


def test_preferred_never_serves_a_remote_client_over_plain_http(tls_server: RunningServer) -> None:
    configure(tls_server, remote_access=True)
    outsider = tls_server.anonymous(REMOTE)
    refused = outsider.get("/api/me")
    assert refused.status == 403 and refused.body == b"HTTPS required\n"
    assert outsider.get("/").status == 308
    assert https_get(tls_server, "/api/me", source=REMOTE).status == 401


def test_trusted_proxy_reporting_tls_counts_as_secure(tls_server: RunningServer) -> None:
    configure(tls_server, remote_access=True, trusted_proxies=["127.0.0.9/32"])
    headers = {"X-Forwarded-For": "127.0.0.77", "X-Forwarded-Proto": "https"}
    assert tls_server.anonymous(REMOTE).get("/api/me", headers=headers).status == 401


def test_certificate_fingerprint_is_served_and_matches_the_handshake(tls_server: RunningServer) -> None:
    owner = tls_server.owner()
    shown = owner.get("/api/certificate").json()
    der = peer_certificate(tls_server)
    assert shown["fingerprint_sha256"].replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    cert = x509.load_der_x509_certificate(der)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=366)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)


def test_generated_certificate_is_renewed_before_it_ends(tmp_path: Path) -> None:
    now = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    service = CertificateService(tmp_path, ["localhost"], ["127.0.0.1"], clock=lambda: now[0])
    service.context()
    first = service.info
    assert first is not None
    now[0] = first.not_after - dt.timedelta(days=40)
    assert service.refresh() is False
    now[0] = first.not_after - dt.timedelta(days=10)
    assert service.refresh() is True
    assert service.info is not None and service.info.not_after > first.not_after
    assert service.info.fingerprint_sha256 != first.fingerprint_sha256


def _own_certificate(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _wait_for(predicate: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_user_pem_certificate_replaces_ours_without_restart(tls_server: RunningServer) -> None:
    before = peer_certificate(tls_server)
    key, cert = _own_certificate("media.example")
    custom = tls_server.data_dir / "certificates" / "custom"
    custom.mkdir()
    (custom / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (custom / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    wanted = cert.public_bytes(serialization.Encoding.DER)
    assert before != wanted
    assert _wait_for(lambda: peer_certificate(tls_server) == wanted)
    assert tls_server.owner().get("/api/certificate").json()["source"] == "user"


def test_user_pkcs12_certificate_is_loaded(tmp_path: Path) -> None:
    key, cert = _own_certificate("p12.example")
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "server.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(b"x", key, cert, None, serialization.NoEncryption())
    )
    service = CertificateService(tmp_path, ["localhost"], ["127.0.0.1"])
    service.context()
    assert service.info is not None and service.info.source == "user"
    assert service.info.subject == "CN=p12.example"


def test_certificate_is_reissued_when_the_machine_gains_an_address(tmp_path: Path) -> None:
    first = CertificateService(tmp_path, ["localhost"], ["127.0.0.1"])
    first.context()
    assert first.info is not None
    second = CertificateService(tmp_path, ["localhost"], ["127.0.0.1", "192.0.2.44"])
    second.context()
    assert second.info is not None
    assert "192.0.2.44" in second.info.names
    assert second.info.fingerprint_sha256 != first.info.fingerprint_sha256
    third = CertificateService(tmp_path, ["localhost"], ["127.0.0.1"])
    third.context()
    assert third.info is not None and third.info.fingerprint_sha256 == second.info.fingerprint_sha256


def test_hsts_is_sent_when_a_trusted_proxy_terminated_tls(tls_server: RunningServer) -> None:
    configure(tls_server, trusted_proxies=["127.0.0.1/32"])
    plain = tls_server.anonymous().get("/api/me")
    assert plain.header("Strict-Transport-Security") is None
    proxied = tls_server.anonymous().get("/api/me", headers={"X-Forwarded-Proto": "https"})
    assert (proxied.header("Strict-Transport-Security") or "").startswith("max-age=31536000")
