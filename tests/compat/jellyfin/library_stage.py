"""A running server with movies, shows and music written straight into its catalogue, and a restricted member,
for browsing through the Jellyfin-compatible API. Callers use ordinary session tokens in Jellyfin's slots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from reelhouse.domain.access import Role, system_actor
from reelhouse.domain.ratings import rank
from reelhouse.persistence.schema import items, users
from reelhouse.web.compat.jellyfin.ids import from_jellyfin, to_jellyfin
from tests.catalogue_factory import Row, add_rows
from tests.harness import Answer, Client, RunningServer

BASE = "/jellyfin"
APP_HEADER = 'MediaBrowser Client="tests", Device="box", DeviceId="box-1", Version="1.0"'


@dataclass
class Stage:
    server: RunningServer
    libraries: dict[str, str]  # name → Reelhouse id
    ids: dict[str, str]  # title → Reelhouse id
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{BASE}"

    def jid(self, title: str) -> str:
        return to_jellyfin(self.ids[title])

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = self.server.sign_in(username).token or ""
        return self.tokens[username]

    def user_jid(self, username: str) -> str:
        with self.server.server.db.read() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        return to_jellyfin(user_id)

    def app(self, username: str) -> JellyfinCaller:
        return JellyfinCaller(Client(self.server.port), self.token(username))

    def own_api(self, username: str) -> Client:
        return Client(self.server.port, token=self.token(username))


@dataclass
class JellyfinCaller:
    """Raw requests as an app sends them: the app header, the token in X-Emby-Token, paths under /jellyfin."""

    client: Client
    token: str

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        headers = {"Authorization": APP_HEADER, "X-Emby-Token": self.token}
        return self.client.request(method, BASE + path, body=body, headers=headers)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def json(self, path: str) -> Any:
        answer = self.get(path)
        assert answer.status == 200, (path, answer.status, answer.body)
        return answer.json()


def _movies() -> list[Row]:
    crash = Row("Crash Course", year=2004, content_rating="R", genres=("Drama",))
    return [
        Row("Arrival", year=2016, content_rating="PG-13", genres=("Drama", "Science Fiction"), rating=7.9),
        Row("Brave", year=2012, content_rating="PG", genres=("Animation",), rating=7.1),
        crash,
        Row("Crash Course Featurette", kind="extra", parent_id=crash.id, top_id=crash.id),
        Row("Dune Sketch", year=2021, genres=("Science Fiction",)),
        Row("Gory Tale", year=1999, content_rating="PG", tags=("gore",), genres=("Horror",)),
    ]


def _show(title: str, seasons: dict[int, int], tags: tuple[str, ...] = ()) -> list[Row]:
    show = Row(title, kind="show", year=2019, content_rating="TV-PG", tags=tags, genres=("Drama",))
    rows = [show]
    for number, count in seasons.items():
        season = Row(f"{title} Season {number}", kind="season", parent_id=show.id, top_id=show.id, idx=number)
        rows.append(season)
        for episode in range(1, count + 1):
            rows.append(
                Row(
                    f"{title} S{number}E{episode}",
                    kind="episode",
                    parent_id=season.id,
                    top_id=show.id,
                    idx=episode,
                    parent_idx=number,
                )
            )
    return rows


def _artist(name: str, albums: dict[str, int]) -> list[Row]:
    artist = Row(name, kind="artist", genres=("Jazz",))
    rows = [artist]
    for album_title, count in albums.items():
        album = Row(album_title, kind="album", parent_id=artist.id, top_id=artist.id, year=2001)
        rows.append(album)
        for track in range(1, count + 1):
            rows.append(
                Row(
                    f"{album_title} Track {track}",
                    kind="track",
                    parent_id=album.id,
                    top_id=artist.id,
                    idx=track,
                    parent_idx=1,
                )
            )
    return rows


DURATIONS = {"movie": 6000.0, "episode": 1500.0, "track": 200.0}


def build(data_dir: Path) -> Stage:
    server = RunningServer(data_dir / "data")
    services = server.server.services
    libraries: dict[str, str] = {}
    ids: dict[str, str] = {}
    catalogue = {
        "Movies": ("movies", _movies()),
        "Shows": ("shows", _show("Ocean Watch", {1: 2, 2: 1}) + _show("Grim Hall", {1: 1}, ("gore",))),
        "Music": ("music", _artist("Night River", {"Stone Garden": 2}) + _artist("Glass City", {"Paper": 1})),
    }
    for name, (kind, rows) in catalogue.items():
        root = data_dir / name.lower()
        root.mkdir()
        library = services.libraries.add(system_actor("test"), name, kind, [str(root)])
        libraries[name] = library.id
        add_rows(server.server.db, library.id, rows)
        ids.update({row.title: row.id for row in rows})
    with server.server.db.begin() as conn:
        for kind, seconds in DURATIONS.items():
            conn.execute(update(items).where(items.c.kind == kind).values(duration=seconds))
        # As a scan leaves them: children carry their top item's rating rank.
        top = items.alias("top")
        top_rank = select(top.c.rating_rank).where(top.c.id == items.c.top_id).scalar_subquery()
        conn.execute(update(items).where(items.c.id != items.c.top_id).values(rating_rank=top_rank))
    server.create_user("owner", role=Role.OWNER)
    server.create_user("alice")
    return Stage(server, libraries, ids)


def restrict(stage: Stage, username: str, **grants: Any) -> None:
    """Change a member's grants in place, as an admin's edit would."""
    with stage.server.server.db.begin() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).one()
        merged = {**json.loads(row.grants or "{}"), **grants}
        conn.execute(update(users).where(users.c.id == row.id).values(grants=json.dumps(merged)))


def restrict_alice(stage: Stage) -> None:
    """Two of three libraries, movies up to PG-13, nothing labelled "gore"."""
    restrict(
        stage,
        "alice",
        libraries=[stage.libraries["Movies"], stage.libraries["Shows"]],
        max_rating={"movies": rank("PG-13")},
        blocked_labels=["gore"],
    )


def reelhouse_ids(jellyfin_items: list[dict[str, Any]]) -> set[str]:
    return {from_jellyfin(item["Id"]) for item in jellyfin_items}


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    built = build(tmp_path)
    try:
        yield built
    finally:
        built.server.stop()
