"""Stopping the HTTPS listener closes every socket it accepted, even one whose handshake never began."""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import warnings
from pathlib import Path

import pytest

from reelhouse.web.listeners import TLSListener
from tests.harness import RunningServer


def test_a_handshake_cancelled_before_it_took_its_socket_leaves_no_socket_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands for a handshake that stop() cancels before asyncio owns the socket (cancelled before it first ran):
    # only the listener can close that socket.
    async def never_handing_over(_self: TLSListener, _conn: socket.socket) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(TLSListener, "_handshake", never_handing_over)
    server = RunningServer(tmp_path / "data", https=True)
    assert server.https_port is not None
    client = socket.create_connection(("127.0.0.1", server.https_port), timeout=5)
    try:
        time.sleep(0.3)  # accepted, its handshake task waiting
        server.stop()
        del server
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
    finally:
        client.close()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
