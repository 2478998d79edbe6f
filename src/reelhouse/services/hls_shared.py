"""HLS sessions in PostgreSQL, so that any web node serves any session (`cluster` on, issue #19).

The node that starts a session writes its row (who, what, the plan, where the file is); a node asked for a
session it does not hold adopts it from the row, but only after the media access decision has allowed the
request, for the row's own user and item: anyone else gets the answer an unknown session gets. The adopting
node opens the file through the media access decision as a start does, then with transcode workers follows the
job the row names (no second job: the heartbeat says which worker has it), and without them starts its own
encoder at the asked segment, as a seek does (segments are cut on fixed boundaries, so timestamps continue).

Players touch the row at most once a second per node; idle ends read its last access, so a node never ends a
session a player now uses elsewhere, and one `DELETE … RETURNING` per end means one node cancels its job. An
end is announced (NOTIFY, in the deleting transaction) so that the other nodes drop their copies.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from reelhouse.domain import playback
from reelhouse.errors import DatabaseError, NotFound
from reelhouse.persistence import hls_sessions as rows
from reelhouse.persistence.cluster import notify
from reelhouse.persistence.database import Database
from reelhouse.services.hls_session import Session
from reelhouse.services.hls_table import Unheld
from reelhouse.services.media_access import Allowed, MediaAccess, Purpose
from reelhouse.services.remote_encoder import JobOrigin, RemoteRun
from reelhouse.services.transcode_jobs import TranscodeJob

T = TypeVar("T")
ENDED = "hls.ended"
# A player fetches a segment every few seconds and its playlist now and then: once a second is enough for idle
# ends to see it, and keeps the table's writes to one per second per node and session at most.
TOUCH_SECONDS = 1.0
_GONE = "No such playback session; start playback again."


def plan_json(plan: playback.Plan) -> str:
    return json.dumps(dataclasses.asdict(plan), sort_keys=True)


def plan_of(text: str) -> playback.Plan:
    fields = json.loads(text)
    fields["method"] = playback.Method(fields["method"])
    fields["reasons"] = tuple(fields["reasons"])
    return playback.Plan(**fields)


class SharedSessions:
    def __init__(self, db: Database, node: str, media: MediaAccess) -> None:
        self._db = db
        self.node = node
        self._media = media
        self._encoders = media.encoders
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def _run(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._db.engine.begin() as conn:
                return work(conn)
        except OperationalError as exc:
            raise DatabaseError(f"the HLS session table could not be used: {exc.orig}") from None

    # Written by the encoders (services/transcoding.py) ---------------------------------------------
    def started(self, session: Session) -> None:
        now = time.time()
        origin = None if session.origin is None else json.dumps(dataclasses.asdict(session.origin))
        row = rows.SessionRow(
            id=session.id,
            user_id=session.user_id,
            item_id=session.item_id,
            file_path=session.source.path,
            grant_session=session.grant_session,
            device=session.device,
            plan=plan_json(session.plan),
            subtitles=json.dumps(session.subtitles),
            origin=origin,
            job_id=None,
            job=None,
            job_start=0,
            node=self.node,
            worker=None,
            created_at=now,
            last_access=now,
        )
        self._run(lambda conn: rows.add(conn, row))
        self._note_touch(session.id)

    def job_changed(self, session: Session) -> None:
        run = session.job
        # The job's token is left out: any node derives it again from the job id (transcode_jobs.job_token).
        job = None if run is None else (run.job.job_id, run.job.model_dump_json(exclude={"token"}))
        now = time.time()
        if not self._run(
            lambda conn: rows.set_job(
                conn, session.id, job, session.process_start, self.node, now, session.fallback
            )
        ):
            raise NotFound("This playback session has ended; start playback again.")
        self._note_touch(session.id)

    def touched(self, session: Session) -> bool:
        """Note a request; False when the session ended on another node meanwhile."""
        with self._lock:
            last = self._touched.get(session.id, 0.0)
        if time.monotonic() - last < TOUCH_SECONDS:
            return True
        found = self._run(lambda conn: rows.touch(conn, session.id, time.time(), session.worker))
        self._note_touch(session.id)
        return found is not None

    def follow(self, session: Session) -> None:
        """Before a segment is served from a worker (session.lock held): the job the row names is the
        session's, whichever node sent it."""
        found = self._run(lambda conn: rows.get(conn, session.id))
        if found is None:
            raise NotFound("This playback session has ended; start playback again.")
        current = None if session.job is None else session.job.job.job_id
        if found.job_id == current:
            return
        # Replaced elsewhere (a seek there cancelled ours), or dropped here while another node kept it going.
        # The node that replaced it may have fallen back to CPU workers meanwhile: so does this one.
        session.fallback = session.fallback or found.fallback
        session.job = self._run_of(found)
        session.process_start = found.job_start
        self._locate(session)

    def ended(self, session_id: str, user_id: str | None) -> bool:
        """Remove the row and tell the other nodes; True when this call removed it. With ``user_id`` (only
        that user's row), the session is one no node here holds, so its job is cancelled here; without, the
        caller holds it and cancels its job as it disposes of it."""

        def remove(conn: Connection) -> rows.SessionRow | None:
            found = rows.get(conn, session_id)
            if found is None or (user_id is not None and found.user_id != user_id):
                return None
            gone = rows.remove(conn, session_id)
            if gone is not None:
                notify(conn, {"node": self.node, "action": ENDED, "user": None, "target": session_id})
            return gone

        gone = self._run(remove)
        with self._lock:
            self._touched.pop(session_id, None)
        if gone is not None and user_id is not None:
            self._cancel(gone)
        return gone is not None

    def idle(self, seconds: float) -> list[str]:
        """Take out the sessions no node answered a request of for ``seconds``; cancels the jobs of those no
        node here holds (the caller disposes of the ones it holds)."""
        before = time.time() - seconds

        def remove(conn: Connection) -> list[rows.SessionRow]:
            gone = rows.remove_idle(conn, before)
            for found in gone:
                notify(conn, {"node": self.node, "action": ENDED, "user": None, "target": found.id})
            return gone

        gone = self._run(remove)
        with self._lock:
            # Sessions this node let go of keep no note of their last touch for long.
            stale = time.monotonic() - 10 * seconds
            self._touched = {k: v for k, v in self._touched.items() if v > stale}
        held = {s.id for s in self._encoders.active()}
        for found in gone:
            if found.id not in held:
                self._cancel(found)
            with self._lock:
                self._touched.pop(found.id, None)
        return [found.id for found in gone]

    def used_within(self, session_id: str, seconds: float) -> bool:
        found = self._run(lambda conn: rows.get(conn, session_id))
        return found is not None and time.time() - found.last_access <= seconds

    def of_user(self, user_id: str) -> list[Unheld]:
        found = self._run(lambda conn: rows.of_user(conn, user_id))
        return [Unheld(r.id, r.item_id, r.grant_session) for r in found]

    # Adopting ---------------------------------------------------------------------------------------
    def adopt(self, allowed: Allowed, session_id: str) -> Session:
        """The session another node started, for a request the media access decision allowed; the same
        answer as an unknown session unless the row is this viewer's, for this item."""
        found = self._run(lambda conn: rows.get(conn, session_id))
        viewer = allowed.viewer
        if found is None or found.user_id != viewer.user_id or found.item_id != allowed.item.summary.id:
            raise NotFound(_GONE)
        # The rules again for this viewer and item, and the very file the session plays (a version of its own).
        again = self._media.allow(viewer, found.item_id, Purpose.HLS, allowed.zone)
        chosen = next((f for f in again.item.files if not f.missing and f.path == found.file_path), None)
        if chosen is None:
            raise NotFound(_GONE)
        source = self._media.open_file(dataclasses.replace(again, file=chosen))
        origin = None if found.origin is None else JobOrigin(**json.loads(found.origin))
        session = Session(
            found.id,
            found.user_id,
            found.item_id,
            plan_of(found.plan),
            source,
            again.duration,
            self._encoders.folder_for(),
            subtitles=tuple(tuple(s) for s in json.loads(found.subtitles)),
            device=found.device,
            grant_session=found.grant_session,
            origin=origin,
            # A session that fell back on its first node stays on CPU workers here, and says why.
            fallback=found.fallback,
        )
        session.job = self._run_of(found)
        session.process_start = found.job_start
        self._locate(session)
        # Holding no encoder yet: the first segment asked takes a slot and, without workers, starts one.
        session.holds_slot = False
        adopted = self._encoders.adopt(session)
        self.touched(adopted)
        return adopted

    def _locate(self, session: Session) -> None:
        """Read the followed job's heartbeat now: it says where the worker is, so that what the worker made
        already is served from there (a finished job's segments too) instead of being sent again."""
        remote = self._encoders.remote
        if remote is not None and session.job is not None:
            remote.state(session, session.job)

    def _note_touch(self, session_id: str) -> None:
        with self._lock:
            self._touched[session_id] = time.monotonic()

    def _cancel(self, found: rows.SessionRow) -> None:
        remote = self._encoders.remote
        run = self._run_of(found)
        if remote is not None and run is not None:
            remote.cancel(run)

    def _run_of(self, found: rows.SessionRow) -> RemoteRun | None:
        remote = self._encoders.remote
        if found.job is None or remote is None:
            return None
        fields = json.loads(found.job)
        fields["token"] = remote.token_for(fields["job_id"])
        # Seen: a heartbeat already gone means the job died, and the next segment request sends it again.
        return RemoteRun(TranscodeJob.model_validate_json(json.dumps(fields)), seen=True)
