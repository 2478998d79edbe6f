"""Play state per user: progress, resume, watched at 90 %, continue watching, next episode, privacy."""

from __future__ import annotations

from pathlib import Path

from reelhouse.domain.access import system_actor
from tests.catalogue_factory import Row, add_rows
from tests.playback.conftest import Stage


def test_progress_is_the_resume_position(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    assert owner.request("PUT", f"/api/items/{item}/playstate", body={"position": 3.5}).status == 200
    assert owner.get(f"/api/items/{item}/playstate").json()["position"] == 3.5
    assert owner.post(f"/api/items/{item}/playback", {}).json()["resume_position"] == 3.5


def test_ninety_percent_marks_watched_and_resets_resume(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]  # 8 s long
    state = owner.request("PUT", f"/api/items/{item}/playstate", body={"position": 7.3}).json()
    assert state["watched"] is True
    assert state["position"] == 0.0
    assert state["play_count"] == 1


def test_under_ninety_percent_is_not_watched(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    assert (
        owner.request("PUT", f"/api/items/{item}/playstate", body={"position": 7.1}).json()["watched"]
        is False
    )


def test_continue_watching_lists_started_unfinished_items_newest_first(stage: Stage) -> None:
    owner = stage.owner()
    a, b = stage.items["direct.mp4"], stage.items["hevc.mkv"]
    owner.request("PUT", f"/api/items/{a}/playstate", body={"position": 2})
    owner.request("PUT", f"/api/items/{b}/playstate", body={"position": 2})
    assert [s["item_id"] for s in owner.get("/api/continue-watching").json()] == [b, a]
    owner.request("PUT", f"/api/items/{b}/playstate", body={"position": 11.9})
    assert [s["item_id"] for s in owner.get("/api/continue-watching").json()] == [a]


def test_users_never_see_each_others_state(stage: Stage) -> None:
    owner = stage.owner()
    alice = stage.member()
    item = stage.items["direct.mp4"]
    owner.request("PUT", f"/api/items/{item}/playstate", body={"position": 5})
    assert alice.get(f"/api/items/{item}/playstate").json()["position"] == 0.0
    assert alice.get("/api/continue-watching").json() == []


def test_state_of_a_hidden_item_answers_404(stage: Stage) -> None:
    from tests.playback.conftest import set_user

    alice = stage.member()
    set_user(stage, "alice", libraries=[])
    item = stage.items["direct.mp4"]
    assert alice.request("PUT", f"/api/items/{item}/playstate", body={"position": 1}).status == 404
    assert alice.get(f"/api/items/{item}/playstate").status == 404


def test_negative_or_absurd_positions_are_refused(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    assert owner.request("PUT", f"/api/items/{item}/playstate", body={"position": -1}).status == 422
    assert owner.request("PUT", f"/api/items/{item}/playstate", body={"position": "1e999"}).status == 422


def test_mark_watched_and_unwatched(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    assert (
        owner.request("PUT", f"/api/items/{item}/watched", body={"watched": True}).json()["watched"] is True
    )
    assert (
        owner.request("PUT", f"/api/items/{item}/watched", body={"watched": False}).json()["watched"] is False
    )


def test_next_episode_follows_season_and_episode_order(stage: Stage, tmp_path: Path) -> None:
    services = stage.server.server.services
    (tmp_path / "shows").mkdir()
    shows = services.libraries.add(system_actor("test"), "Shows", "shows", [str(tmp_path / "shows")])
    show = Row("Show", kind="show")
    s1, s2 = (
        Row("S1", kind="season", parent_id=show.id, top_id=show.id, idx=1),
        Row("S2", kind="season", parent_id=show.id, top_id=show.id, idx=2),
    )
    e = [
        Row("E1", kind="episode", parent_id=s1.id, top_id=show.id, parent_idx=1, idx=1),
        Row("E2", kind="episode", parent_id=s1.id, top_id=show.id, parent_idx=1, idx=2),
        Row("E3", kind="episode", parent_id=s2.id, top_id=show.id, parent_idx=2, idx=1),
    ]
    add_rows(stage.server.server.db, shows.id, [show, s1, s2, *e])
    owner = stage.owner()
    assert owner.get(f"/api/items/{e[0].id}/next").json()["item_id"] == e[1].id
    assert owner.get(f"/api/items/{e[1].id}/next").json()["item_id"] == e[2].id
    assert owner.get(f"/api/items/{e[2].id}/next").json()["item_id"] is None


def test_favourites_and_ratings_are_the_callers_own(stage: Stage) -> None:
    owner = stage.owner()
    alice = stage.member()
    a, b = stage.items["direct.mp4"], stage.items["hevc.mkv"]
    assert (
        owner.request("PUT", f"/api/items/{a}/favourite", body={"favourite": True}).json()["favourite"]
        is True
    )
    owner.request("PUT", f"/api/items/{b}/favourite", body={"favourite": True})
    assert owner.request("PUT", f"/api/items/{a}/rating", body={"rating": 4}).json()["rating"] == 4
    assert [s["item_id"] for s in owner.get("/api/favourites").json()] == [b, a]
    assert alice.get("/api/favourites").json() == []
    assert alice.get(f"/api/items/{a}/playstate").json()["favourite"] is False
    owner.request("PUT", f"/api/items/{b}/favourite", body={"favourite": False})
    assert [s["item_id"] for s in owner.get("/api/favourites").json()] == [a]


def test_marks_keep_the_resume_position(stage: Stage) -> None:
    owner = stage.owner()
    item = stage.items["direct.mp4"]
    owner.request("PUT", f"/api/items/{item}/playstate", body={"position": 3.5})
    owner.request("PUT", f"/api/items/{item}/favourite", body={"favourite": True})
    state = owner.request("PUT", f"/api/items/{item}/rating", body={"rating": 2}).json()
    assert (state["position"], state["favourite"], state["rating"]) == (3.5, True, 2)
    assert owner.request("PUT", f"/api/items/{item}/rating", body={"rating": None}).json()["rating"] is None
    assert owner.request("PUT", f"/api/items/{item}/rating", body={"rating": 6}).status == 422


def test_favourites_of_items_out_of_scope_are_hidden_and_refused(stage: Stage) -> None:
    from tests.playback.conftest import set_user

    alice = stage.member()
    item = stage.items["direct.mp4"]
    alice.request("PUT", f"/api/items/{item}/favourite", body={"favourite": True})
    assert len(alice.get("/api/favourites").json()) == 1
    set_user(stage, "alice", libraries=[])
    assert alice.get("/api/favourites").json() == []
    assert alice.request("PUT", f"/api/items/{item}/favourite", body={"favourite": True}).status == 404
    assert alice.request("PUT", f"/api/items/{item}/rating", body={"rating": 3}).status == 404
