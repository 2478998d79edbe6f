"""A restricted viewer never sees a title before its rating and labels are written, nor one rated in a way the
parser does not know: checked through a real server while it scans."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.access import Role
from reelhouse.scanner import reconcile, runner
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit

# Whatever the rating says, a viewer capped at PG-13 who blocks "gore" may see none of these.
HIDDEN_RATINGS = ("Rated R", "US:Rated R", "de/FSK 16", "TV-MA", "NC-17", "AU:R18+", "Banned in Narnia")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def _nfo(root: str, title: str, rating: str, tags: tuple[str, ...] = ()) -> str:
    labels = "".join(f"<tag>{t}</tag>" for t in tags)
    return f"<{root}><title>{title}</title><mpaa>{rating}</mpaa>{labels}</{root}>"


def _movie(kit: MediaKit, root: Path, title: str, rating: str, tags: tuple[str, ...] = ()) -> None:
    folder = root / f"{title} (2001)"
    kit.video_at(folder / f"{title} (2001).mp4")
    (folder / f"{title} (2001).nfo").write_text(_nfo("movie", title, rating, tags), encoding="utf-8")


def _show(kit: MediaKit, root: Path, show: str, rating: str | None, season: int, episodes: range) -> None:
    folder = root / show
    if rating is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tvshow.nfo").write_text(_nfo("tvshow", show, rating), encoding="utf-8")
    for n in episodes:
        name = f"{show} - S{season:02d}E{n:02d} - {show.split()[0]} Night {n}.mkv"
        kit.video_at(folder / f"Season {season:02d}" / name)


def _library(owner: Client, name: str, kind: str, root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    answer = owner.post("/api/libraries", {"name": name, "kind": kind, "paths": [str(root)]})
    assert answer.status == 201, answer.body
    library_id: str = answer.json()["id"]
    _wait(owner, library_id)
    return library_id


def _wait(owner: Client, library_id: str, timeout: float = 180.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, object] = owner.get(f"/api/libraries/{library_id}/scan").json()
        if not state["running"]:
            return state
        time.sleep(0.1)
    raise AssertionError("scan did not finish")


def _member(running: RunningServer, owner: Client) -> Client:
    user_id = running.create_user("kid")
    grants = {"max_rating": {"movies": 13, "shows": 13}, "blocked_labels": ["gore"]}
    answer = owner.request("PATCH", f"/api/users/{user_id}", {"grants": grants})
    assert answer.status == 200, answer.body
    return running.sign_in("kid")


def _seen(member: Client, movies: str, shows: str) -> set[str]:
    paths = [
        f"/api/libraries/{movies}/items?limit=500",
        f"/api/libraries/{shows}/items?limit=500",
        f"/api/libraries/{shows}/items?limit=500&kind=episode",
        "/api/search?q=night&limit=200",
        "/api/search?q=film&limit=200",
        "/api/recent?limit=100",
    ]
    titles: set[str] = set()
    for path in paths:
        answer = member.get(path)
        assert answer.status == 200, (path, answer.body[:200])
        found = answer.json()
        titles.update(i["title"] for i in (found["items"] if isinstance(found, dict) else found))
    return titles


def test_a_restricted_viewer_sees_no_new_title_at_any_moment_of_a_large_import(
    running: RunningServer, tmp_path: Path, media_kit: MediaKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A library of tens of thousands of files commits every CHUNK_ROWS rows while identify goes on; a few
    # hundred files commit as often with a small chunk, which opens the same windows in a test's time.
    monkeypatch.setattr(reconcile, "CHUNK_ROWS", 30)
    monkeypatch.setattr(runner, "CHUNK_ROWS", 30)
    owner = running.owner()
    movie_root, show_root = tmp_path / "media" / "movies", tmp_path / "media" / "shows"
    _movie(media_kit, movie_root, "Kind Film Zero", "PG")
    _show(media_kit, show_root, "Grim Show", "TV-MA", 1, range(1, 2))
    _show(media_kit, show_root, "Sunny Show", "TV-PG", 1, range(1, 2))
    movies = _library(owner, "Movies", "movies", movie_root)
    shows = _library(owner, "Shows", "shows", show_root)
    member = _member(running, owner)
    assert _seen(member, movies, shows) == {"Kind Film Zero", "Sunny Show", "Sunny Night 1"}

    hidden: set[str] = set()
    for n in range(210):
        title = f"Rated Film {n}"
        _movie(media_kit, movie_root, title, HIDDEN_RATINGS[n % len(HIDDEN_RATINGS)])
        hidden.add(title)
    for n in range(90):
        _movie(media_kit, movie_root, f"Gory Film {n}", "PG", ("family", "gore"))
        hidden.add(f"Gory Film {n}")
    kind = {f"Kind Film {n}" for n in range(1, 21)}
    for title in kind:
        _movie(media_kit, movie_root, title, "PG")
    _show(media_kit, show_root, "Grim Show", None, 2, range(1, 61))
    _show(media_kit, show_root, "Dark Show", "R", 1, range(1, 41))
    _show(media_kit, show_root, "Sunny Show", None, 2, range(1, 11))
    hidden |= {f"Grim Night {n}" for n in range(1, 61)} | {f"Dark Night {n}" for n in range(1, 41)}
    hidden |= {"Grim Show", "Dark Show", "Season 1", "Season 2"}

    assert owner.post(f"/api/libraries/{movies}/scan", {}).status == 202
    assert owner.post(f"/api/libraries/{shows}/scan", {}).status == 202
    polls_while_running = 0
    leaked: set[str] = set()
    while True:
        running_now = any(
            owner.get(f"/api/libraries/{lib}/scan").json()["running"] for lib in (movies, shows)
        )
        leaked |= _seen(member, movies, shows) & hidden
        if not running_now:
            break
        polls_while_running += 1
    assert leaked == set()
    assert polls_while_running >= 5
    # The filter hid only what it should: the kind titles are there, and the owner sees the rest.
    after = _seen(member, movies, shows)
    assert kind <= after and {f"Sunny Night {n}" for n in range(1, 11)} <= after
    assert after & hidden == set()
    owner_titles = _seen(owner, movies, shows)
    assert {"Rated Film 6", "Gory Film 0", "Grim Night 60", "Dark Night 1", "Dark Show"} <= owner_titles


def test_a_title_with_an_unknown_rating_is_hidden_from_a_capped_member(
    running: RunningServer, tmp_path: Path, media_kit: MediaKit
) -> None:
    owner = running.owner()
    root = tmp_path / "media" / "movies"
    _movie(media_kit, root, "Known Film", "PG")
    _movie(media_kit, root, "Strange Film", "Banned in Narnia")
    _movie(media_kit, root, "German Film", "de/FSK 16")
    movies = _library(owner, "Movies", "movies", root)
    capped = running.create_user("capped", Role.MEMBER)
    grants = {"max_rating": {"movies": 10_000}}
    assert owner.request("PATCH", f"/api/users/{capped}", {"grants": grants}).status == 200
    member = running.sign_in("capped")
    titles = {i["title"] for i in member.get(f"/api/libraries/{movies}/items").json()["items"]}
    # Even a cap far above any age: a rating nobody recognised may be anything.
    assert titles == {"Known Film", "German Film"}
    strange = next(
        i for i in owner.get(f"/api/libraries/{movies}/items").json()["items"] if i["title"] == "Strange Film"
    )
    assert member.get(f"/api/items/{strange['id']}").status == 404
    assert owner.get(f"/api/items/{strange['id']}").json()["content_rating"] == "Banned in Narnia"
