"""Subsonic's XML answers validate against Subsonic's own schema (subsonic-rest-api.xsd, its source named in
the file), as DSub and the other XML apps read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import xmlschema

from reelhouse.domain.access import system_actor
from tests.compat.subsonic.conftest import World
from tests.compat.subsonic.test_playlists import rest, song
from tests.harness import Client

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("subsonic-rest-api.xsd"))
# OpenSubsonic adds these three to the root of every answer (https://opensubsonic.netlify.app/docs/responses/
# subsonic-response/); Subsonic's schema predates them, so they alone are taken off before validating.
OPEN_SUBSONIC_ROOT = ("type", "serverVersion", "openSubsonic")


def xml(world: World, method: str, **query: str) -> ElementTree.Element:
    answer = Client(world.server.port).get(f"/rest/{method}?{urlencode(query)}")
    assert answer.status == 200, answer.body
    assert (answer.header("Content-Type") or "").startswith("text/xml")
    root = ElementTree.fromstring(answer.body)
    for name in OPEN_SUBSONIC_ROOT:
        assert name in root.attrib, name
        del root.attrib[name]
    return root


def _ids(world: World) -> dict[str, str]:
    found = world.server.server.services.catalogue.search
    return {
        "artist": str(found(system_actor(), "Ana")[0].id),
        "album": str(found(system_actor(), "Blue")[0].id),
        "song": song(world, "First Light"),
    }


CALLS: list[tuple[str, dict[str, str]]] = [
    ("ping", {}),
    ("getLicense", {}),
    ("getMusicFolders", {}),
    ("getIndexes", {}),
    ("getArtists", {}),
    ("getArtist", {"id": "{artist}"}),
    ("getAlbum", {"id": "{album}"}),
    ("getSong", {"id": "{song}"}),
    ("getMusicDirectory", {"id": "{album}"}),
    ("search3", {"query": ""}),
    ("search2", {"query": ""}),
    ("getAlbumList2", {"type": "alphabeticalByName"}),
    ("getAlbumList", {"type": "newest"}),
    ("getRandomSongs", {}),
    ("getGenres", {}),
    ("getStarred2", {}),
    ("getPlaylists", {}),
    ("getPlaylist", {"id": "{playlist}"}),
    ("getPlayQueue", {}),
    ("getUser", {"username": "member"}),
    ("getScanStatus", {}),
    ("getNowPlaying", {}),
    # Errors: missing parameter, not found, not allowed, bad credentials.
    ("getAlbum", {}),
    ("getSong", {"id": "no-such-song"}),
    ("download", {"id": "{song}"}),
]


@pytest.fixture(scope="module")
def marks(world: World) -> Iterator[dict[str, Any]]:
    """Stars, a played song, a playlist and a play queue, so the answers carry every optional part."""
    key = world.keys["member"]
    ids = _ids(world)
    for kind in ("artist", "album", "song"):
        rest(world, "star", id=ids[kind], apiKey=key)
    rest(world, "scrobble", id=ids["song"], submission="true", apiKey=key)
    made = rest(world, "createPlaylist", name="Schema", songId=ids["song"], apiKey=key)
    rest(world, "updatePlaylist", playlistId=made["playlist"]["id"], comment="checked", apiKey=key)
    rest(world, "savePlayQueue", id=ids["song"], position="10", apiKey=key)
    yield {**ids, "playlist": made["playlist"]["id"]}
    # The module's other tests count the member's stars and playlists.
    for kind in ("artist", "album", "song"):
        rest(world, "unstar", id=ids[kind], apiKey=key)
    rest(world, "deletePlaylist", id=made["playlist"]["id"], apiKey=key)


@pytest.mark.parametrize(("method", "query"), CALLS, ids=[f"{m}-{len(q)}" for m, q in CALLS])
def test_each_xml_answer_is_valid_subsonic(
    world: World, marks: dict[str, Any], method: str, query: dict[str, str]
) -> None:
    given = {k: v.format(**marks) for k, v in query.items()}
    root = xml(world, method, apiKey=world.keys["member"], **given)
    if method == "getPlayQueue":
        # Subsonic's schema types a play queue's `current` as xs:int, from when its ids were numbers; every other
        # id in it is a string, as ours are, and OpenSubsonic documents `current` as a string.
        queue = root.find("{http://subsonic.org/restapi}playQueue")
        assert queue is not None and queue.attrib.pop("current") == marks["song"]
    SCHEMA.validate(root)


def test_a_wrong_key_is_a_valid_error_answer(world: World) -> None:
    root = xml(world, "ping", apiKey="rs_wrong")
    assert root.attrib["status"] == "failed"
    SCHEMA.validate(root)
