"""Browsing through the Jellyfin-compatible API, as Jellyfin's own client libraries do, on the catalogue scope:
a member sees through /Items exactly what they see through Reelhouse's own API, and nothing else answers."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiojellyfin import Connection, NotFound, SessionConfiguration
from jellyfin_api_client.models.base_item_dto import BaseItemDto
from jellyfin_api_client.models.query_filters import QueryFilters
from jellyfin_api_client.models.query_filters_legacy import QueryFiltersLegacy
from jellyfin_apiclient_python import JellyfinClient
from jellyfin_apiclient_python.connection_manager import CONNECTION_STATE
from jellyfin_apiclient_python.exceptions import HTTPException

from reelhouse.domain.ids import new_id
from reelhouse.persistence.schema import item_people, people
from reelhouse.web.compat.jellyfin.ids import from_jellyfin, to_jellyfin
from tests.compat.jellyfin.library_stage import Stage, reelhouse_ids, restrict_alice, stage

__all__ = ["stage"]


def apiclient(stage: Stage, username: str) -> JellyfinClient:
    """jellyfin-apiclient-python (Kodi's and mpv-shim's library) holding a token as after its sign-in."""
    client = JellyfinClient()
    client.config.app("reelhouse-tests", "0.1", "ci-box", f"dev-{username}")
    client.config.data["auth.ssl"] = False
    client.config.data["auth.server"] = stage.url
    client.config.data["auth.user_id"] = stage.user_jid(username)
    client.config.data["auth.token"] = stage.token(username)
    client.logged_in = True
    client.start()
    return client


def own_api_listing(stage: Stage, username: str) -> set[str]:
    """Every item the user reaches in Reelhouse's own API: each library's pages, then children, recursively."""
    api = stage.own_api(username)
    seen: set[str] = set()
    pending: list[str] = []
    for library in api.get("/api/libraries").json():
        offset = 0
        while True:
            page = api.get(f"/api/libraries/{library['id']}/items?limit=500&offset={offset}").json()
            pending += [item["id"] for item in page["items"]]
            offset += 500
            if offset >= page["total"]:
                break
    while pending:
        item_id = pending.pop()
        if item_id in seen:
            continue
        seen.add(item_id)
        pending += [child["id"] for child in api.get(f"/api/items/{item_id}/children").json()]
    return seen


def jellyfin_listing(stage: Stage, username: str) -> set[str]:
    found: list[dict[str, Any]] = []
    app = stage.app(username)
    while True:
        page = app.json(f"/Items?Recursive=true&StartIndex={len(found)}&Limit=7")
        found += page["Items"]
        if len(found) >= page["TotalRecordCount"] or not page["Items"]:
            break
    assert len(found) == page["TotalRecordCount"]
    return reelhouse_ids(found)


HIDDEN_FROM_ALICE = (
    "Crash Course",
    "Crash Course Featurette",
    "Gory Tale",
    "Grim Hall",
    "Grim Hall S1E1",
    "Stone Garden Track 1",
)


def test_a_restricted_member_sees_through_items_exactly_what_the_own_api_shows(stage: Stage) -> None:
    restrict_alice(stage)
    seen = jellyfin_listing(stage, "alice")
    assert seen == own_api_listing(stage, "alice")
    assert not {stage.ids[title] for title in HIDDEN_FROM_ALICE} & seen
    # The owner sees everything, so the restriction above is what made the difference.
    assert {stage.ids[title] for title in HIDDEN_FROM_ALICE} <= jellyfin_listing(stage, "owner")


def test_an_item_outside_the_scope_answers_like_a_missing_one(stage: Stage) -> None:
    restrict_alice(stage)
    app = stage.app("alice")
    me = stage.user_jid("alice")
    for title in HIDDEN_FROM_ALICE:
        jid = stage.jid(title)
        for method, path in (
            ("GET", f"/Items/{jid}"),
            ("GET", f"/Users/{me}/Items/{jid}"),
            ("POST", f"/Users/{me}/PlayedItems/{jid}"),
            ("POST", f"/UserPlayedItems/{jid}"),
            ("POST", f"/Users/{me}/FavoriteItems/{jid}"),
            ("DELETE", f"/UserFavoriteItems/{jid}"),
            ("GET", f"/Items/{jid}/Similar"),
            ("GET", f"/Items/{jid}/InstantMix"),
            ("GET", f"/Items/{jid}/SpecialFeatures"),
            ("GET", f"/Items/{jid}/Intros"),
            ("GET", f"/Shows/{jid}/Seasons"),
            ("GET", f"/Shows/{jid}/Episodes"),
            ("GET", f"/Shows/NextUp?SeriesId={jid}"),
            ("GET", f"/Items/{jid}/LocalTrailers"),
            ("POST", f"/UserItems/{jid}/UserData"),
            ("GET", f"/UserItems/{jid}/UserData"),
        ):
            answer = app.request(method, path)
            assert answer.status == 404, (title, method, path, answer.body)
        assert app.get(f"/Items?ParentId={jid}").status == 404
    assert app.get(f"/Items/{stage.jid('Brave')}").status == 200
    assert app.get("/Items/not-an-id").status == 404


def test_views_are_the_libraries_the_caller_sees_with_their_collection_type(stage: Stage) -> None:
    restrict_alice(stage)
    owner_views = apiclient(stage, "owner").jellyfin.get_views()
    assert {v["Name"]: v["CollectionType"] for v in owner_views["Items"]} == {
        "Movies": "movies",
        "Shows": "tvshows",
        "Music": "music",
    }
    assert {v["Type"] for v in owner_views["Items"]} == {"CollectionFolder"}
    # Apps file items under the server they signed in to by this id.
    server_id = stage.app("owner").json("/System/Info/Public")["Id"]
    assert {v["ServerId"] for v in owner_views["Items"]} == {server_id}
    assert stage.app("owner").json(f"/Items/{stage.jid('Brave')}")["ServerId"] == server_id
    alice_views = apiclient(stage, "alice").jellyfin.get_views()
    assert sorted(v["Name"] for v in alice_views["Items"]) == ["Movies", "Shows"]
    assert alice_views["TotalRecordCount"] == 2
    # The admin list is the admin's.
    assert stage.app("alice").get("/Library/MediaFolders").status == 403
    assert stage.app("owner").json("/Library/MediaFolders")["TotalRecordCount"] == 3


def test_the_apiclient_browses_pages_searches_and_opens_items(stage: Stage) -> None:
    restrict_alice(stage)
    api = apiclient(stage, "alice").jellyfin
    movies = library_jid(stage, "Movies")
    first = api.get_user_items(parent_id=movies, recursive=True, limit=2, sort_by="SortName")
    second = api.get_user_items(parent_id=movies, recursive=True, limit=2, start_index=2, sort_by="SortName")
    assert first["TotalRecordCount"] == 3  # Arrival, Brave, Dune Sketch: not R, not labelled gore
    assert [i["Name"] for i in first["Items"] + second["Items"]] == ["Arrival", "Brave", "Dune Sketch"]
    found = api.search_media_items(term="arriv")
    assert [i["Name"] for i in found["Items"]] == ["Arrival"]
    assert api.search_media_items(term="crash")["TotalRecordCount"] == 0
    item = api.get_item(stage.jid("Arrival"))
    assert item["Type"] == "Movie" and item["RunTimeTicks"] == 6000 * 10_000_000
    assert item["Path"] == f"/reelhouse/{stage.jid('Arrival')}"
    assert item["DateCreated"].endswith("Z")
    with pytest.raises(HTTPException) as refused:
        api.get_item(stage.jid("Crash Course"))
    assert refused.value.status == 404
    latest = api.get_recently_added()
    assert isinstance(latest, list)
    assert "Grim Hall" not in {i["Name"] for i in latest}


def library_jid(stage: Stage, library: str) -> str:
    return to_jellyfin(stage.libraries[library])


def test_shows_seasons_episodes_and_the_episode_family(stage: Stage) -> None:
    api = apiclient(stage, "owner").jellyfin
    show = stage.jid("Ocean Watch")
    seasons = api.get_seasons(show)
    assert [s["IndexNumber"] for s in seasons["Items"]] == [1, 2]
    episodes = api.get_episodes(show)
    assert [e["Name"] for e in episodes["Items"]] == [
        "Ocean Watch S1E1",
        "Ocean Watch S1E2",
        "Ocean Watch S2E1",
    ]
    one_season = api.get_episodes(show, season_id=seasons["Items"][1]["Id"])
    assert [e["Name"] for e in one_season["Items"]] == ["Ocean Watch S2E1"]
    episode = one_season["Items"][0]
    assert (episode["SeriesId"], episode["SeriesName"]) == (show, "Ocean Watch")
    assert (episode["SeasonId"], episode["ParentIndexNumber"], episode["IndexNumber"]) == (
        seasons["Items"][1]["Id"],
        2,
        1,
    )


def test_latest_is_a_bare_array_with_episodes_grouped_under_their_show(stage: Stage) -> None:
    app = stage.app("owner")
    shows = library_jid(stage, "Shows")
    grouped = app.json(f"/Items/Latest?ParentId={shows}")
    assert sorted(i["Name"] for i in grouped) == ["Grim Hall", "Ocean Watch"]
    single = app.json(f"/Items/Latest?ParentId={shows}&GroupItems=false&Limit=2")
    assert [i["Type"] for i in single] == ["Episode", "Episode"]
    series = app.json(f"/Items/Latest?ParentId={shows}&IncludeItemTypes=Series")
    assert sorted(i["Name"] for i in series) == ["Grim Hall", "Ocean Watch"]
    music = app.json(f"/Items/Latest?ParentId={library_jid(stage, 'Music')}")
    assert {i["Type"] for i in music} == {"MusicAlbum"}


def test_query_names_and_booleans_in_any_case_and_bad_values_as_400(stage: Stage) -> None:
    app = stage.app("owner")
    movies = library_jid(stage, "Movies")
    canonical = app.json(f"/Items?ParentId={movies}&Recursive=true&IncludeItemTypes=Movie")
    loose = app.json(f"/items?parentid={movies}&recursive=TRUE&includeitemtypes=movie")
    assert canonical == loose and canonical["TotalRecordCount"] == 5
    # Five movies and one extra.
    assert app.json(f"/Items?ParentId={movies}&Recursive=1&Limit=100000")["TotalRecordCount"] == 6
    assert app.get("/Items?Recursive=true&IncludeItemTypes=Spaceship").status == 400
    assert app.get("/Items?Recursive=true&SortBy=Nonsense").status == 400
    assert app.get("/Items?Recursive=true&SortOrder=Sideways").status == 400
    assert app.get("/Items?Recursive=maybe").status == 400
    assert app.get("/Items?Recursive=true&StartIndex=-4").status == 400
    genres = app.json("/Items?Recursive=true&Genres=Animation|Horror")
    assert sorted(i["Name"] for i in genres["Items"]) == ["Brave", "Gory Tale"]
    animation = next(g["Id"] for g in app.json("/Genres")["Items"] if g["Name"] == "Animation")
    assert [i["Name"] for i in app.json(f"/Items?Recursive=true&GenreIds={animation}")["Items"]] == ["Brave"]
    assert app.json("/Items?Recursive=true&GenreIds=" + "0" * 32)["TotalRecordCount"] == 0
    years = app.json("/Items?Recursive=true&Years=2016,2012&SortBy=ProductionYear&SortOrder=Descending")
    assert [i["Name"] for i in years["Items"]] == ["Arrival", "Brave"]
    assert app.json("/Items?Recursive=true&PersonIds=" + "a" * 32)["TotalRecordCount"] == 0
    tracks = app.json(f"/Items?Recursive=true&IncludeItemTypes=Audio&ArtistIds={stage.jid('Night River')}")
    assert [i["Name"] for i in tracks["Items"]] == ["Stone Garden Track 1", "Stone Garden Track 2"]
    assert app.json("/Items?Recursive=true&ArtistIds=nonsense")["TotalRecordCount"] == 0
    assert app.json("/Items?Recursive=true&Filters=IsPlayed,IsUnplayed")["TotalRecordCount"] == 0
    by_ids = app.json(f"/Items?Ids={stage.jid('Brave')},{stage.jid('Arrival')},nonsense")
    assert sorted(i["Name"] for i in by_ids["Items"]) == ["Arrival", "Brave"]


def test_another_users_id_in_the_path_is_a_user_that_does_not_exist(stage: Stage) -> None:
    owner = stage.user_jid("owner")
    alice = stage.user_jid("alice")
    assert stage.app("alice").get(f"/Users/{owner}/Items?Recursive=true").status == 404
    assert stage.app("alice").get(f"/Users/{owner}/Views").status == 404
    assert stage.app("alice").get(f"/Users/{alice}/Views").status == 200
    assert stage.app("owner").get(f"/Users/{alice}/Views").status == 200


async def _music_assistant(stage: Stage, username: str) -> dict[str, Any]:
    """What Music Assistant does through aiojellyfin: libraries, artists, their albums, an album's tracks."""
    async with aiohttp.ClientSession() as session:
        config = SessionConfiguration(
            session=session,
            url=stage.url,
            app_name="Music Assistant",
            app_version="1.0",
            device_name="ma",
            device_id=f"ma-{username}",
            verify_ssl=False,
        )
        conn = Connection(config, stage.user_jid(username), stage.token(username))
        folders = await conn.get_media_folders()
        music = next(f["Id"] for f in folders["Items"] if f.get("CollectionType") == "music")
        artists = await conn.artists.parent(music).recursive(True).request()
        night = next(a for a in artists["Items"] if a["Name"] == "Night River")
        albums = await conn.albums.parent(night["Id"]).request()
        tracks = await conn.tracks.parent(albums["Items"][0]["Id"]).request()
        track = await conn.get_track(tracks["Items"][0]["Id"])
        album = await conn.get_album(albums["Items"][0]["Id"])
        artist = await conn.get_artist(night["Id"])
        with pytest.raises(NotFound):
            await conn.get_track(stage.jid("Arrival"))
        streamed = [t async for t in conn.tracks.parent(music).stream(page_size=1)]
        return {
            "artists": [a["Name"] for a in artists["Items"]],
            "albums": [a["Name"] for a in albums["Items"]],
            "tracks": [t["Name"] for t in tracks["Items"]],
            "track": track,
            "album": album,
            "artist": artist,
            "streamed": sorted(t["Name"] for t in streamed),
        }


def test_music_assistant_browses_artists_albums_and_tracks_with_aiojellyfin(stage: Stage) -> None:
    seen = asyncio.run(_music_assistant(stage, "owner"))
    assert seen["artists"] == ["Glass City", "Night River"]
    assert seen["albums"] == ["Stone Garden"]
    assert seen["tracks"] == ["Stone Garden Track 1", "Stone Garden Track 2"]
    track = seen["track"]
    assert (track["Album"], track["AlbumArtist"], track["IndexNumber"]) == ("Stone Garden", "Night River", 1)
    assert track["ArtistItems"] == [{"Id": stage.jid("Night River"), "Name": "Night River"}]
    assert track["AlbumId"] == stage.jid("Stone Garden")
    assert track["RunTimeTicks"] == 200 * 10_000_000
    assert seen["album"]["Type"] == "MusicAlbum" and seen["artist"]["Type"] == "MusicArtist"
    assert seen["streamed"] == ["Paper Track 1", "Stone Garden Track 1", "Stone Garden Track 2"]


def test_music_is_not_there_for_a_member_without_the_music_library(stage: Stage) -> None:
    restrict_alice(stage)
    app = stage.app("alice")
    assert app.json("/Artists?Recursive=true")["TotalRecordCount"] == 0
    assert app.get(f"/Items?ParentId={library_jid(stage, 'Music')}").status == 404
    assert "Jazz" not in {g["Name"] for g in app.json("/Genres")["Items"]}
    assert "Jazz" in {g["Name"] for g in stage.app("owner").json("/Genres")["Items"]}
    # The filter menus offer what /Genres does, in both of Jellyfin's forms, and the typed models read them.
    legacy = QueryFiltersLegacy.from_dict(app.json("/Items/Filters"))
    assert legacy.genres and "Jazz" not in legacy.genres and "Animation" in legacy.genres
    newer = QueryFilters.from_dict(stage.app("owner").json("/Items/Filters2"))
    jazz = next(g for g in newer.genres or [] if g.name == "Jazz")
    assert jazz.id == next(
        g["Id"] for g in stage.app("owner").json("/Genres")["Items"] if g["Name"] == "Jazz"
    )
    movies = app.json(f"/Items/Filters?ParentId={library_jid(stage, 'Movies')}")["Genres"]
    assert movies == ["Animation", "Drama", "Science Fiction"]
    assert app.get(f"/Items/Filters?ParentId={library_jid(stage, 'Music')}").status == 404
    assert from_jellyfin(stage.jid("Brave")) == stage.ids["Brave"]


ODD_QUERIES = (
    "StartIndex=abc",
    "Limit=-1",
    "Limit=0",
    "Limit=99999999999999999999",
    "StartIndex=99999999999",
    "ParentId=zz",
    "ParentId=" + "0" * 32,
    "SeasonId=zz",
    "SeriesId=" + "f" * 32,
    "Ids=,,,",
    "Years=1999|x",
    "Genres=|||",
    "Fields=Nope,Path,,",
    "SortBy=",
    "SortOrder=Descending,Ascending",
    "IsFavorite=maybe",
    "Filters=IsNothing",
    "SearchTerm=" + "%_\\\"'" * 10,
    "SearchTerm=" + "a" * 300,
    "NameStartsWith=%",
    "IncludeItemTypes=BoxSet,Playlist",
    "MediaTypes=Hologram",
    "GroupItems=banana",
    "client=" + "c" * 300,
)


def test_episodes_from_a_start_item_play_on_from_it(stage: Stage) -> None:
    app = stage.app("owner")
    show = stage.jid("Ocean Watch")
    path = f"/Shows/{show}/Episodes?StartItemId={stage.jid('Ocean Watch S1E2')}"
    answer = app.json(path)
    names = ["Ocean Watch S1E2", "Ocean Watch S2E1"]
    assert [i["Id"] for i in answer["Items"]] == [stage.jid(n) for n in names]
    assert (answer["TotalRecordCount"], answer["StartIndex"]) == (2, 0)
    paged = app.json(path + "&StartIndex=1&Limit=1")
    assert [i["Id"] for i in paged["Items"]] == [stage.jid("Ocean Watch S2E1")]
    assert (paged["TotalRecordCount"], paged["StartIndex"]) == (2, 1)
    counted = app.json(path + "&Limit=0")
    assert (counted["Items"], counted["TotalRecordCount"]) == ([], 2)
    # An item that is no episode of this show leaves nothing to play on with.
    other = app.json(f"/Shows/{show}/Episodes?StartItemId={stage.jid('Arrival')}")
    assert (other["Items"], other["TotalRecordCount"]) == ([], 0)


def test_person_ids_list_what_a_person_is_credited_on(stage: Stage) -> None:
    person, other = new_id(), new_id()
    with stage.server.server.db.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {"id": person, "name": "Ada Lane", "name_key": "ada lane"},
                {"id": other, "name": "B", "name_key": "b"},
            ],
        )
        conn.execute(
            item_people.insert(),
            [
                {
                    "item_id": stage.ids["Arrival"],
                    "person_id": person,
                    "kind": "actor",
                    "position": 0,
                    "role": "Louise",
                },
                {
                    "item_id": stage.ids["Ocean Watch"],
                    "person_id": person,
                    "kind": "director",
                    "position": 0,
                    "role": None,
                },
                {
                    "item_id": stage.ids["Brave"],
                    "person_id": other,
                    "kind": "actor",
                    "position": 0,
                    "role": None,
                },
            ],
        )
    app = stage.app("owner")
    everywhere = app.json(f"/Items?Recursive=true&PersonIds={to_jellyfin(person)}")
    assert {i["Id"] for i in everywhere["Items"]} == {stage.jid("Arrival"), stage.jid("Ocean Watch")}
    # A plain page of one library, which otherwise takes the browse shortcut, narrows by person too.
    movies = to_jellyfin(stage.libraries["Movies"])
    page = app.json(
        f"/Items?ParentId={movies}&IncludeItemTypes=Movie&SortBy=SortName&Limit=100&PersonIds={to_jellyfin(person)}"
    )
    assert ([i["Id"] for i in page["Items"]], page["TotalRecordCount"]) == ([stage.jid("Arrival")], 1)
    nobody = app.json(f"/Items?Recursive=true&PersonIds={'0' * 32}")
    assert (nobody["Items"], nobody["TotalRecordCount"]) == ([], 0)
    # One item names its cast and crew, with the ids PersonIds takes; Jellyfin's typed model reads them.
    arrival = app.json(f"/Items/{stage.jid('Arrival')}")
    assert arrival["People"] == [
        {"Name": "Ada Lane", "Id": to_jellyfin(person), "Type": "Actor", "Role": "Louise"}
    ]
    assert BaseItemDto.from_dict(arrival).people
    assert "People" not in app.json(f"/Items/{stage.jid('Dune Sketch')}")


def test_genres_and_other_detail_fields_come_in_a_list_only_when_fields_asks(stage: Stage) -> None:
    app = stage.app("owner")
    movies = library_jid(stage, "Movies")
    grid = f"/Items?ParentId={movies}&Recursive=true&IncludeItemTypes=Movie&SortBy=SortName"
    plain = next(i for i in app.json(grid)["Items"] if i["Name"] == "Arrival")
    assert not {"Genres", "Overview", "ProviderIds"} & plain.keys()
    asked = next(i for i in app.json(grid + "&Fields=genres,ProviderIds")["Items"] if i["Name"] == "Arrival")
    assert (asked["Genres"], asked["ProviderIds"]) == (["Drama", "Science Fiction"], {})
    # The same off the library-page shortcut, through the finder; one item by id carries them unasked.
    (found,) = app.json("/Items?Recursive=true&SearchTerm=Arrival&Fields=Genres")["Items"]
    assert found["Genres"] == ["Drama", "Science Fiction"]
    assert "Genres" not in app.json("/Items?Recursive=true&SearchTerm=Arrival")["Items"][0]
    assert app.json(f"/Items/{stage.jid('Arrival')}")["Genres"] == ["Drama", "Science Fiction"]
    BaseItemDto.from_dict(plain)


def test_odd_input_is_a_4xx_or_an_answer_never_a_500(stage: Stage) -> None:
    app = stage.app("owner")
    show = stage.jid("Ocean Watch")
    paths = [
        "/Items",
        "/Items?Recursive=true",
        f"/Users/{stage.user_jid('owner')}/Items",
        "/Items/Latest",
        "/UserItems/Resume",
        "/Shows/NextUp",
        f"/Shows/{show}/Seasons",
        f"/Shows/{show}/Episodes",
        "/Artists",
        "/Genres",
        "/UserViews",
        f"/Items/{show}",
        "/DisplayPreferences/usersettings",
    ]
    for path in paths:
        for query in ODD_QUERIES:
            joiner = "&" if "?" in path else "?"
            answer = app.get(f"{path}{joiner}{query}")
            assert answer.status < 500, (path, query, answer.status, answer.body[:200])
            if answer.status >= 400:
                assert answer.json()["status"] == answer.status


def test_a_titles_extras_are_its_special_features(stage: Stage) -> None:
    features = stage.app("owner").json(f"/Items/{stage.jid('Crash Course')}/SpecialFeatures")
    assert [(f["Name"], f["Type"]) for f in features] == [("Crash Course Featurette", "Video")]
    assert stage.app("owner").json(f"/Items/{stage.jid('Arrival')}/SpecialFeatures") == []
    assert stage.app("owner").json("/Items/Suggestions")["Items"] == []


def test_the_apiclient_signs_in_as_kodi_does_and_browses_with_its_device_token(stage: Stage) -> None:
    client = JellyfinClient()
    client.config.app("reelhouse-tests", "0.1", "ci-box", "dev-kodi")
    client.config.data["auth.ssl"] = False
    client.auth.connect_to_address(stage.url)
    result = client.auth.login(stage.url, "alice", "correct horse battery")
    assert result.get("AccessToken"), result
    state = client.authenticate(client.get_credentials(), discover=False)
    assert state["State"] == CONNECTION_STATE["SignedIn"]
    client.start()
    restrict_alice(stage)
    views = client.jellyfin.get_views()
    assert sorted(v["Name"] for v in views["Items"]) == ["Movies", "Shows"]
    found = client.jellyfin.get_user_items(recursive=True, include_item_types="Movie")
    assert sorted(i["Name"] for i in found["Items"]) == ["Arrival", "Brave", "Dune Sketch"]


def test_type_folder_and_name_filters(stage: Stage) -> None:
    app = stage.app("owner")
    music = library_jid(stage, "Music")

    def names(query: str) -> list[str]:
        return [i["Name"] for i in app.json(f"/Items?Recursive=true&{query}")["Items"]]

    assert names("IncludeItemTypes=Movie&NameStartsWith=b") == ["Brave"]
    assert names(f"ParentId={music}&Filters=IsFolder") == [
        "Glass City",
        "Night River",
        "Paper",
        "Stone Garden",
    ]
    assert names(f"ParentId={music}&Filters=IsNotFolder&ExcludeItemTypes=MusicAlbum") == [
        "Paper Track 1",
        "Stone Garden Track 1",
        "Stone Garden Track 2",
    ]
    assert names(f"ParentId={music}&MediaTypes=Video") == []
    assert (
        names("MediaTypes=Audio&SortBy=Album,IndexNumber&SortOrder=Descending")[0] == "Stone Garden Track 2"
    )
    assert names(f"ParentId={music}&ExcludeItemTypes=Audio,MusicAlbum") == ["Glass City", "Night River"]
