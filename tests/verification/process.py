"""A Reelhouse server as a separate process, the way it runs for real, so tests can kill -9 it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import Role, system_actor
from tests.harness import Client

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(data_dir: Path, owner: str = "owner") -> None:
    """Create the database and the owner in-process, as `reelhouse user add` would, then close it."""
    server = Reelhouse(load_config(environ={}, overrides={"data_dir": data_dir, "demo_library": False}))
    try:
        server.services.accounts.create_user(system_actor("test"), owner, Role.OWNER, PASSWORD)
    finally:
        server.close()


def integrity(data_dir: Path) -> str:
    """PRAGMA integrity_check on the file as the next start would find it (WAL included)."""
    conn = sqlite3.connect(str(data_dir / "reelhouse.db"), timeout=30)
    try:
        return "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


class _PortTaken(Exception):
    """The port free_port() chose was bound by another program before this server could bind it."""


class ServerProcess:
    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        env = {
            **os.environ,
            "REELHOUSE_DEMO_LIBRARY": "false",
            "REELHOUSE_CONFIG": str(data_dir.parent / "absent.toml"),
            **(extra_env or {}),
        }
        for _ in range(3):
            self.port = free_port()
            # HTTPS is on by default; a port of its own keeps servers started side by side from colliding.
            self.https_port = free_port()
            self.log = (data_dir.parent / f"server-{self.port}.log").open("wb")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reelhouse.cli.main", "serve", *self._where(data_dir)],
                stdout=self.log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            try:
                self._wait_ready()
                return
            except _PortTaken:
                self.proc.kill()
                self.proc.wait(30)
                self.log.close()
        raise RuntimeError(
            "three ports in a row were taken by other programs before the server could bind them"
        )

    def _where(self, data_dir: Path) -> list[str]:
        return [
            *("--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(self.port)),
            *("--https-port", str(self.https_port)),
        ]

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "Errno 98" in self.output() or "address already in use" in self.output().lower():
                    raise _PortTaken()
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/setup")
                # Another program on this machine may have taken the port between free_port() and the bind; then
                # the answer is not this server's, and a test would sign in to a stranger's database.
                if conn.getresponse().status == 200 and self._listens_here():
                    conn.close()
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def _listens_here(self) -> bool:
        """Is the socket listening on self.port one of this process's own descriptors?"""
        wanted = f"0100007F:{self.port:04X}"
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
        held = set()
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            try:
                held.add(os.readlink(fd))
            except OSError:
                continue
        if inodes and not inodes & held:
            raise _PortTaken()
        return bool(inodes & held)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def client(self, token: str | None = None) -> Client:
        return Client(self.port, token=token)

    def sign_in(self, username: str = "owner") -> Client:
        answer = self.client().post("/api/auth/login", {"username": username, "password": PASSWORD})
        assert answer.status == 200, answer.body
        return self.client(answer.json()["token"])

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, no atexit; what a power cut or the OOM killer does."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.log.close()
