"""Play state from Jellyfin's apps lands in Reelhouse's own: resume positions, watched marks, favourites."""

from __future__ import annotations

import http.client
import json

from tests.compat.jellyfin.conftest import media_browser, post_in_pieces
from tests.compat.jellyfin.library_stage import Stage, reelhouse_ids, restrict_alice, stage
from tests.compat.jellyfin.test_browse import apiclient

__all__ = ["stage"]

TICKS = 10_000_000


def test_progress_reports_become_the_resume_position_both_apis_show(stage: Stage) -> None:
    client = apiclient(stage, "alice")
    api = client.jellyfin
    movie = stage.jid("Arrival")
    api.session_playing({"ItemId": movie, "PositionTicks": 0, "PlayMethod": "DirectPlay"})
    api.session_progress({"ItemId": movie, "PositionTicks": 600 * TICKS, "EventName": "TimeUpdate"})
    api.session_stop({"ItemId": movie, "PositionTicks": 1234 * TICKS})
    own = stage.own_api("alice").get(f"/api/items/{stage.ids['Arrival']}/playstate").json()
    assert own["position"] == 1234.0 and own["watched"] is False
    resume = api.get_resume_items()
    assert [i["Id"] for i in resume["Items"]] == [movie]
    data = resume["Items"][0]["UserData"]
    assert data["PlaybackPositionTicks"] == 1234 * TICKS
    assert round(data["PlayedPercentage"], 2) == round(100 * 1234 / 6000, 2)
    assert [i["Id"] for i in stage.app("alice").json("/UserItems/Resume")["Items"]] == [movie]
    legacy = stage.app("alice").json(f"/Users/{stage.user_jid('alice')}/Items/Resume")
    assert [i["Id"] for i in legacy["Items"]] == [movie]
    # Another user's resume list is their own.
    assert apiclient(stage, "owner").jellyfin.get_resume_items()["Items"] == []


def test_a_start_without_a_position_leaves_the_resume_point(stage: Stage) -> None:
    app = stage.app("alice")
    movie = stage.jid("Brave")
    assert (
        app.request(
            "POST", "/Sessions/Playing/Progress", {"ItemId": movie, "PositionTicks": 90 * TICKS}
        ).status
        == 204
    )
    assert app.request("POST", "/Sessions/Playing", {"itemId": movie}).status == 204
    assert app.json(f"/Items/{movie}")["UserData"]["PlaybackPositionTicks"] == 90 * TICKS


def test_a_report_arriving_in_pieces_is_read_whole(stage: Stage) -> None:
    movie = stage.jid("Brave")
    body = json.dumps({"ItemId": movie, "PositionTicks": 77 * TICKS}).encode()
    answer = post_in_pieces(
        stage.server.port, "/jellyfin/Sessions/Playing/Progress", body, media_browser(stage.token("alice"))
    )
    assert answer.startswith(b"HTTP/1.1 204"), answer[:300]
    assert stage.app("alice").json(f"/Items/{movie}")["UserData"]["PlaybackPositionTicks"] == 77 * TICKS


def test_a_report_too_large_is_refused_whether_its_length_is_declared_or_not(stage: Stage) -> None:
    movie = stage.jid("Brave")
    body = json.dumps({"ItemId": movie, "PositionTicks": 55 * TICKS, "Pad": "x" * 300_000}).encode()
    declared = stage.app("alice").request("POST", "/Sessions/Playing/Progress", json.loads(body))
    assert declared.status == 400 and "too large" in declared.json()["detail"], declared.body
    # Chunked, the size is known only by reading: the reader stops at the limit.
    conn = http.client.HTTPConnection("127.0.0.1", stage.server.port, timeout=30)
    headers = {"Authorization": media_browser(stage.token("alice")), "Content-Type": "application/json"}
    pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
    conn.request("POST", "/jellyfin/Sessions/Playing/Progress", pieces, headers, encode_chunked=True)
    chunked = conn.getresponse()
    assert chunked.status == 400 and "too large" in json.loads(chunked.read())["detail"]
    conn.close()
    assert stage.app("alice").json(f"/Items/{movie}")["UserData"]["PlaybackPositionTicks"] == 0


def test_stopping_near_the_end_marks_watched_and_next_up_moves_on(stage: Stage) -> None:
    api = apiclient(stage, "alice").jellyfin
    first = stage.jid("Ocean Watch S1E1")
    api.session_stop({"ItemId": first, "PositionTicks": 1450 * TICKS})
    item = api.get_item(first)
    assert item["UserData"]["Played"] is True and item["UserData"]["PlayCount"] == 1
    assert [e["Id"] for e in api.get_next(limit=5)["Items"]] == [stage.jid("Ocean Watch S1E2")]
    assert (
        stage.own_api("alice").get(f"/api/items/{stage.ids['Ocean Watch S1E1']}/playstate").json()["watched"]
    )
    show = api.get_item(stage.jid("Ocean Watch"))
    assert (show["RecursiveItemCount"], show["UserData"]["UnplayedItemCount"]) == (3, 2)
    assert show["UserData"]["Played"] is False
    season = api.get_item(stage.jid("Ocean Watch Season 1"))
    assert (season["ChildCount"], season["UserData"]["UnplayedItemCount"]) == (2, 1)
    for episode in ("Ocean Watch S1E2", "Ocean Watch S2E1"):
        api.item_played(stage.jid(episode), True)
    show = api.get_item(stage.jid("Ocean Watch"))
    assert show["UserData"]["Played"] is True and show["UserData"]["UnplayedItemCount"] == 0
    # Someone else's watching is their own.
    assert (
        apiclient(stage, "owner").jellyfin.get_item(stage.jid("Ocean Watch"))["UserData"]["Played"] is False
    )


def test_played_and_favourite_marks_from_the_apiclient(stage: Stage) -> None:
    api = apiclient(stage, "alice").jellyfin
    movie = stage.jid("Dune Sketch")
    assert api.item_played(movie, True)["Played"] is True
    assert api.get_item(movie)["UserData"]["Played"] is True
    played = stage.app("alice").json("/Items?Recursive=true&Filters=IsPlayed")
    assert [i["Id"] for i in played["Items"]] == [movie]
    assert api.item_played(movie, False)["Played"] is False
    assert stage.app("alice").json("/Items?Recursive=true&Filters=IsPlayed")["TotalRecordCount"] == 0
    assert api.favorite(movie, True)["IsFavorite"] is True
    favourites = stage.app("alice").json("/Items?Recursive=true&Filters=IsFavorite")
    assert reelhouse_ids(favourites["Items"]) == {stage.ids["Dune Sketch"]}
    assert stage.app("alice").json("/Items?Recursive=true&IsFavorite=true")["TotalRecordCount"] == 1
    assert [f["item_id"] for f in stage.own_api("alice").get("/api/favourites").json()] == [
        stage.ids["Dune Sketch"]
    ]
    assert api.favorite(movie, False)["IsFavorite"] is False
    app = stage.app("alice")
    assert app.request("POST", f"/UserFavoriteItems/{movie}").json()["IsFavorite"] is True
    assert app.json(f"/UserItems/{movie}/UserData")["IsFavorite"] is True


def test_reports_for_hidden_items_and_bad_reports(stage: Stage) -> None:
    restrict_alice(stage)
    app = stage.app("alice")
    hidden = stage.jid("Crash Course")
    for path in ("/Sessions/Playing", "/Sessions/Playing/Progress", "/Sessions/Playing/Stopped"):
        assert app.request("POST", path, {"ItemId": hidden, "PositionTicks": 10 * TICKS}).status == 404
    assert (
        stage.own_api("owner").get(f"/api/items/{stage.ids['Crash Course']}/playstate").json()["position"]
        == 0
    )
    movie = stage.jid("Arrival")
    assert app.request("POST", "/Sessions/Playing/Progress", {"PositionTicks": 5}).status == 400
    assert (
        app.request("POST", "/Sessions/Playing/Progress", {"ItemId": movie, "PositionTicks": -5}).status
        == 400
    )
    assert app.request("POST", "/Sessions/Playing/Progress", [1, 2]).status == 400
    assert (
        app.request("POST", "/Sessions/Playing/Progress", {"ItemId": "zz", "PositionTicks": 5}).status == 404
    )
    assert app.request("POST", "/Sessions/Playing/Ping").status == 204
    owner = stage.user_jid("owner")
    assert app.request("POST", f"/Users/{owner}/PlayedItems/{movie}").status == 404
    assert app.request("POST", f"/Users/{owner}/FavoriteItems/{movie}").status == 404


def test_display_preferences_are_kept_per_user_and_app(stage: Stage) -> None:
    alice, owner = stage.app("alice"), stage.app("owner")
    fresh = alice.json("/DisplayPreferences/usersettings?client=emby")
    assert (fresh["Id"], fresh["Client"], fresh["CustomPrefs"]) == ("usersettings", "emby", {})
    prefs = {"Id": "usersettings", "SortBy": "DateCreated", "CustomPrefs": {"homesection0": "resume"}}
    saved = alice.request("POST", "/DisplayPreferences/usersettings?client=emby", prefs)
    assert saved.status == 204
    assert alice.json("/DisplayPreferences/usersettings?Client=emby")["CustomPrefs"] == {
        "homesection0": "resume"
    }
    # Without the query, the app named in its MediaBrowser header ("tests") has its own.
    assert alice.json("/DisplayPreferences/usersettings")["CustomPrefs"] == {}
    assert owner.json("/DisplayPreferences/usersettings?client=emby")["CustomPrefs"] == {}
    other = stage.user_jid("owner")
    assert alice.get(f"/DisplayPreferences/usersettings?client=emby&userId={other}").status == 404
    assert alice.request("POST", "/DisplayPreferences/usersettings", [1]).status == 400
    assert alice.request("POST", "/DisplayPreferences/" + "x" * 65, {}).status == 400


def test_the_apiclient_reads_and_changes_user_data(stage: Stage) -> None:
    api = apiclient(stage, "alice").jellyfin
    movie = stage.jid("Brave")
    changed = api.update_userdata_for_item(movie, {"PlaybackPositionTicks": 300 * TICKS, "IsFavorite": True})
    assert (changed["PlaybackPositionTicks"], changed["IsFavorite"]) == (300 * TICKS, True)
    own = stage.own_api("alice").get(f"/api/items/{stage.ids['Brave']}/playstate").json()
    assert own["position"] == 300.0
    assert api.get_userdata_for_item(movie)["IsFavorite"] is True
    assert api.update_userdata_for_item(movie, {"Played": True})["Played"] is True
    assert api.get_intros(movie)["Items"] == [] and api.get_local_trailers(movie) == []
    app = stage.app("alice")
    assert app.request("POST", f"/UserItems/{movie}/UserData", {"Played": "yes"}).status == 400
