"""What a scan reports while it runs and when it ends."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# A file modified this recently may still be being copied in: when it cannot be read yet, it is tried again
# once it has been left alone this long, instead of being reported as broken.
SETTLE_SECONDS = 3.0


class ScanPhase(enum.StrEnum):
    WALK = "walk"
    IDENTIFY = "identify"
    RECONCILE = "reconcile"
    ARTWORK = "artwork"
    DONE = "done"


@dataclass(frozen=True)
class ScanProgress:
    library_id: str
    phase: ScanPhase
    done: int
    total: int


@dataclass(frozen=True)
class ScanIssue:
    path: str
    reason: str


@dataclass(frozen=True)
class ScanReport:
    library_id: str
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    errors: tuple[ScanIssue, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    # Files that could not be read but changed within SETTLE_SECONDS: not errors yet, to be scanned again.
    settling: int = 0
