"""Remote administration over a link: a linked server's settings read and changed from this one, on a signed-in
human's behalf, and the same seen from the receiving side. The receiver checks the link's `manage` scope, then
refuses dangerous changes whatever the scopes (they need a local sign-in there), then applies the batch through
its own SettingsService, so validation and all-or-nothing are the ones its own page gets.

Both sides audit each change under one request id; the receiver keeps the signature with it, so the change can
be proved with the sender's key. A change for a server that does not answer waits in the outbox (seven days at
most, cancellable) and is delivered when the poller finds the server again; its idempotency key makes a second
delivery (an acknowledgement lost on the way back) a no-op on the receiver."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from reelhouse.domain import settings as registry
from reelhouse.domain.access import Action, Actor, Role, can, owner_scope
from reelhouse.domain.ids import UserId
from reelhouse.domain.peers import LOCAL_ONLY_SETTINGS, LinkState, PeerScope, dangerous_settings_change
from reelhouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable
from reelhouse.persistence.database import Database
from reelhouse.persistence.peer_outbox import PeerOutboxRepository
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.outbox_delivery import REVOKE_PRINCIPAL, SETTINGS, OutboxDeliverer, Outcome
from reelhouse.services.peer_links import LINK_GONE, Caller, IdentityChanged, PeerLinks, Unreachable
from reelhouse.services.settings import SettingsService

OUTBOX_DAYS = 7
SETTINGS_PATH = "/peer/v1/settings"
_MAX_CHANGES = 64


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _human(actor: Actor) -> dict[str, Any]:
    return {"user": actor.user_id, "name": actor.username, "role": actor.role.value}


@dataclass(frozen=True)
class Sent:
    """What became of a change for a linked server: applied there (200) or queued here (202)."""

    status: int
    document: dict[str, Any]


class RemoteAdmin:
    def __init__(
        self,
        db: Database,
        peers: PeerRepository,
        outbox: PeerOutboxRepository,
        links: PeerLinks,
        settings: SettingsService,
        audit: AuditService,
        deliverer: OutboxDeliverer,
    ) -> None:
        self._db = db
        self._peers = peers
        self._outbox = outbox
        self._links = links
        self._settings = settings
        self._audit = audit
        self._deliverer = deliverer

    # -- a linked server asks this one ------------------------------------------------------------------------

    def settings_document(self) -> dict[str, Any]:
        """The registry and the current values, as this server's own settings page has them; ``local_only``
        marks the settings that apply_from_link refuses whatever their value."""
        return {
            "registry": [
                {
                    "name": s.name,
                    "type": s.type,
                    "default": _jsonable(s.default),
                    "help": s.help,
                    "section": s.section,
                    "choices": list(s.choices),
                    "local_only": s.name in LOCAL_ONLY_SETTINGS,
                }
                for s in registry.REGISTRY
            ],
            "values": {k: _jsonable(v) for k, v in self._settings.values.items()},
        }

    def apply_from_link(
        self, caller: Caller, body: dict[str, Any], evidence: dict[str, str]
    ) -> dict[str, Any]:
        """``evidence``: the signed request as received (method, target URI, body, the covered headers, the
        signature input and signature), kept in the audit entry."""
        request_id, key, changes = _parse_change(body)
        human = str(caller.actor.get("name") or caller.actor.get("user") or "someone")[:64]
        via = {
            "request_id": request_id,
            "idempotency_key": key,
            "link_id": caller.link_id,
            "link": caller.name,
            "human": caller.actor,
            "signed_request": evidence,
        }
        actor = Actor(
            user_id=UserId(f"link:{caller.link_id}"),
            username=f"{human} via link {caller.name}"[:128],
            role=Role.ADMIN,
            scope=owner_scope(UserId(f"link:{caller.link_id}")),
        )
        with self._db.read() as conn:
            seen = self._outbox.received(conn, caller.link_id, key)
        if seen is not None:
            return {**json.loads(seen.answer), "repeated": True, "values": self._values()}
        dangerous = dangerous_settings_change(self._settings.values, changes)
        if dangerous is not None:
            with self._db.begin() as conn:
                self._audit.record(
                    conn,
                    actor,
                    "settings.refused_over_link",
                    None,
                    {**via, "changes": changes, "why": dangerous},
                )
            name = self._settings.get("server_name")
            raise PermissionDenied(
                f"That change needs a local sign-in on {name}: it is never made over a link, whatever the "
                "link allows."
            )
        answer = {"request_id": request_id, "idempotency_key": key}

        def remember(conn: Connection) -> None:
            self._outbox.note_received(
                conn,
                link_id=caller.link_id,
                idempotency_key=key,
                request_id=request_id,
                received_at=time.time(),
                answer=json.dumps(answer),
            )

        self._settings.apply(actor, changes, None, via=via, within=remember)
        return {**answer, "repeated": False, "values": self._values()}

    def _values(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self._settings.values.items()}

    # -- this server asks a linked one ------------------------------------------------------------------------

    def _link(self, actor: Actor, link_id: str) -> Any:
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can manage linked servers.")
        with self._db.read() as conn:
            row = self._peers.link(conn, link_id)
        if row is None or row.state == LinkState.REMOVED.value:
            raise NotFound("No such linked server.")
        if row.state != LinkState.ACTIVE.value:
            raise Conflict(f"{row.name} cannot be reached over its link ({row.state.replace('_', ' ')}).")
        if PeerScope.MANAGE.value not in json.loads(row.scopes_from_peer):
            raise PermissionDenied(f"The link to {row.name} does not let this server manage its settings.")
        return row

    def remote_settings(self, actor: Actor, link_id: str) -> dict[str, Any]:
        row = self._link(actor, link_id)
        try:
            status, answer = self._links.exchange(link_id, "GET", SETTINGS_PATH, None, _human(actor))
        except Unreachable:
            raise Unavailable(f"{row.name} is not answering; its settings cannot be read now.", 30) from None
        except IdentityChanged:
            raise Conflict(f"{row.name} answered with another key: re-pair before managing it.") from None
        _raise_for(row.name, status, answer)
        return answer

    def change_remote(self, actor: Actor, link_id: str, changes: dict[str, Any]) -> Sent:
        row = self._link(actor, link_id)
        if not isinstance(changes, dict) or not changes or len(changes) > _MAX_CHANGES:
            raise InvalidInput("Send between 1 and 64 settings to change.", "values")
        key = uuid.uuid4().hex
        request_id = uuid.uuid4().hex
        body = {"request_id": request_id, "idempotency_key": key, "changes": changes}
        try:
            status, answer = self._links.exchange(link_id, "PATCH", SETTINGS_PATH, body, _human(actor))
        except IdentityChanged:
            raise Conflict(f"{row.name} answered with another key: re-pair before managing it.") from None
        except Unreachable as exc:
            return Sent(202, self._queue(actor, row, key, changes, str(exc)))
        with self._db.begin() as conn:
            self._record_sent(conn, actor, row, request_id, key, changes, status)
        _raise_for(row.name, status, answer)
        return Sent(200, answer)

    def _record_sent(
        self,
        conn: Connection,
        actor: Actor | None,
        row: Any,
        request_id: str,
        key: str,
        changes: dict[str, Any],
        status: int,
        human: dict[str, Any] | None = None,
    ) -> None:
        """The sender's half of the record; a queued change is sent by the server itself, for ``human``."""
        self._audit.record(
            conn,
            actor,
            "peer.settings.change",
            row.id,
            {
                "request_id": request_id,
                "idempotency_key": key,
                "link": row.name,
                "changes": changes,
                "status": status,
                "human": human if human is not None else _human(actor) if actor else None,
            },
        )

    def _queue(self, actor: Actor, row: Any, key: str, changes: dict[str, Any], why: str) -> dict[str, Any]:
        now = time.time()
        entry = {
            "id": uuid.uuid4().hex,
            "link_id": row.id,
            "idempotency_key": key,
            "kind": SETTINGS,
            "body": json.dumps(changes),
            "actor": json.dumps(_human(actor)),
            "created_by": actor.user_id,
            "created_at": now,
            "expires_at": now + OUTBOX_DAYS * 86400,
            "state": "pending",
            "attempts": 1,
            "last_error": why[:300],
        }
        with self._db.begin() as conn:
            self._outbox.add(conn, **entry)
            self._audit.record(
                conn,
                actor,
                "peer.settings.queued",
                row.id,
                {"idempotency_key": key, "link": row.name, "changes": changes},
            )
            stored = self._outbox.entry(conn, entry["id"])
        return _entry_out(stored)

    def revocations_waiting(self, actor: Actor) -> dict[str, int]:
        """Per link, the friends' revocations queued here that the linked server has not taken yet: the
        Servers page shows them, so an owner sees that a friend may still sign in there until it answers."""
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can manage linked servers.")
        with self._db.read() as conn:
            return self._outbox.pending_counts(conn, (REVOKE_PRINCIPAL,))

    def outbox(self, actor: Actor, link_id: str) -> list[dict[str, Any]]:
        self._link_seen(actor, link_id)
        with self._db.begin() as conn:
            self._outbox.expire(conn, time.time())
            return [_entry_out(r) for r in self._outbox.entries(conn, link_id)]

    def cancel(self, actor: Actor, link_id: str, entry_id: str) -> dict[str, Any]:
        self._link_seen(actor, link_id)
        with self._db.begin() as conn:
            self._outbox.expire(conn, time.time())
            row = self._outbox.entry(conn, entry_id)
            if row is None or row.link_id != link_id:
                raise NotFound("No such pending change.")
            if row.kind != SETTINGS:
                raise Conflict("A revocation is never cancelled: it reaches the server whenever it answers.")
            if not self._outbox.finish(conn, entry_id, "pending", state="cancelled", finished_at=time.time()):
                raise Conflict(f"This change is already {row.state}; only a pending one can be cancelled.")
            self._audit.record(
                conn, actor, "peer.settings.cancelled", link_id, {"idempotency_key": row.idempotency_key}
            )
            return _entry_out(self._outbox.entry(conn, entry_id))

    def _link_seen(self, actor: Actor, link_id: str) -> None:
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can manage linked servers.")
        with self._db.read() as conn:
            if self._peers.link(conn, link_id) is None:
                raise NotFound("No such linked server.")

    def deliver(self, link_id: str) -> int:
        """Send a linked server the changes waiting for it, oldest first; stop at the first it does not answer.
        Called by the poller once the server answers again; nothing goes while a revocation still waits for it.
        Returns how many it took or refused."""
        with self._db.begin() as conn:
            self._outbox.expire(conn, time.time())
            row = self._peers.link(conn, link_id)
        sent: dict[str, dict[str, Any]] = {}  # entry → the body sent, under a request id of this delivery

        def send(entry: Any) -> tuple[int, dict[str, Any]]:
            body = {
                "request_id": uuid.uuid4().hex,
                "idempotency_key": entry.idempotency_key,
                "changes": json.loads(entry.body),
            }
            sent[entry.id] = body
            return self._links.exchange(link_id, "PATCH", SETTINGS_PATH, body, json.loads(entry.actor))

        def settled(conn: Connection, entry: Any, state: str, status: int) -> None:
            body = sent[entry.id]
            human = json.loads(entry.actor)
            key = entry.idempotency_key
            self._record_sent(conn, None, row, body["request_id"], key, body["changes"], status, human)

        return self._deliverer.deliver(link_id, (SETTINGS,), send, _settle, settled)


def _settle(status: int, answer: dict[str, Any]) -> Outcome:
    """A queued settings change is taken only with a 200; any other answer refuses it for good."""
    return "sent" if status == 200 else "refused"


def _parse_change(body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    request_id, key, changes = body.get("request_id"), body.get("idempotency_key"), body.get("changes")
    if not isinstance(request_id, str) or not 8 <= len(request_id) <= 64:
        raise InvalidInput("A change over a link carries a request id.", "request_id")
    if not isinstance(key, str) or not 8 <= len(key) <= 64:
        raise InvalidInput("A change over a link carries an idempotency key.", "idempotency_key")
    if not isinstance(changes, dict) or not changes or len(changes) > _MAX_CHANGES:
        raise InvalidInput("Send between 1 and 64 settings to change.", "changes")
    return request_id, key, changes


def _raise_for(name: str, status: int, answer: dict[str, Any]) -> None:
    """A linked server's refusal, as this server's own error: never a 500."""
    if status == 200:
        return
    message = str(answer.get("message") or "")[:300]
    if status == 403:
        raise PermissionDenied(f"{name} refused: {message}")
    if status in (400, 422):
        fields = answer.get("fields")
        raise InvalidInput(f"{name} refused: {message}", fields if isinstance(fields, dict) else None)
    if status == 401 and answer.get("error") in LINK_GONE:
        raise PermissionDenied(f"{name} no longer has a link with this server: it was unlinked there.")
    if status == 401 and answer.get("error") == "clock_skew":
        raise Unavailable(f"{name} refused the request because the two clocks differ too much: {message}", 60)
    raise Unavailable(f"{name} answered HTTP {status}: {message}", 30)


def _entry_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "link_id": row.link_id,
        "kind": row.kind,
        "idempotency_key": row.idempotency_key,
        "changes": json.loads(row.body),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "response_status": row.response_status,
    }
