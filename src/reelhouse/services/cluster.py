"""Several web nodes on one PostgreSQL database (`cluster` on; docs/scaling.md, issue #19).

What must be shared already lives in the database: sign-in sessions and their revocation (checked against
`auth_tokens` on every request), settings, users and their grants, libraries. What each node keeps in memory is
a cache of those, and this is where it learns that one went stale: every change is audited in its own
transaction, and the audit entry's action, actor and target are announced in that same transaction
(`AuditService.on_record`), so a rolled-back change tells nobody. Each node then drops or re-reads the caches
the action touches, and re-checks the open streams of the users it names, cutting what they may no longer watch.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection

from reelhouse.persistence.cluster import AdvisoryLocks, ChangeListener, announce_now, notify
from reelhouse.persistence.database import Database
from reelhouse.services.catalogue import CatalogueService
from reelhouse.services.libraries import LibraryService
from reelhouse.services.media_access import MediaAccess
from reelhouse.services.settings import SettingsService

log = logging.getLogger(__name__)

# How often a node looks for scans left unfinished by a node that died: one is taken up within about this.
SCAN_WATCH_SECONDS = 0.5


def node_name() -> str:
    """This process's name among the nodes: the host and a random part, so two nodes on one host differ."""
    return f"{socket.gethostname()[:24]}-{secrets.token_hex(3)}"


class ClusterSync:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        libraries: LibraryService,
        catalogue: CatalogueService,
        media: MediaAccess,
        user_ids: Callable[[], list[str]],
        node: str | None = None,
        resume_scan: Callable[[str], object] = lambda _library_id: None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._libraries = libraries
        self._catalogue = catalogue
        self._media = media
        self._user_ids = user_ids
        self.node = node or node_name()
        self.listener = ChangeListener(db.url, f"reelhouse-{self.node}", self._heard, self.resync)
        self.locks = AdvisoryLocks(db.url, f"reelhouse-{self.node}")
        # Starts a scan here of a library whose scanning node died (ScanService.resume).
        self._resume_scan = resume_scan
        self._stopping = threading.Event()
        self._scan_watch: threading.Thread | None = None

    # Saying -------------------------------------------------------------------------------------
    def announce(self, conn: Connection, action: str, user_id: str | None, target: str | None) -> None:
        """Called inside the transaction of an audited change (``AuditService.on_record``)."""
        notify(conn, {"node": self.node, "action": action, "user": user_id, "target": target})

    def catalogue_changed(self) -> None:
        """A scan here committed changes to the catalogue: other nodes' page caches must not outlive them.
        Scans commit in many transactions and are not audited, so this goes in one of its own, after them."""
        announce_now(
            self._db, {"node": self.node, "action": "catalogue.changed", "user": None, "target": None}
        )

    # Hearing ------------------------------------------------------------------------------------
    def _heard(self, message: dict[str, Any]) -> None:
        if message.get("node") == self.node:
            return  # this node applied its own change as it made it
        action = str(message.get("action", ""))
        if action.startswith("settings."):
            self._settings.reload()
        elif action.startswith("library."):
            self._libraries.changed_elsewhere()
            self._catalogue.catalogue_changed()
            self._recheck(self._user_ids())
        elif action.startswith("catalogue."):
            self._catalogue.catalogue_changed()
        elif action == "hls.ended":
            # Ended on that node (its job cancelled there): this node's copy goes too (services/hls_shared.py).
            self._media.encoders.forget(str(message.get("target")))
        else:
            # Sign-outs, revoked tokens, users disabled, deleted or given other grants, federated revocations:
            # the actor and the target (a user id, or an id that names no user and so matches nothing).
            named = {str(v) for v in (message.get("user"), message.get("target")) if v}
            self._recheck(sorted(named))

    def _recheck(self, user_ids: list[str]) -> None:
        self._media.forget()
        for user_id in user_ids:
            cut = self._media.user_changed(user_id)
            if cut:
                log.info("streams cut after a change on another node: %d, of user %s", cut, user_id)

    def resync(self) -> None:
        """After the listener (re)connected: notifications sent while it was away are lost, so re-read every
        cache and re-check every user's open streams, as if each kind of change had been announced."""
        self._settings.reload()
        self._libraries.changed_elsewhere()
        self._catalogue.catalogue_changed()
        self._recheck(self._user_ids())

    # Taking turns -------------------------------------------------------------------------------
    def library_scan(
        self, library_id: str, on_lost: Callable[[], None] = lambda: None
    ) -> AbstractContextManager[bool]:
        return self.locks.library_scan(library_id, on_lost)

    def claim_tick(self, job: str, period: float) -> bool:
        """Whether this node runs ``job`` now, once per ``period`` seconds of the wall clock across nodes."""
        return self.locks.claim_tick(job, int(time.time() // period))

    def _watch_scans(self) -> None:
        """Take up, within about a second, the scans of nodes that died mid-scan (their lock went with them)."""
        while not self._stopping.wait(SCAN_WATCH_SECONDS):
            try:
                orphaned = self.locks.orphaned_scans()
            except Exception:
                # PostgreSQL away for a moment must not end the watch: the next tick asks again.
                log.exception("could not look for unfinished scans of other nodes")
                continue
            for library_id in orphaned:
                try:
                    if self._resume_scan(library_id):
                        log.info(
                            "taking up the scan of library %s, left unfinished by another node", library_id
                        )
                except Exception:
                    log.exception("could not take up the scan of library %s", library_id)

    def start(self) -> None:
        self.listener.start()
        self._scan_watch = threading.Thread(target=self._watch_scans, name="cluster-scans", daemon=True)
        self._scan_watch.start()

    def close(self) -> None:
        self._stopping.set()
        self.listener.stop()
        if self._scan_watch is not None:
            self._scan_watch.join(5)
        self.locks.close()
