"""What an HLS session's encoders (services/transcoding.py) ask of the session table web nodes share
(services/hls_shared.py, `cluster` on). A single machine has none: its sessions live in memory only."""

from __future__ import annotations

from typing import Protocol

from reelhouse.services.hls_session import Session


class SessionTable(Protocol):
    """The HLS session table web nodes share (services/hls_shared.py); absent on a single machine, whose
    sessions live in memory only."""

    def started(self, session: Session) -> None: ...

    def job_changed(self, session: Session) -> None: ...

    def touched(self, session: Session) -> bool: ...

    def follow(self, session: Session) -> None: ...

    def ended(self, session_id: str, user_id: str | None) -> bool: ...

    def idle(self, seconds: float) -> list[str]: ...

    def used_within(self, session_id: str, seconds: float) -> bool: ...
