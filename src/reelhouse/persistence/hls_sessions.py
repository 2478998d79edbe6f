"""The HLS session table web nodes share (`cluster` on, issue #19; services/hls_shared.py). One row per session,
written when it starts and when its encoder changes, touched as players fetch from it, and deleted when it ends:
deleting returns the row, so of several nodes ending one session only one cancels its job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from reelhouse.persistence.cluster_schema import hls_sessions

_c = hls_sessions.c


@dataclass(frozen=True)
class SessionRow:
    id: str
    user_id: str
    item_id: str
    file_path: str
    grant_session: str | None
    device: str | None
    plan: str
    subtitles: str
    origin: str | None
    job_id: str | None
    job: str | None
    job_start: int
    node: str
    worker: str | None
    created_at: float
    last_access: float
    # Why its jobs go to CPU workers though the GPU policy prefers GPUs; None when they do not.
    fallback: str | None = None


def _row(found: Any) -> SessionRow:
    return SessionRow(**{name: getattr(found, name) for name in SessionRow.__dataclass_fields__})


def add(conn: Connection, row: SessionRow) -> None:
    conn.execute(insert(hls_sessions).values(**row.__dict__))


def get(conn: Connection, session_id: str) -> SessionRow | None:
    found = conn.execute(select(hls_sessions).where(_c.id == session_id)).first()
    return None if found is None else _row(found)


def set_job(
    conn: Connection,
    session_id: str,
    job: tuple[str, str] | None,
    start: int,
    node: str,
    now: float,
    fallback: str | None = None,
) -> bool:
    """The session's encoder changed on ``node`` (``job``: the worker job's id and spec, or None; ``fallback``:
    why it went to CPU workers, if it did); False when the row is gone (the session ended elsewhere)."""
    job_id, spec = job if job is not None else (None, None)
    values: dict[str, Any] = {
        "job_id": job_id,
        "job": spec,
        "job_start": start,
        "node": node,
        "last_access": now,
    }
    if fallback is not None:
        # Once fallen back, a session stays so: no node clears it.
        values["fallback"] = fallback
    done = conn.execute(update(hls_sessions).where(_c.id == session_id).values(**values))
    return bool(done.rowcount)


def touch(conn: Connection, session_id: str, now: float, worker: str | None) -> SessionRow | None:
    """Note a request answered now; the row as it stands after, or None when the session ended elsewhere."""
    values: dict[str, Any] = {"last_access": now}
    if worker is not None:
        values["worker"] = worker
    found = conn.execute(
        update(hls_sessions).where(_c.id == session_id).values(**values).returning(*hls_sessions.c)
    ).first()
    return None if found is None else _row(found)


def of_user(conn: Connection, user_id: str) -> list[SessionRow]:
    return [_row(found) for found in conn.execute(select(hls_sessions).where(_c.user_id == user_id))]


def remove(conn: Connection, session_id: str) -> SessionRow | None:
    found = conn.execute(delete(hls_sessions).where(_c.id == session_id).returning(*hls_sessions.c)).first()
    return None if found is None else _row(found)


def remove_idle(conn: Connection, before: float) -> list[SessionRow]:
    """Every session no node has answered a request of since ``before``, taken out in one statement."""
    gone = conn.execute(delete(hls_sessions).where(_c.last_access < before).returning(*hls_sessions.c))
    return [_row(found) for found in gone]
