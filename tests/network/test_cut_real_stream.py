"""On the real server: a remote client mid-way through /api/items/{id}/stream is cut when remote access goes off."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import RunningServer
from tests.network.conftest import LAN_ONLY_LOOPBACK, REMOTE, configure
from tests.playback import media

PADDING = 96 * 1024 * 1024


@pytest.fixture
def movie_server(tmp_path: Path) -> Iterator[tuple[RunningServer, str]]:
    root = tmp_path / "movies"
    movie = media.h264_mp4(root / "Big" / "big.mp4", seconds=2)
    # Bytes past the end of the container: players never reach them, but the transfer is long. Added before
    # the scan: a file that changes after it is refused as no longer the one scanned.
    with movie.open("ab") as f:
        f.truncate(movie.stat().st_size + PADDING)
    server = RunningServer(tmp_path / "data", watch_libraries=False)
    try:
        services = server.server.services
        library = services.libraries.add(system_actor("test"), "Movies", "movies", [str(root)])
        server.server.scanner.scan(library)
        (row,) = services.catalogue.search(system_actor("test"), "big")
        configure(
            server, lan_networks=LAN_ONLY_LOOPBACK, remote_access=True, trusted_proxies=["127.0.0.9/32"]
        )
        yield server, row.id
    finally:
        server.stop()


def test_remote_stream_of_a_real_item_stops_when_remote_access_goes_off(
    movie_server: tuple[RunningServer, str],
) -> None:
    server, item = movie_server
    via_proxy = {"X-Forwarded-For": "127.0.0.66", "X-Forwarded-Proto": "https"}
    owner = server.owner()
    owner.source = REMOTE
    owner.default_headers = via_proxy
    answer = owner.post(f"/api/items/{item}/playback", {})
    assert answer.status == 200, answer.body
    url = answer.json()["url"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(REMOTE, 0)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        head = "".join(f"{k}: {v}\r\n" for k, v in via_proxy.items())
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: localhost\r\n{head}\r\n".encode())
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first[:200]
        time.sleep(0.3)
        configure(server, remote_access=False)
        received = len(first)
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += len(chunk)
    assert received < PADDING // 2
