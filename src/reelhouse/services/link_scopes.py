"""Settings → Linked servers: the owner changes a link's scopes, here and only here (never over a link).

Both directions may be narrowed at once. What the other server may do here is this server's to give: narrowing
it applies to that server's next request, and giving more back needs the owner's password (and second factor)
again, a fresh local sign-in. What this server may do there is that server's grant, recorded at pairing:
narrowing it here means this server stops asking (its own calls check the record first); it can never be
widened from this side, only by linking again with a new code."""

from __future__ import annotations

import json

from reelhouse.domain.access import Actor
from reelhouse.domain.peers import LinkState, PeerScope, parse_scopes
from reelhouse.errors import Conflict, InvalidInput, NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.peering import Link, PeeringService


def _dump(scopes: frozenset[PeerScope]) -> str:
    return json.dumps(sorted(s.value for s in scopes))


class LinkScopes:
    def __init__(
        self, db: Database, repo: PeerRepository, audit: AuditService, peering: PeeringService
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._peering = peering

    def change(
        self,
        actor: Actor,
        link_id: str,
        to_peer: list[str],
        from_peer: list[str],
        password: str | None,
        address: str | None,
        totp: str | None = None,
    ) -> Link:
        self._peering.owner_only(actor)
        wanted_to, wanted_from = parse_scopes(to_peer), parse_scopes(from_peer)
        with self._db.read() as conn:
            row = self._repo.link(conn, link_id[:64])
        if row is None or row.state == LinkState.REMOVED.value:
            raise NotFound("No such linked server.")
        before_to = frozenset(PeerScope(s) for s in json.loads(row.scopes_to_peer))
        before_from = frozenset(PeerScope(s) for s in json.loads(row.scopes_from_peer))
        if wanted_from - before_from:
            raise Conflict(
                f"What this server may do on {row.name} is {row.name}'s to give: link the servers again with a "
                "new code to get more."
            )
        if wanted_to - before_to:
            if not password:
                raise InvalidInput("Giving a linked server more needs your password again.", "password")
            self._peering.confirm_owner(actor, password, address, totp)
        with self._db.begin() as conn:
            # Read again inside the write: a concurrent unlinking wins.
            row = self._repo.link(conn, row.id)
            if row is None or row.state == LinkState.REMOVED.value:
                raise NotFound("No such linked server.")
            self._repo.update_link(
                conn, row.id, scopes_to_peer=_dump(wanted_to), scopes_from_peer=_dump(wanted_from)
            )
            self._audit.record(
                conn,
                actor,
                "link.scopes",
                row.id,
                {
                    "server_id": row.server_id,
                    "to_peer": [sorted(s.value for s in before_to), sorted(s.value for s in wanted_to)],
                    "from_peer": [sorted(s.value for s in before_from), sorted(s.value for s in wanted_from)],
                },
                None,
            )
        found = self._peering.link(row.id)
        assert found is not None
        return found
