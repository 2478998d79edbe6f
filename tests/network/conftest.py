"""A real server whose home network is 127.0.0.1 alone, so 127.0.0.9 plays a client from outside."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Answer, RunningServer

REMOTE = "127.0.0.9"
LAN_ONLY_LOOPBACK = ["127.0.0.1/32"]


def configure(server: RunningServer, **values: Any) -> None:
    server.server.services.settings.apply(system_actor("test"), values)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data")
    configure(running, lan_networks=LAN_ONLY_LOOPBACK)
    yield running
    running.stop()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data", https=True)
    configure(running, lan_networks=LAN_ONLY_LOOPBACK)
    yield running
    running.stop()


def https_get(
    server: RunningServer,
    path: str,
    source: str | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> Answer:
    """GET over TLS, trusting only the server's own CA, so the chain is checked for real."""
    context = ssl.create_default_context(cafile=str(server.data_dir / "certificates" / "ca.pem"))
    context.check_hostname = False
    assert server.https_port is not None
    conn = http.client.HTTPSConnection(
        "127.0.0.1",
        server.https_port,
        timeout=30,
        context=context,
        source_address=(source, 0) if source else None,
    )
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("GET", path, headers=all_headers)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def peer_certificate(server: RunningServer) -> bytes:
    context = ssl.create_default_context(cafile=str(server.data_dir / "certificates" / "ca.pem"))
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    assert server.https_port is not None
    import socket

    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


Configure = Callable[..., None]
