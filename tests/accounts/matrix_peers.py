"""The authorization matrix's callers from other servers (design test 27): a paired peer holding a set of link
scopes, which signs its requests with its peer key, and a federated user, a friend of that peer who signed in
here with a token from it. Both come from a second real server, "home", paired with the matrix's server.

A peer's signature is no credential on the web ports, so there it is answered as anonymous; on the peer
listener each route answers it as the table's can() says for its scopes. A federated user is granted exactly
what member_with has; its session is device-like, so a route reserved to a password sign-in refuses it, and it
has no music app key (making one needs a password sign-in)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelhouse.domain.peers import LinkAccess, PeerScope
from reelhouse.domain.ratings import rank
from reelhouse.services.peer_identity import PeerIdentity
from reelhouse.services.peer_signing import sign_request
from reelhouse.web.peer_api import PEER_ROUTES
from tests.harness import Answer, Client, RunningServer
from tests.peers.federation_kit import pair
from tests.peers.signed_kit import call, concrete
from tests.peers.test_pairing_servers import listening
from tests.postgres import exec_sql

FEDERATED = "federated"
PEER = "peer"
# Representative link scope sets: none, each alone, all (tests/peers/test_scope_matrix.py walks every set).
PEER_SCOPE_SETS = [
    frozenset[str](),
    *(frozenset({s.value}) for s in PeerScope),
    frozenset(s.value for s in PeerScope),
]


@dataclass
class SigningClient(Client):
    """A client whose every request carries a paired server's RFC 9421 signature, as on the peer listener."""

    identity: PeerIdentity | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        assert self.identity is not None
        payload = raw if body is None else json.dumps(body).encode()
        url = f"http://{self.host}:{self.port}{path}"
        signed = sign_request(self.identity.key, self.identity.fingerprint, method, url, payload or b"", {})
        return super().request(method, path, body=body, headers={**signed, **(headers or {})}, raw=raw)


class Home:
    """A second server paired with the matrix's server (``away``): the peer, and the federated user's home."""

    def __init__(self, away: RunningServer, root: Path) -> None:
        self.away = away
        self.server = RunningServer(root / "home", peer_port=0)
        self.on_home, self.on_away = pair(self.server, away)
        self.frank_id: str | None = None

    def stop(self) -> None:
        self.server.stop()

    def peer_client(self, scopes: frozenset[str]) -> SigningClient:
        self.grant(scopes)
        return SigningClient(self.away.port, identity=self.server.server.peering.identity)

    def grant(self, scopes: frozenset[str]) -> None:
        """What home's link may do on the matrix's server (read per request)."""
        with self.away.server.db.begin() as conn:
            exec_sql(
                conn,
                "UPDATE peer_links SET scopes_to_peer = ?, state = 'active' WHERE id = ?",
                json.dumps(sorted(scopes)),
                self.on_away,
            )
            # DELETE /peer/v1/link denied home's key; standing in for pairing again, the reset lifts that too.
            conn.exec_driver_sql("DELETE FROM peer_denied_keys")

    def federated_token(self, libraries: list[str]) -> str:
        """Frank of home, shared the matrix server's ``libraries`` and member_with's limits, signed in there
        (again after a route signed him out)."""
        if self.frank_id is None:
            self.frank_id = self.server.create_user("frank")
            limits = {"may_download": True, "max_rating": {"movies": rank("PG")}}
            shared = self.server.owner().request(
                "PUT",
                f"/api/servers/{self.on_home}/principals/{self.frank_id}",
                body={"libraries": libraries, "limits": limits},
            )
            assert shared.status == 200, shared.body
        nonce = self.away.anonymous().get("/api/auth/federated/nonce").json()["nonce"]
        frank = self.server.sign_in("frank")
        token = frank.post(f"/api/servers/{self.on_home}/token", {"nonce": nonce}).json()["token"]
        signed_in = self.away.anonymous().post("/api/auth/federated", {"token": token})
        assert signed_in.status == 200, signed_in.body
        session: str = signed_in.json()["token"]
        return session

    def peer_routes_answer(self, scopes: frozenset[str]) -> list[str]:
        """Every signed route of the peer listener, asked by home holding ``scopes``: what went wrong."""
        port = listening(self.away)
        wrong = []
        for route in PEER_ROUTES:
            if route.needs is LinkAccess.PAIRING:
                continue
            self.grant(scopes)
            body = b"{}" if route.method != "GET" else b""
            status, said = call(
                port, route.method, concrete(route), body, self.server.server.peering.identity
            )
            allowed = route.can(frozenset(PeerScope(s) for s in scopes))
            if (status in (401, 403)) if allowed else status != 403:
                wrong.append(f"{route.method} {route.path} with {sorted(scopes)}: {status} {said}")
        self.grant(scopes)
        return wrong
