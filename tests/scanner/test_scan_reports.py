"""What a scan reports and to whom: refused NFOs are errors admins see; members get a percentage and a state."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelhouse.domain.library import LibraryKind
from reelhouse.domain.ratings import PENDING_RANK, UNKNOWN_RANK
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit
from tests.scanner.rows import items, one, settled

BROKEN = "<movie><title>Half</title><mpaa>R</mp"
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    "<movie><title>&b;</title><mpaa>R</mpaa></movie>"
)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path / "data")
    yield server
    server.stop()


def _wait(client: Client, library_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state: dict[str, object] = client.get(f"/api/libraries/{library_id}/scan").json()
        if not state["running"]:
            return state
        time.sleep(0.1)
    raise AssertionError("scan did not finish")


def test_a_refused_nfo_is_a_scan_error_and_its_title_ranks_above_every_cap(
    db, scanner, library_factory, media_kit
):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Broken (2001)" / "Broken (2001).mp4")
    (root / "Broken (2001)" / "Broken (2001).nfo").write_text(BROKEN)
    media_kit.video_at(root / "Bomb (2002)" / "Bomb (2002).mp4")
    (root / "Bomb (2002)" / "movie.nfo").write_text(BOMB)
    media_kit.video_at(root / "Fine (2003)" / "Fine (2003).mp4")
    report = scanner.scan(library)
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert reasons == {
        "Broken (2001).nfo": "NFO refused: not well-formed XML",
        "movie.nfo": "NFO refused: it declares entities or external references, which are never read",
    }
    ranks = {m["title"]: m["rating_rank"] for m in items(db, "movie")}
    assert ranks == {"Broken": UNKNOWN_RANK, "Bomb": UNKNOWN_RANK, "Fine": None}


def test_a_refused_nfo_stays_reported_until_it_is_fixed(db, scanner, library_factory, media_kit):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Broken (2001)" / "Broken (2001).mp4")
    nfo = root / "Broken (2001)" / "Broken (2001).nfo"
    nfo.write_text(BROKEN)
    scanner.scan(library)
    # Nothing changed: the NFO is not read again, yet it is still broken, so the error stays.
    assert [Path(e.path).name for e in scanner.scan(library).errors] == ["Broken (2001).nfo"]
    nfo.write_text("<movie><title>Whole</title><mpaa>PG</mpaa></movie>")
    assert scanner.scan(library).errors == ()
    movie = one(db, "movie")
    assert (movie["title"], movie["rating_rank"]) == ("Whole", 10)


def test_new_items_left_by_a_cancelled_scan_stay_hidden_until_the_next_scan_rates_them(
    db, scanner, library_factory, media_kit
):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.SHOWS)
    root = Path(library.roots[0])
    (root / "Grim").mkdir(parents=True)
    (root / "Grim" / "tvshow.nfo").write_text("<tvshow><mpaa>TV-MA</mpaa><tag>gore</tag></tvshow>")
    media_kit.video_at(root / "Grim" / "Season 01" / "Grim - S01E01 - One.mkv")
    cancel = threading.Event()

    def stop_after_reconcile(progress):  # type: ignore[no-untyped-def]
        if progress.phase.value == "reconcile":
            cancel.set()

    scanner.scan(library, progress=stop_after_reconcile, cancel=cancel)
    assert {r["rating_rank"] for r in items(db)} == {PENDING_RANK}
    scanner.scan(library)
    assert {(r["kind"], r["rating_rank"], r["label_mask"] != 0) for r in items(db)} == {
        ("show", 17, True),
        ("season", 17, True),
        ("episode", 17, True),
    }


def test_members_get_only_a_percentage_and_a_state_admins_get_paths_and_errors(
    running: RunningServer, tmp_path: Path, media_kit: MediaKit
) -> None:
    owner = running.owner()
    root = tmp_path / "media" / "movies"
    media_kit.video_at(root / "Secret Film (2001)" / "Secret Film (2001).mp4")
    (root / "Secret Film (2001)" / "Secret Film (2001).nfo").write_text(BROKEN)
    media_kit.video_at(root / "Adult Film (2002)" / "Adult Film (2002).mp4")
    (root / "Adult Film (2002)" / "Adult Film (2002).nfo").write_text("<movie><mpaa>R</mpaa></movie>")
    (root / "Bad File (2003).mkv").parent.mkdir(parents=True, exist_ok=True)
    (root / "Bad File (2003).mkv").write_bytes(b"not a video at all" * 100)
    settled(root / "Bad File (2003).mkv")
    answer = owner.post("/api/libraries", {"name": "Movies", "kind": "movies", "paths": [str(root)]})
    library_id = answer.json()["id"]
    admin_view = _wait(owner, library_id)
    errors = {Path(str(e["path"])).name for e in admin_view["errors"]}  # type: ignore[attr-defined]
    assert errors == {"Secret Film (2001).nfo", "Bad File (2003).mkv"}
    assert (admin_view["added"], admin_view["percent"], admin_view["phase"]) == (2, 100, "done")

    user_id = running.create_user("kid")
    grants = {"max_rating": {"movies": 13}}
    assert owner.request("PATCH", f"/api/users/{user_id}", {"grants": grants}).status == 200
    kid = running.sign_in("kid")
    answer = kid.get(f"/api/libraries/{library_id}/scan")
    assert answer.status == 200
    assert answer.json() == {
        "library_id": library_id,
        "running": False,
        "percent": 100,
        "phase": None,
        "done": None,
        "total": None,
        "started_at": None,
        "files_seen": None,
        "added": None,
        "updated": None,
        "moved": None,
        "missing": None,
        "errors": None,
    }
    text = json.dumps(answer.json())
    for secret in (str(tmp_path), "Secret", "Adult", "Bad File", ".nfo"):
        assert secret not in text
    # The same member may not start one either.
    assert kid.post(f"/api/libraries/{library_id}/scan", {}).status in (401, 403, 404)
