"""What an HLS session's encoders (services/transcoding.py) ask of the session table web nodes share
(services/hls_shared.py, `cluster` on). A single machine has none: its sessions live in memory only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from reelhouse.services.hls_session import Session


class SessionRef(Protocol):
    """What revocations read of a session, held here or only named by the table."""

    @property
    def id(self) -> str: ...

    @property
    def item_id(self) -> str: ...

    @property
    def grant_session(self) -> str | None: ...


@dataclass(frozen=True)
class Unheld:
    """A session of the table that no node here holds (its node died, or let it go): a revocation still ends it."""

    id: str
    item_id: str
    grant_session: str | None


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

    def of_user(self, user_id: str) -> list[Unheld]: ...
