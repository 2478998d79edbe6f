"""Real parts for the transcode worker tests: a throwaway redis-server, `reelhouse worker` processes, and a look at
/proc for the ffmpeg processes a worker left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """Debian's redis-server on a free loopback port, in a temporary folder, persisting nothing."""

    def __init__(self, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is missing: the worker tests need Debian's `redis-server` package "
                "(scripts/test installs it: `apt-get install redis-server`)."
            )
        self.folder = Path(tempfile.mkdtemp(prefix="reelhouse-redis-"))
        # A given port starts Redis again where clients already point (a restart), empty as it persists nothing.
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)),
                *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class WorkerProcess:
    """`reelhouse worker` as an operator runs it, with a TOML config of its own; started when ready."""

    def __init__(
        self,
        folder: Path,
        broker_url: str,
        libraries: Mapping[str, Path | list[Path]],
        queues: tuple[str, ...],
        slots: int,
        extra: str = "",
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.scratch = folder / "scratch"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A library with several root folders lists where each is mounted, in the library's order.
        roots = "\n".join(
            f"{library_id} = {json.dumps([str(r) for r in root] if isinstance(root, list) else str(root))}"
            for library_id, root in libraries.items()
        )
        config = folder / "worker.toml"
        names = ", ".join(f'"{name}"' for name in queues)
        config.write_text(
            f'broker_url = "{broker_url}"\nscratch_dir = "{self.scratch}"\nqueues = [{names}]\n'
            f'slots = {slots}\nlisten_host = "127.0.0.1"\nlisten_port = {self.port}\n'
            # `extra`: more top-level keys (a GPU encoder and its device), before the libraries table.
            f'advertise_url = "{self.url}"\n{extra}[libraries]\n{roots}\n',
            encoding="utf-8",
        )
        self.out = folder / "worker.out"
        self.err = folder / "worker.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reelhouse.cli.main", "worker", "--config", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + 30
        while b"worker ready" not in self.out.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the worker did not start: {self.err.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ffmpeg_processes(marker: Path) -> list[int]:
    """Live ffmpeg processes whose command line names anything under ``marker`` (a worker's scratch folder);
    zombies have no command line and are not counted."""
    # The worker hands ffmpeg resolved paths.
    wanted = os.path.realpath(marker).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and any(wanted in arg for arg in argv):
            found.append(int(entry))
    return found


def live_jobs(broker_url: str) -> list[str]:
    """The heartbeat keys of the jobs alive on the broker now, sorted."""
    keys = redis.Redis.from_url(broker_url)
    try:
        return sorted(k.decode() for k in keys.scan_iter("reelhouse:job:*:heartbeat"))
    finally:
        keys.close()


def wait_for(condition: object, timeout: float, step: float = 0.05) -> float:
    """Seconds until ``condition()`` held; fails the test when it never did."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start
