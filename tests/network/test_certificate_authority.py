"""The server's own CA, announced and downloaded: what a device installs so browsers trust this server."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.network.conftest import peer_certificate


def test_the_announced_ca_downloads_parses_and_signs_the_certificate_served(
    tls_server: RunningServer,
) -> None:
    owner = tls_server.owner()
    announced = owner.get("/api/tls")
    assert announced.status == 200, announced.body
    facts = announced.json()
    assert facts["https_port"] == tls_server.https_port
    assert facts["certificate_source"] == "generated"
    authority = facts["authority"]
    assert authority["download"] == "/api/tls/ca.pem"

    # Any signed-in user may fetch it, not only admins: it is what their own devices install.
    tls_server.create_user("viewer", Role.MEMBER)
    for caller in (owner, tls_server.sign_in("viewer")):
        answer = caller.get(authority["download"])
        assert answer.status == 200, answer.body
        assert answer.header("Content-Type") == "application/x-pem-file"
        assert answer.header("Content-Disposition") == 'attachment; filename="reelhouse-ca.pem"'
        assert b"PRIVATE KEY" not in answer.body
        (ca,) = x509.load_pem_x509_certificates(answer.body)
        assert ca.fingerprint(hashes.SHA256()).hex(":").upper() == authority["fingerprint_sha256"]
        assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        # The downloaded CA is the one that signed what the HTTPS listener presents.
        x509.load_der_x509_certificate(peer_certificate(tls_server)).verify_directly_issued_by(ca)


def test_anonymous_callers_get_neither_the_announcement_nor_the_ca(tls_server: RunningServer) -> None:
    stranger = tls_server.anonymous()
    for path in ("/api/tls", "/api/tls/ca.pem"):
        answer = stranger.get(path)
        assert answer.status == 401, path
        assert b"CERTIFICATE" not in answer.body


def test_without_an_https_listener_the_answer_says_none_rather_than_not_found(server: RunningServer) -> None:
    owner = server.owner()
    answer = owner.get("/api/tls")
    assert answer.status == 200, answer.body
    assert answer.json() == {"https_port": None, "certificate_source": None, "authority": None}
    missing = owner.get("/api/tls/ca.pem")
    assert missing.status == 404
    assert "certificate authority" in missing.json()["message"]
