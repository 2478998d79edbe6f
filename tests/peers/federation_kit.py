"""Two linked servers and a friend, for the federated sign-in tests: home (the friend's server) and away (the
linked server sharing a library), and the steps of signing in with home."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from reelhouse.domain.access import system_actor
from tests.harness import Answer, Client, RunningServer
from tests.peers.test_pairing_servers import listening

OWNER = system_actor("test")


@dataclass
class World:
    home: RunningServer
    away: RunningServer
    on_home: str  # away's link id on home
    on_away: str  # home's link id on away
    owner: Client  # home's owner
    frank: Client  # a friend: a member of home
    frank_id: str
    shared: str  # library ids on away
    private: str


def pair(home: RunningServer, away: RunningServer) -> tuple[str, str]:
    issued = away.server.peering.issue_code(OWNER)
    listening(away)
    on_home = home.server.peering.dial(OWNER, issued.link).id
    mine = home.server.peering.identity.fingerprint
    (on_away,) = [link.id for link in away.server.peering.links() if link.fingerprint == mine]
    return on_home, on_away


def libraries(away: RunningServer, root: Path) -> tuple[str, str]:
    ids = []
    for name in ("Shared Films", "Private Films"):
        (root / name).mkdir(parents=True)
        ids.append(away.server.services.libraries.add(OWNER, name, "movies", [str(root / name)]).id)
    return ids[0], ids[1]


def share(world: World, libraries: list[str], link: str | None = None) -> Answer:
    path = f"/api/servers/{link or world.on_home}/principals/{world.frank_id}"
    return world.owner.request("PUT", path, body={"libraries": libraries})


def nonce_of(server: RunningServer) -> dict[str, str]:
    answer = server.anonymous().get("/api/auth/federated/nonce")
    assert answer.status == 200, answer.body
    found: dict[str, str] = answer.json()
    return found


def token_from_home(world: World, nonce: str, link: str | None = None) -> str:
    answer = world.frank.post(f"/api/servers/{link or world.on_home}/token", {"nonce": nonce})
    assert answer.status == 200, answer.body
    token: str = answer.json()["token"]
    return token


def present(server: RunningServer, token: str) -> Answer:
    return server.anonymous().post("/api/auth/federated", {"token": token})


def forge(world: World, nonce: str | None = None, key: Any = None, **changes: Any) -> str:
    """A token signed with home's peer key (or ``key``), valid unless ``changes`` say otherwise."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": world.home.server.peering.identity.fingerprint,
        "sub": world.frank_id,
        "aud": world.away.server.peering.identity.fingerprint,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(16),
        "nonce": nonce or nonce_of(world.away)["nonce"],
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key or world.home.server.peering.identity.key, algorithm="EdDSA")
