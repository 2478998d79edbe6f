"""The network gate on a real server: remote access, forwarded headers, Host names and the IP filter."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from reelhouse.domain.access import Role
from reelhouse.web.routes import ROUTES
from tests.harness import RunningServer
from tests.network.conftest import REMOTE, configure

EXTRA_PATHS = ("/", "/static/app.js", "/static/vendor/x.js", "/login", "/favicon.ico", "/nope", "/api/nope")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc", path)


def _every_request() -> list[tuple[str, str]]:
    requests = [(r.method, _concrete(r.path)) for r in ROUTES]
    requests += [("GET", p) for p in EXTRA_PATHS] + [("HEAD", "/"), ("OPTIONS", "/api/me")]
    return requests


@pytest.mark.parametrize("secure", ["preferred", "disabled"])
def test_remote_client_is_refused_on_every_route_when_remote_access_is_off(
    server: RunningServer, secure: str
) -> None:
    # With secure connections disabled, remote access is the only rule that can refuse a plain request.
    configure(server, secure_connections=secure)
    outsider = server.owner()
    outsider.source = REMOTE
    for method, path in _every_request():
        answer = outsider.request(method, path, body={} if method in ("POST", "PATCH") else None)
        assert answer.status == 403, (method, path, answer.status)
        assert answer.body in (b"", b"Forbidden\n"), (method, path)
        assert answer.header("Set-Cookie") is None


def test_home_network_client_is_let_through(server: RunningServer) -> None:
    assert server.anonymous().get("/api/me").status == 401
    assert server.owner().get("/api/me").status == 200


def test_spoofed_forwarded_for_from_untrusted_peer_changes_nothing(server: RunningServer) -> None:
    spoofer = server.anonymous(REMOTE)
    answer = spoofer.get("/api/me", headers={"X-Forwarded-For": "127.0.0.1"})
    assert answer.status == 403
    # And the reverse: a home client cannot make itself look remote (or anything else) either.
    assert server.anonymous().get("/api/me", headers={"X-Forwarded-For": "203.0.113.5"}).status == 401


def test_trusted_proxy_forwarded_address_decides(server: RunningServer) -> None:
    configure(server, trusted_proxies=["127.0.0.9/32"])
    proxy = server.anonymous(REMOTE)
    assert proxy.get("/api/me", headers={"X-Forwarded-For": "127.0.0.1"}).status == 401
    # The right-most hop is the one the proxy saw; a client-written hop left of it is ignored.
    assert proxy.get("/api/me", headers={"X-Forwarded-For": "127.0.0.1, 127.0.0.77"}).status == 403
    assert proxy.get("/api/me", headers={"X-Forwarded-For": "not-an-address"}).status == 403


def test_ipv4_mapped_forwarded_address_is_normalised(server: RunningServer) -> None:
    configure(server, trusted_proxies=["127.0.0.9/32"])
    proxy = server.anonymous(REMOTE)
    assert proxy.get("/api/me", headers={"X-Forwarded-For": "::ffff:127.0.0.1"}).status == 401
    assert proxy.get("/api/me", headers={"X-Forwarded-For": "[::ffff:127.0.0.2]:555"}).status == 403


def test_unknown_host_name_is_refused_against_dns_rebinding(server: RunningServer) -> None:
    client = server.anonymous()
    assert client.get("/api/me", headers={"Host": "evil.example"}).status == 421
    assert client.get("/api/me", headers={"Host": "localhost:8096"}).status == 401
    assert client.get("/api/me", headers={"Host": "127.0.0.1:8096"}).status == 401
    configure(server, allowed_hosts=["media.example", "*.home.example"])
    assert client.get("/api/me", headers={"Host": "media.example"}).status == 401
    assert client.get("/api/me", headers={"Host": "tv.home.example"}).status == 401
    assert client.get("/api/me", headers={"Host": "home.example.evil"}).status == 421


@pytest.mark.parametrize(
    ("mode", "entries", "expected"),
    [("allow", ["127.0.0.50/32"], 401), ("allow", ["127.0.0.51/32"], 403), ("deny", ["127.0.0.50/32"], 403)],
)
def test_ip_filter_applies_to_remote_clients(
    server: RunningServer, mode: str, entries: list[str], expected: int
) -> None:
    # Through a trusted TLS-terminating proxy, so only the filter stands between the client and an answer.
    configure(
        server,
        remote_access=True,
        trusted_proxies=["127.0.0.9/32"],
        remote_ip_filter_mode=mode,
        remote_ip_filter=entries,
    )
    headers = {"X-Forwarded-For": "127.0.0.50", "X-Forwarded-Proto": "https"}
    assert server.anonymous(REMOTE).get("/api/me", headers=headers).status == expected


def test_ip_filter_never_applies_to_the_home_network(server: RunningServer) -> None:
    configure(server, remote_access=True, remote_ip_filter_mode="allow", remote_ip_filter=["127.0.0.10/32"])
    assert server.anonymous().get("/api/me").status == 401


def test_user_without_remote_permission_is_refused_after_sign_in(server: RunningServer) -> None:
    server.create_user("kid", Role.MEMBER)
    # No service verb sets grants yet (the accounts work adds it); write the one under test directly.
    with server.server.db.begin() as conn:
        conn.execute(
            text("UPDATE users SET grants = :g WHERE username = 'kid'"),
            {"g": '{"may_connect_remotely": false}'},
        )
    configure(server, trusted_proxies=["127.0.0.9/32"], remote_access=True)
    token = server.sign_in("kid").token
    headers = {
        "X-Forwarded-For": "127.0.0.50",
        "X-Forwarded-Proto": "https",
        "Authorization": f"Bearer {token}",
    }
    answer = server.anonymous(REMOTE).get("/api/me", headers=headers)
    assert answer.status == 403
    home = dict(headers, **{"X-Forwarded-For": "127.0.0.1"})
    assert server.anonymous(REMOTE).get("/api/me", headers=home).status == 200


def test_security_headers_are_on_refusals_and_not_found(server: RunningServer) -> None:
    answers = [
        server.anonymous(REMOTE).get("/"),
        server.anonymous().get("/nope"),
        server.anonymous().get("/api/me"),
        server.anonymous().get("/", headers={"Host": "evil.example"}),
    ]
    for answer in answers:
        csp = answer.header("Content-Security-Policy") or ""
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp
        assert answer.header("X-Content-Type-Options") == "nosniff"
        assert answer.header("Referrer-Policy") == "no-referrer"
        assert answer.header("Cross-Origin-Resource-Policy") == "same-origin"
        assert answer.header("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8096@evil.example",
        "127.0.0.1 x",
        "127.0.0.1/x",
        "localhost:8096:1",
        "localhost:99999",
        "evil.example@127.0.0.1",
        "[::1]x",
        "[::1%@evil.example]",
        "::1%@evil.example",
    ],
)
def test_a_host_with_junk_after_the_address_is_refused_bare(server: RunningServer, host: str) -> None:
    answer = server.anonymous().get("/api/me", headers={"Host": host})
    assert (answer.status, answer.body) == (400, b"Bad Request\n")
    configure(server, trusted_proxies=["127.0.0.1/32"])
    answer = server.anonymous().get("/api/me", headers={"X-Forwarded-Host": host})
    assert (answer.status, answer.body) == (400, b"Bad Request\n")


def test_hosts_as_http_writes_them_pass(server: RunningServer) -> None:
    for host in (
        "127.0.0.1:8096",
        "LOCALHOST",
        "localhost.:8096",
        "[::1]:8096",
        "[::ffff:127.0.0.1]",
        "localhost:",
    ):
        assert server.anonymous().get("/api/me", headers={"Host": host}).status == 401, host


def test_forwarded_host_is_checked_only_from_a_trusted_proxy(server: RunningServer) -> None:
    client = server.anonymous()
    assert client.get("/api/me", headers={"X-Forwarded-Host": "evil.example"}).status == 401
    configure(server, trusted_proxies=["127.0.0.1/32"])
    assert client.get("/api/me", headers={"X-Forwarded-Host": "evil.example"}).status == 421
    configure(server, allowed_hosts=["media.example"])
    assert client.get("/api/me", headers={"X-Forwarded-Host": "media.example"}).status == 401
