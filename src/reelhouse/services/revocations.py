"""Revocations over links, both ways. On this server: a federated user's access ended here (unshared, deleted,
disabled) or a link removed here must reach the linked server even while it is away. Each is written to the
outbox first (peer_outbox, kinds "revoke_principal" and "unlink") and tried at once; one the server did not take
waits, never expires, and is delivered as soon as the server answers again, before any waiting settings change
(the shared delivery loop, services/outbox_delivery.py, holds those back while a revocation waits). Each change of a federated user carries the link's next revocation_seq, so
the receiver ignores a revocation or grant older than the last it applied (FederationService.grant, revoke).

On the linked server: a peer that unlinked this one says so (DELETE /peer/v1/link), and its link here turns
"revoked by peer" at once instead of at the next failed request."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection

from reelhouse.domain.access import Actor, system_actor
from reelhouse.domain.peers import LinkState
from reelhouse.errors import NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.peer_outbox import PeerOutboxRepository
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.outbox_delivery import REVOCATIONS as KINDS
from reelhouse.services.outbox_delivery import REVOKE_PRINCIPAL as REVOKE_PRINCIPAL
from reelhouse.services.outbox_delivery import UNLINK as UNLINK
from reelhouse.services.outbox_delivery import OutboxDeliverer, Outcome
from reelhouse.services.peer_denylist import deny_link
from reelhouse.services.peer_links import LINK_GONE, Caller, PeerLinks

UNLINK_PATH = "/peer/v1/link"
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


def _settle(status: int, answer: dict[str, Any]) -> Outcome:
    """Taken: done (200), nothing there to revoke (404), or the link already gone on that side (401
    unknown_link). A server error waits for the next try; any other answer is a refusal."""
    if status in (200, 404) or (status == 401 and answer.get("error") in LINK_GONE):
        return "sent"
    return "pending" if status >= 500 else "refused"


class Revocations:
    def __init__(
        self,
        db: Database,
        peers: PeerRepository,
        outbox: PeerOutboxRepository,
        links: PeerLinks,
        audit: AuditService,
        deliverer: OutboxDeliverer,
    ) -> None:
        self._db = db
        self._peers = peers
        self._outbox = outbox
        self._links = links
        self._audit = audit
        self._deliverer = deliverer

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
        with self._deliverer.locked(link_id):
            with self._db.read() as conn:
                row = self._peers.link(conn, link_id)
                newer = next(
                    (
                        r.id
                        for r in self._peers.links(conn)
                        if row is not None and r.fingerprint == row.fingerprint and r.id != row.id
                    ),
                    None,
                )
            if newer is not None:
                self._supersede(link_id, newer)
                return 0
            return self._deliverer.deliver(link_id, KINDS, self._send, _settle, self._settled)

    def _supersede(self, link_id: str, newer: str) -> None:
        """Paired again since: the other server's link for this key is the new one, which a farewell meant for
        the old link must never end; a friend's revocation moves to the new link, in its own sequence."""
        with self._db.read() as conn:
            waiting = self._outbox.pending(conn, link_id, KINDS)
        for entry in waiting:
            self._deliverer.finish(entry, "cancelled", 0, "superseded by pairing again", self._settled)
            if entry.kind == REVOKE_PRINCIPAL:
                subject = json.loads(entry.body)["subject"]
                self._add(None, newer, REVOKE_PRINCIPAL, {"subject": subject, "seq": self.next_seq(newer)})

    def _send(self, entry: Any) -> tuple[int, dict[str, Any]]:
        method, path, payload = _request(entry.kind, json.loads(entry.body))
        try:
            return self._links.exchange(
                entry.link_id, method, path, payload, json.loads(entry.actor), removed=True
            )
        except NotFound:
            # Removed here too: refused, not waiting, since no link is left to send it over.
            return 0, {"message": "The link is no longer active here."}

    def _settled(self, conn: Connection, entry: Any, state: str, status: int) -> None:
        detail = {"entry": entry.id, "status": status, "state": state}
        self._audit.record(conn, None, f"peer.{entry.kind}.{state}", entry.link_id, detail)

    def waiting(self, link_id: str) -> bool:
        return self._deliverer.waiting(link_id, KINDS)

    def farewells_due(self) -> list[str]:
        """Removed links with revocations still waiting, whose next try has come (the poller asks each tick)."""
        with self._db.read() as conn:
            waiting = set(self._outbox.links_waiting(conn, KINDS))
            removed = {
                r.id
                for r in self._peers.links(conn, include_removed=True)
                if r.state != LinkState.ACTIVE.value
            }
        return self._deliverer.due(waiting & removed)

    def deliver_farewell(self, link_id: str) -> None:
        settled = self.deliver(link_id)
        self._deliverer.tried(link_id, settled, self.waiting(link_id))

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
