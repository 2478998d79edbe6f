"""The running server's record of its open listeners, so CLI verbs describe the server, not the config file.

`reelhouse serve` writes ``listeners.json`` (0600) in the data folder once its sockets are bound and removes it
when it shuts down cleanly. A server killed outright leaves the file behind; it is recognised as stale because
its process is gone or is no longer a ``reelhouse serve`` process (a pid may be reused)."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reelhouse.config import BootConfig
from reelhouse.services.certificates import local_addresses
from reelhouse.services.privacy import Listener

RECORD_NAME = "listeners.json"


@dataclass(frozen=True)
class ServerState:
    """What the CLI knows about the server that uses this data folder."""

    running: bool
    listeners: tuple[Listener, ...]
    pid: int | None
    note: str


def record_path(data_dir: Path) -> Path:
    return data_dir / RECORD_NAME


def write_record(data_dir: Path, listeners: Iterable[Listener], pid: int | None = None) -> Path:
    """Replace the record atomically: a reader sees the old file or the new one, never half of one."""
    target = record_path(data_dir)
    document = {
        "pid": os.getpid() if pid is None else pid,
        "started_at": time.time(),
        "listeners": [{"scheme": i.scheme, "address": i.address, "port": i.port} for i in listeners],
    }
    partial = target.with_name(f".{RECORD_NAME}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    # Created 0600 from the start: the folder is private, but a copy of it (a backup) may not be.
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(document, out)
    partial.replace(target)
    return target


def remove_record(data_dir: Path, pid: int | None = None) -> None:
    """Remove the record only if this process wrote it, so a second server's record is left alone."""
    target = record_path(data_dir)
    owner = os.getpid() if pid is None else pid
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(target.read_text(encoding="utf-8"))["pid"] == owner:
            target.unlink()


def _is_reelhouse_serve(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but another user's; the command line below still says what it is
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        # No /proc to ask (not Linux): a live pid is the best evidence there is.
        return not Path("/proc/self").exists()
    # A zombie (killed, not yet reaped) has an empty command line, and is not serving anything.
    args = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    return "serve" in args and any("reelhouse" in part for part in args)


def read_state(data_dir: Path) -> ServerState:
    target = record_path(data_dir)
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
        pid = int(document["pid"])
        listeners = tuple(
            Listener(str(i["scheme"]), str(i["address"]), int(i["port"])) for i in document["listeners"]
        )
    except FileNotFoundError:
        return ServerState(False, (), None, "The server is not running (no listener is open).")
    except (OSError, ValueError, KeyError, TypeError):
        return ServerState(False, (), None, f"The server is not running ({target} cannot be read).")
    if not _is_reelhouse_serve(pid):
        return ServerState(
            False,
            (),
            pid,
            f"The server is not running: it stopped without a clean shutdown (process {pid}, named in "
            f"{target.name}, is gone or is no longer Reelhouse).",
        )
    return ServerState(True, listeners, pid, f"The server is running as process {pid}.")


def configured_listeners(config: BootConfig) -> tuple[Listener, ...]:
    """The listeners the config asks for: what `reelhouse serve` would open now."""
    found = [Listener("http", config.host, config.port)]
    if config.https_port is not None:
        found.append(Listener("https", config.host, config.https_port))
    return tuple(found)


def home_address(bound: str, candidates: Sequence[str] | None = None) -> str:
    """An address someone on the home network can type: a listener on every interface (0.0.0.0 or ::) is
    reached through one of this machine's own private addresses, else through 127.0.0.1."""
    try:
        ip = ipaddress.ip_address(bound)
    except ValueError:
        return bound  # a host name the owner chose
    if not ip.is_unspecified:
        return bound
    mine = local_addresses() if candidates is None else candidates
    for text in mine:
        try:
            own = ipaddress.ip_address(text)
        except ValueError:
            continue
        # IPv4 first: it is what people type, and what home routers hand out.
        if own.version == 4 and own.is_private and not own.is_loopback and not own.is_link_local:
            return text
    return "127.0.0.1"


def listener_url(item: Listener, candidates: Sequence[str] | None = None) -> str:
    host = home_address(item.address, candidates)
    if ":" in host:
        host = f"[{host}]"
    return f"{item.scheme}://{host}:{item.port}"


def invitation_base(
    public_urls: Sequence[str],
    listeners: Sequence[Listener],
    https_first: bool,
    candidates: Sequence[str] | None = None,
) -> str | None:
    """The first public URL (what friends outside can reach), else a home-network address of a listener.

    HTTPS is chosen first only when plain HTTP is refused at home too; otherwise a friend on the home network
    would meet the certificate warning of the server's own CA for nothing."""
    if public_urls:
        return public_urls[0].rstrip("/")
    if not listeners:
        return None
    order = ("https", "http") if https_first else ("http", "https")
    chosen = sorted(listeners, key=lambda i: order.index(i.scheme) if i.scheme in order else len(order))[0]
    return listener_url(chosen, candidates)
