"""Every route × every kind of caller: the expected answer, and nothing protected in bodies or headers.

A new route fails this test until EXPECTED says who may use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import Role, system_actor
from reelhouse.domain.ratings import rank
from reelhouse.web.routes import ROUTES
from reelhouse.web.routing import Route
from tests.accounts.conftest import PASSWORD
from tests.catalogue_factory import Row, add_rows
from tests.harness import Answer, Client, RunningServer

PERSONAS = ("anonymous", "member_without", "member_with", "managed", "admin", "owner")

# What each persona gets, per kind of route. "ok" means past authorization: any answer but 401/403.
PUBLIC = dict.fromkeys(PERSONAS, "ok")
USER = {**dict.fromkeys(PERSONAS, "ok"), "anonymous": "401"}
ADMIN = {
    "anonymous": "401",
    "member_without": "403",
    "member_with": "403",
    "managed": "403",
    "admin": "ok",
    "owner": "ok",
}
# Library- or item-scoped: a caller without the grant gets the same 404 as for something that does not exist.
SCOPED = {**USER, "member_without": "404", "managed": "404"}
DOWNLOAD = {**ADMIN, "member_with": "ok"}
# Media fetched by players: public routes that need a signed grant, so a forged one gets nobody anything.
GRANTED = dict.fromkeys(PERSONAS, "refused")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/setup"): PUBLIC,
    ("POST", "/api/setup"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("GET", "/api/auth/profiles"): PUBLIC,
    ("POST", "/api/auth/profile"): PUBLIC,
    ("POST", "/api/auth/logout"): USER,
    ("GET", "/api/me"): USER,
    ("GET", "/api/account"): USER,
    ("GET", "/api/account/sessions"): USER,
    ("DELETE", "/api/account/sessions/{session_id}"): USER,
    ("POST", "/api/account/sessions/revoke-all"): USER,
    ("POST", "/api/account/tokens"): USER,
    ("POST", "/api/account/password"): USER,
    ("POST", "/api/account/2fa"): USER,
    ("POST", "/api/account/2fa/confirm"): USER,
    ("POST", "/api/account/2fa/disable"): USER,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{user_id}"): ADMIN,
    ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("DELETE", "/api/users/{user_id}"): ADMIN,
    ("POST", "/api/users/{user_id}/password"): ADMIN,
    ("POST", "/api/users/{user_id}/pin"): ADMIN,
    ("GET", "/api/labels"): ADMIN,
    ("POST", "/api/invitations"): ADMIN,
    ("GET", "/api/invitations"): ADMIN,
    ("DELETE", "/api/invitations/{invitation_id}"): ADMIN,
    ("POST", "/api/invitations/check"): PUBLIC,
    ("POST", "/api/invitations/redeem"): PUBLIC,
    ("GET", "/api/libraries"): USER,
    ("POST", "/api/libraries"): ADMIN,
    ("GET", "/api/libraries/{library_id}"): SCOPED,
    ("DELETE", "/api/libraries/{library_id}"): ADMIN,
    ("GET", "/api/libraries/{library_id}/items"): SCOPED,
    ("GET", "/api/libraries/{library_id}/genres"): SCOPED,
    ("POST", "/api/libraries/{library_id}/scan"): ADMIN,
    ("GET", "/api/libraries/{library_id}/scan"): SCOPED,
    ("GET", "/api/items/{item_id}"): SCOPED,
    ("GET", "/api/items/{item_id}/children"): SCOPED,
    ("GET", "/api/items/{item_id}/artwork/{kind}"): SCOPED,
    ("GET", "/api/search"): USER,
    ("GET", "/api/recent"): USER,
    ("POST", "/api/items/{item_id}/playback"): SCOPED,
    ("GET", "/api/items/{item_id}/stream"): GRANTED,
    ("GET", "/api/items/{item_id}/audio"): GRANTED,
    ("GET", "/api/items/{item_id}/download"): DOWNLOAD,
    ("GET", "/api/hls/{session_id}/master.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/video.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/{number}.ts"): GRANTED,
    ("DELETE", "/api/hls/{session_id}"): USER,
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"): GRANTED,
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"): GRANTED,
    ("GET", "/api/items/{item_id}/photo"): SCOPED,
    ("GET", "/api/items/{item_id}/subtitles/{subtitle_id}.vtt"): SCOPED,
    ("GET", "/api/items/{item_id}/playstate"): SCOPED,
    ("PUT", "/api/items/{item_id}/playstate"): SCOPED,
    ("PUT", "/api/items/{item_id}/watched"): SCOPED,
    ("GET", "/api/continue-watching"): USER,
    ("GET", "/api/items/{item_id}/next"): SCOPED,
    ("GET", "/api/server"): USER,
    ("GET", "/api/settings"): ADMIN,
    ("PATCH", "/api/settings"): ADMIN,
    ("GET", "/api/settings/registry"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/openapi.json"): USER,
    ("GET", "/api/privacy"): ADMIN,
    ("GET", "/api/certificate"): USER,
    ("PUT", "/api/certificate"): ADMIN,
    ("DELETE", "/api/certificate"): ADMIN,
    ("GET", "/"): PUBLIC,
    ("GET", "/invite"): PUBLIC,
    ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/static/vendor/{name}"): PUBLIC,
}

MISSING = "AAAAAAAAAAAAAAAAAAAAAA"
QUERIES = {"/api/search": "?q=secret", "/api/audit": "?limit=5"}
# Valid bodies where the scope check comes after validation; every other write gets {}.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/items/{item_id}/playstate"): {"position": 1.0},
    ("PUT", "/api/items/{item_id}/watched"): {"watched": True},
}
SECRET_TITLE = "Secret Sunset Picture"


def test_every_route_has_a_declared_expectation() -> None:
    assert set(EXPECTED) == {route.key for route in ROUTES}


def test_public_expectations_match_public_routes() -> None:
    for route in ROUTES:
        public = route.access.value == "public"
        assert public == (EXPECTED[route.key] in (PUBLIC, GRANTED)), route.key


class World:
    def __init__(self, running: RunningServer, tmp_path: Path) -> None:
        self.running = running
        root = tmp_path / "films"
        root.mkdir()
        self.library = running.server.services.libraries.add(
            system_actor(), "Films", "movies", [str(root)]
        ).id
        poster = tmp_path / "p.png"
        poster.write_bytes(b"\x89PNG\r\n\x1a\n")
        self.item = Row(
            SECRET_TITLE, content_rating="PG", poster=str(poster), path=str(root / "a.mkv"), size=1
        )
        add_rows(running.server.db, self.library, [self.item])
        running.create_user("owner", Role.OWNER)
        running.create_user("admin", Role.ADMIN)
        accounts = running.server.services.accounts
        users = running.server.services.users
        assert users is not None
        for name, grants in (
            ("member_without", {"libraries": []}),
            (
                "member_with",
                {"libraries": [self.library], "may_download": True, "max_rating": {"movies": rank("PG")}},
            ),
        ):
            accounts.create_user(system_actor(), name, Role.MEMBER, PASSWORD, grants=grants)
        self.managed_id = accounts.create_user(
            system_actor(), "managed", Role.MANAGED, None, grants={"libraries": []}
        )
        self.tokens: dict[str, str | None] = {"anonymous": None}
        self.secrets = {SECRET_TITLE, "Films"}

    def client(self, persona: str) -> Client:
        if persona not in self.tokens:
            if persona == "managed":
                answer = self.running.anonymous().post("/api/auth/profile", {"user_id": self.managed_id})
            else:
                answer = self.running.anonymous().post(
                    "/api/auth/login", {"username": persona, "password": PASSWORD}
                )
            assert answer.status == 200, answer.body
            self.tokens[persona] = answer.json()["token"]
            self.secrets.add(answer.json()["token"])
        return Client(self.running.port, token=self.tokens[persona])

    def forget_if_signed_out(self, persona: str) -> None:
        token = self.tokens.get(persona)
        if token and Client(self.running.port, token=token).get("/api/me").status == 401:
            del self.tokens[persona]

    def path(self, route: Route) -> str:
        values = {
            "library_id": self.library,
            "item_id": self.item.id,
            "kind": "poster",
            "name": "app.js",
            "session_id": MISSING,
            "user_id": MISSING,
            "invitation_id": MISSING,
            "number": "0",
            "subtitle_id": MISSING,
        }
        path = route.path
        for key, value in values.items():
            path = path.replace("{" + key + "}", value)
        if EXPECTED[route.key] is GRANTED:
            return path + "?grant=forged.grant"
        return path + QUERIES.get(route.path, "")


@pytest.fixture
def world(running: RunningServer, tmp_path: Path) -> Iterator[World]:
    yield World(running, tmp_path)


def _check(world: World, route: Route, persona: str, answer: Answer) -> None:
    expected = EXPECTED[route.key][persona]
    label = f"{route.method} {route.path} as {persona}: {answer.status} {answer.body[:200]!r}"
    if expected == "ok":
        assert answer.status not in (401, 403), label
    elif expected == "refused":
        assert answer.status in (401, 403, 404, 422), label
    else:
        assert answer.status == int(expected), label
    if answer.status >= 400 or persona in ("anonymous", "member_without", "managed"):
        shown = answer.body.decode("utf-8", "replace") + "".join(
            f"{k}: {v}\n" for k, v in answer.headers.items()
        )
        own = world.tokens.get(persona)
        leaked = [s for s in world.secrets if s in shown and s != own]
        # The page shell and static files are the same for everyone and name no library data.
        assert not leaked, f"{label} leaks {leaked}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_route_table_answers_each_persona_as_declared(world: World, persona: str) -> None:
    # Writes go last so that a revoked session or changed password does not colour the reads.
    order = sorted(ROUTES, key=lambda r: (r.method != "GET", r.path))
    for route in order:
        client = world.client(persona) if persona != "anonymous" else world.running.anonymous()
        body = BODIES.get(route.key, {}) if route.body is not None else None
        answer = client.request(route.method, world.path(route), body=body)
        _check(world, route, persona, answer)
        if persona != "anonymous":
            world.forget_if_signed_out(persona)
