"""Revocations over links, both ways. On this server: a federated user's access ended here (unshared, deleted,
disabled) or a link removed here must reach the linked server even while it is away. Each is written to the
outbox first (peer_outbox, kinds "revoke_principal" and "unlink") and tried at once; one the server did not take
waits, never expires, and is delivered as soon as the server answers again, before any waiting settings change
(the poller calls deliver() first). Each change of a federated user carries the link's next revocation_seq, so
the receiver ignores a revocation or grant older than the last it applied (FederationService.grant, revoke).

On the linked server: a peer that unlinked this one says so (DELETE /peer/v1/link), and its link here turns
"revoked by peer" at once instead of at the next failed request."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from reelhouse.domain.access import Actor, system_actor
from reelhouse.domain.peers import LinkState
from reelhouse.errors import NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.peer_outbox import PeerOutboxRepository
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.peer_denylist import deny_link
from reelhouse.services.peer_links import LINK_GONE, Caller, IdentityChanged, PeerLinks, Unreachable

REVOKE_PRINCIPAL = "revoke_principal"
UNLINK = "unlink"
KINDS = (REVOKE_PRINCIPAL, UNLINK)
UNLINK_PATH = "/peer/v1/link"
# A removed link is not polled, so its waiting farewell is retried on its own clock: doubling up to ten minutes.
RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 600.0
NEVER_SECONDS = 100 * 365 * 86400.0
_SYSTEM = {"user": "system", "name": "Reelhouse", "role": "system"}


def _who(actor: Actor | None) -> dict[str, Any]:
    if actor is None:
        return _SYSTEM
    return {"user": actor.user_id, "name": actor.username, "role": actor.role.value}


def _request(kind: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    if kind == REVOKE_PRINCIPAL:
        # Entries queued before revocations carried a request id have none to send.
        return (
            "DELETE",
            f"/peer/v1/principals/{body['subject']}",
            {k: body[k] for k in ("seq", "request_id") if k in body},
        )
    return "DELETE", UNLINK_PATH, None


def _taken(status: int, answer: dict[str, Any]) -> bool:
    """Whether the linked server's answer settles the revocation: done (200), nothing there to revoke (404),
    or the link already gone on that side (401 unknown_link)."""
    return status in (200, 404) or (status == 401 and answer.get("error") in LINK_GONE)


class Revocations:
    def __init__(
        self,
        db: Database,
        peers: PeerRepository,
        outbox: PeerOutboxRepository,
        links: PeerLinks,
        audit: AuditService,
    ) -> None:
        self._db = db
        self._peers = peers
        self._outbox = outbox
        self._links = links
        self._audit = audit
        self._delivering = threading.Lock()
        self._retry: dict[str, tuple[float, float]] = {}  # removed link → (next try, monotonic; delay)

    # -- this server revokes -------------------------------------------------------------------------------

    def next_seq(self, link_id: str) -> int:
        """The next number of the link's sequence of federated-user changes (grants carry one too)."""
        with self._db.begin() as conn:
            return self._peers.next_revocation_seq(conn, link_id)

    def revoke_principal(self, actor: Actor | None, link_id: str, subject: str) -> dict[str, Any]:
        """Tell the linked server that ``subject`` (a user of this server) may no longer sign in there."""
        return self._queue(
            actor,
            link_id,
            REVOKE_PRINCIPAL,
            # The request id is audited here (queued) and on the linked server, naming the same revocation.
            {"subject": subject, "seq": self.next_seq(link_id), "request_id": uuid.uuid4().hex},
        )

    def unlink(self, actor: Actor | None, link_id: str) -> dict[str, Any]:
        """Tell the linked server that this server removed the link (called once it is removed here)."""
        return self._queue(actor, link_id, UNLINK, {})

    def _queue(self, actor: Actor | None, link_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        entry_id = self._add(actor, link_id, kind, body)
        self.deliver(link_id)
        with self._db.read() as conn:
            row = self._outbox.entry(conn, entry_id)
        return {"entry": entry_id, "state": row.state, "delivered": row.state == "sent"}

    def _add(self, actor: Actor | None, link_id: str, kind: str, body: dict[str, Any]) -> str:
        now = time.time()
        entry_id = uuid.uuid4().hex
        with self._db.begin() as conn:
            self._outbox.add(
                conn,
                id=entry_id,
                link_id=link_id,
                idempotency_key=uuid.uuid4().hex,
                kind=kind,
                body=json.dumps(body),
                actor=json.dumps(_who(actor)),
                created_by=actor.user_id if actor is not None else None,
                created_at=now,
                # Never reached: only settings changes expire (PeerOutboxRepository.expire); a revocation waits.
                expires_at=now + NEVER_SECONDS,
                state="pending",
                attempts=0,
            )
            self._audit.record(conn, actor, f"peer.{kind}.queued", link_id, {"entry": entry_id, **body})
        return entry_id

    def deliver(self, link_id: str) -> int:
        """Send the link's waiting revocations, oldest first; stop at the first the server does not take.
        Returns how many were settled."""
        done = 0
        with self._delivering:
            with self._db.read() as conn:
                waiting = self._outbox.pending(conn, link_id, KINDS)
                row = self._peers.link(conn, link_id)
                newer = next(
                    (
                        r.id
                        for r in self._peers.links(conn)
                        if row is not None and r.fingerprint == row.fingerprint and r.id != row.id
                    ),
                    None,
                )
            for entry in waiting:
                if newer is not None:
                    # Paired again since: the other server's link for this key is the new one, which a farewell
                    # meant for the old link must never end; a friend's revocation moves to the new link, in
                    # its own sequence.
                    self._finish(entry, "cancelled", 0, "superseded by pairing again")
                    if entry.kind == REVOKE_PRINCIPAL:
                        subject = json.loads(entry.body)["subject"]
                        self._add(
                            None, newer, REVOKE_PRINCIPAL, {"subject": subject, "seq": self.next_seq(newer)}
                        )
                    continue
                method, path, payload = _request(entry.kind, json.loads(entry.body))
                try:
                    status, answer = self._links.exchange(
                        link_id, method, path, payload, json.loads(entry.actor), removed=True
                    )
                except (Unreachable, IdentityChanged) as exc:
                    self._finish(entry, "pending", 0, str(exc)[:300])
                    break
                except NotFound:
                    status, answer = 0, {"message": "The link is no longer active here."}
                if not _taken(status, answer) and status >= 500:
                    self._finish(entry, "pending", status, f"HTTP {status}")
                    break
                message = None if _taken(status, answer) else str(answer.get("message") or f"HTTP {status}")
                self._finish(entry, "sent" if _taken(status, answer) else "refused", status, message)
                done += 1
        return done

    def waiting(self, link_id: str) -> bool:
        with self._db.read() as conn:
            return bool(self._outbox.pending(conn, link_id, KINDS))

    def _finish(self, entry: Any, state: str, status: int, message: str | None) -> None:
        values: dict[str, Any] = {"attempts": entry.attempts + 1, "last_error": message}
        if state != "pending":
            values.update(state=state, finished_at=time.time(), response_status=status or None)
        with self._db.begin() as conn:
            moved = self._outbox.finish(conn, entry.id, "pending", **values)
            if moved and state != "pending":
                detail = {"entry": entry.id, "status": status, "state": state}
                self._audit.record(conn, None, f"peer.{entry.kind}.{state}", entry.link_id, detail)

    def farewells_due(self) -> list[str]:
        """Removed links with revocations still waiting, whose next try has come (the poller asks each tick)."""
        with self._db.read() as conn:
            waiting = set(self._outbox.links_waiting(conn, KINDS))
            removed = {
                r.id
                for r in self._peers.links(conn, include_removed=True)
                if r.state != LinkState.ACTIVE.value
            }
        now = time.monotonic()
        return [i for i in sorted(waiting & removed) if self._retry.get(i, (0.0, 0.0))[0] <= now]

    def deliver_farewell(self, link_id: str) -> None:
        settled = self.deliver(link_id)
        with self._db.read() as conn:
            left = self._outbox.pending(conn, link_id, KINDS)
        if not left:
            self._retry.pop(link_id, None)
            return
        delay = (
            RETRY_SECONDS if settled else min(MAX_RETRY_SECONDS, self._retry.get(link_id, (0, 15.0))[1] * 2)
        )
        self._retry[link_id] = (time.monotonic() + delay, delay)

    # -- a linked server unlinked this one -------------------------------------------------------------------

    def accept_unlink(self, caller: Caller, evidence: dict[str, str] | None = None) -> dict[str, Any]:
        """``evidence``: the signed farewell as received, kept in the audit entry (as grants are)."""
        with self._db.begin() as conn:
            row = self._peers.link(conn, caller.link_id)
            if row is not None and row.state == LinkState.ACTIVE.value:
                self._peers.update_link(conn, row.id, state=LinkState.REVOKED_BY_PEER.value)
                deny_link(conn, row, "revoked_by_peer")
                detail: dict[str, Any] = {"server_id": row.server_id, "human": caller.actor}
                if evidence is not None:
                    detail["signed_request"] = evidence
                self._audit.record(conn, system_actor("peer"), "link.revoked_by_peer", row.id, detail, None)
        return {"ok": True}
