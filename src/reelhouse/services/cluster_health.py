"""What `reelhouse doctor` says about the parts a scaled-out installation depends on: the PostgreSQL database,
the other web nodes, the transcode broker and the workers behind it (docs/scaling.md, issue #19).

Each finding is one OK or FAIL line; every probe has a short timeout, so a part that does not answer is
reported within seconds instead of hanging the command."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from reelhouse.domain.settings import GpuPolicy

BROKER_SECONDS = 2.0
# How long workers get to answer Celery's broadcast; every reply that arrives later is ignored.
WORKER_REPLY_SECONDS = 1.0


@dataclass(frozen=True)
class Finding:
    ok: bool
    part: str
    detail: str
    # A WARN line: things work, but not as configured to (never a non-zero exit on its own).
    warning: bool = False

    def line(self) -> str:
        status = "WARN" if self.warning else "OK  " if self.ok else "FAIL"
        return f"{status}  {self.part:<8}  {self.detail}"


def shown_url(url: str) -> str:
    """A URL fit for a terminal: the password, if any, is left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def is_postgresql(url: str) -> bool:
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def database(url: str) -> Finding:
    import psycopg  # the postgresql extra, loaded only for a PostgreSQL database_url

    from reelhouse.persistence.cluster_nodes import database_answers  # needs psycopg

    try:
        version = database_answers(url)
    except psycopg.Error as exc:
        return Finding(False, "database", f"{shown_url(url)} does not answer: {_reason(exc)}")
    return Finding(True, "database", f"PostgreSQL {version} at {shown_url(url)} answers")


def nodes(url: str, serving_here: bool) -> list[Finding]:
    """The web nodes listening for changes now; ``serving_here`` says a server runs on this machine, which
    must then be among them."""
    import psycopg

    from reelhouse.persistence.cluster_nodes import listening_nodes  # needs psycopg

    try:
        listed = listening_nodes(url)
    except psycopg.Error as exc:
        return [Finding(False, "nodes", f"cannot list the web nodes: {_reason(exc)}")]
    here = socket.gethostname()[:24] + "-"
    findings = [
        Finding(
            True,
            "node",
            f"{node.name}{' (this machine)' if node.name.startswith(here) else ''} from {node.address}, "
            f"listening since {node.since:%Y-%m-%d %H:%M:%S %Z}",
        )
        for node in listed
    ]
    if serving_here and not any(node.name.startswith(here) for node in listed):
        findings.append(
            Finding(
                False, "node", "the server on this machine runs but does not listen for other nodes' changes"
            )
        )
    if not listed and not serving_here:
        findings.append(Finding(True, "nodes", "none running: no web node listens for changes"))
    return findings


def broker(url: str) -> Finding:
    # Only with a broker configured: a single machine never installs (or loads) the workers extra.
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_SECONDS, socket_timeout=BROKER_SECONDS)
    try:
        client.ping()
        version = str(client.info("server").get("redis_version", "unknown"))
    except redis.RedisError as exc:
        return Finding(False, "broker", f"{shown_url(url)} does not answer: {_reason(exc)}")
    finally:
        client.close()
    return Finding(True, "broker", f"Redis {version} at {shown_url(url)} answers")


def _slots(stats: Mapping[str, Any]) -> str:
    pool = stats.get("pool")
    slots = pool.get("max-concurrency") if isinstance(pool, Mapping) else None
    return f"{slots} slot{'s' if slots != 1 else ''}" if isinstance(slots, int) else "slots unknown"


def workers(url: str, gpu_policy: str | None = None, timeout: float = WORKER_REPLY_SECONDS) -> list[Finding]:
    """The workers that answer Celery's broadcast within ``timeout``, with their queues and slots, and what
    the setting transcode_gpu (``gpu_policy``, when known) meets among them. Ask only after ``broker``
    answered: the broadcast would otherwise wait on Celery's connection retries."""
    from reelhouse.services.transcode_queue import celery_app  # Celery only with a broker

    app = celery_app(url)
    try:
        inspect = app.control.inspect(timeout=timeout)
        stats: dict[str, Any] = inspect.stats() or {}
        queues: dict[str, Any] = inspect.active_queues() or {}
    except Exception as exc:  # noqa: BLE001 - any failure of the broadcast is this line's FAIL
        return [Finding(False, "workers", f"cannot ask the workers: {_reason(exc)}")]
    finally:
        app.close()
    findings = []
    if not stats:
        findings.append(
            Finding(False, "workers", f"none answered within {timeout:g} s: no HLS encode can run")
        )
    gpus = 0
    for name in sorted(stats):
        taken = [str(q.get("name", "")).removeprefix("reelhouse.") for q in queues.get(name) or []]
        capabilities = ", ".join(taken) if taken else "no queue"
        gpus += "gpu" in taken
        findings.append(Finding(True, "worker", f"{name}: {capabilities}; {_slots(stats[name])}"))
    if gpu_policy is not None:
        findings += gpu_workers(gpu_policy, gpus)
    return findings


def gpu_workers(policy: str, gpus: int) -> list[Finding]:
    """What transcode_gpu meets among the live workers (``gpus`` of them take `gpu` jobs)."""
    if policy == GpuPolicy.OFF:
        return []
    if gpus:
        takes = "1 live worker takes" if gpus == 1 else f"{gpus} live workers take"
        return [Finding(True, "gpu", f"transcode_gpu is {policy}; {takes} gpu jobs")]
    if policy == GpuPolicy.REQUIRE:
        # Every HLS job goes to the gpu queue and never falls back: nothing that needs an encode plays.
        return [
            Finding(
                False,
                "gpu",
                "transcode_gpu is require but no live worker takes gpu jobs: every transcoded playback is "
                "refused (503) until one does, or set transcode_gpu to prefer or off",
            )
        ]
    # Loaded only with a broker, as the transcoding side it describes is.
    from reelhouse.services.remote_encoder import GPU_START_GRACE_SECONDS

    return [
        Finding(
            True,
            "gpu",
            "transcode_gpu is prefer but no live worker takes gpu jobs: each transcoded playback waits "
            f"about {GPU_START_GRACE_SECONDS:g} s for one before it falls back to CPU workers",
            warning=True,
        )
    ]
