"""What a stranger learns: malformed requests, the TLS handshake and the Host header, on real sockets."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.harness import RunningServer
from tests.network.conftest import REMOTE, configure, peer_certificate

# Each malformed request carries MARK, so an answer that quotes the input is caught.
MARK = b"Zq7Echo"
MALFORMED = {
    "over-long request line": b"GET /" + MARK * 1200 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "over-long header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: " + MARK * 1200 + b"\r\n\r\n",
    "too many headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    + b"".join(b"X-%d: %s\r\n" % (i, MARK) for i in range(200))
    + b"\r\n",
    "bad request line": b"G<" + MARK + b">ET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "bad HTTP version": b"GET / HTTP/9." + MARK + b"\r\nHost: 127.0.0.1\r\n\r\n",
    "not HTTP at all": MARK + b"\x00\x01\x02\r\n\r\n",
    "invalid chunked body": b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/json\r\n\r\n" + MARK + b"\r\nabc\r\n0\r\n\r\n",
    "junk after the Host address": b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1:8096@"
    + MARK
    + b"\r\nConnection: close\r\n\r\n",
}
# The broken body sent after the head: the gate has answered by then, and the body must not draw a second one.
LATE_BODY = "invalid chunked body after the head"
BANNERS = (b"aiohttp", b"python", b"Python")


def exchange(port: int, data: bytes, source: str | None = None, pause: float = 0.0) -> bytes:
    """Send raw bytes (optionally the head first, then the rest after ``pause``) and read until the server
    closes or stays quiet for 2 s. (Never half-closed from this side: aiohttp drops a connection whose peer
    sent EOF before it answered.)"""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=2, source_address=(source, 0) if source else None
    ) as conn:
        head, sep, rest = data.partition(b"\r\n\r\n")
        try:
            if pause:
                conn.sendall(head + sep)
                time.sleep(pause)
                conn.sendall(rest)
            else:
                conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except (ConnectionResetError, TimeoutError):
                return received
            if not chunk:
                return received
            received += chunk


def split(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body


def assert_says_nothing(answer: bytes) -> None:
    assert MARK not in answer, answer[:300]
    assert not any(banner in answer for banner in BANNERS), answer[:300]


@pytest.mark.parametrize("name", [*MALFORMED, LATE_BODY])
def test_a_stranger_gets_the_same_bare_refusal_for_a_malformed_request(
    tls_server: RunningServer, name: str
) -> None:
    normal = exchange(
        tls_server.port, b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", REMOTE
    )
    status, headers, body = split(normal)
    assert (status, body, headers["server"]) == (403, b"Forbidden\n", "Reelhouse")
    late = name == LATE_BODY
    answer = exchange(
        tls_server.port, MALFORMED["invalid chunked body" if late else name], REMOTE, 0.2 * late
    )
    assert_says_nothing(answer)
    if answer:
        assert split(answer)[0] == status and split(answer)[2] == body, answer[:300]
        assert split(answer)[1]["server"] == "Reelhouse"


@pytest.mark.parametrize("name", [n for n in MALFORMED if n != "junk after the Host address"])
def test_a_malformed_request_from_home_gets_a_bare_status_without_the_frameworks_name(
    tls_server: RunningServer, name: str
) -> None:
    answer = exchange(tls_server.port, MALFORMED[name])
    assert_says_nothing(answer)
    status, headers, body = split(answer)
    assert (status, body, headers["server"]) == (400, b"Bad Request\n", "Reelhouse")


def test_a_malformed_request_over_tls_gets_a_bare_status(tls_server: RunningServer) -> None:
    configure(tls_server, remote_access=True)
    context = ssl.create_default_context(cafile=str(tls_server.data_dir / "certificates" / "ca.pem"))
    context.check_hostname = False
    assert tls_server.https_port is not None
    with socket.create_connection(("127.0.0.1", tls_server.https_port), timeout=10) as raw:
        with context.wrap_socket(raw) as conn:
            conn.sendall(MALFORMED["bad request line"])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    assert_says_nothing(answer)
    assert split(answer)[0] == 400 and split(answer)[2] == b"Bad Request\n"


def client_hello() -> bytes:
    """The first flight of a real TLS client, sent by hand so that every byte the server returns is seen."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # A P-256 key share, so the server answers with its whole first flight rather than a retry request.
    context.set_ecdh_curve("prime256v1")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_a_stranger_gets_not_one_byte_of_tls_while_remote_access_is_off(tls_server: RunningServer) -> None:
    assert tls_server.https_port is not None
    hello = client_hello()
    assert exchange(tls_server.https_port, hello, REMOTE) == b""
    # The same bytes from home draw the server's first flight, certificate and all: the probe works.
    answer = exchange(tls_server.https_port, hello)
    assert answer.startswith(b"\x16\x03") and len(answer) > 500


def handshake_from(server: RunningServer, source: str) -> x509.Certificate:
    context = ssl.create_default_context(cafile=str(server.data_dir / "certificates" / "ca.pem"))
    context.check_hostname = False
    assert server.https_port is not None
    with socket.create_connection(
        ("127.0.0.1", server.https_port), timeout=10, source_address=(source, 0)
    ) as raw:
        with context.wrap_socket(raw) as conn:
            der = conn.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def test_the_certificate_reaches_a_stranger_only_when_the_gate_would_let_it_in(
    tls_server: RunningServer,
) -> None:
    names = handshake_from(tls_server, "127.0.0.1").extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "localhost" in names.value.get_values_for_type(x509.DNSName)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake_from(tls_server, REMOTE)
    configure(
        tls_server, remote_access=True, remote_ip_filter_mode="allow", remote_ip_filter=["127.0.0.50/32"]
    )
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake_from(tls_server, REMOTE)
    configure(tls_server, remote_ip_filter_mode="off")
    assert handshake_from(tls_server, REMOTE).public_bytes(Encoding.DER) == peer_certificate(tls_server)
    # A trusted proxy outside the home network is let through: the clients behind it are judged per request.
    configure(tls_server, remote_access=False, trusted_proxies=[f"{REMOTE}/32"])
    assert handshake_from(tls_server, REMOTE) is not None
