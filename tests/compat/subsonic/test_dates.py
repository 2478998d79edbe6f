"""Dates in Subsonic's form in both wire formats: an album's `created` is written by the JSON writer from the
datetime itself and by the XML writer through its own path, and both must say the same "…Z" instant."""

from __future__ import annotations

import re
from urllib.parse import urlencode
from xml.etree import ElementTree

from tests.compat.subsonic.conftest import World
from tests.harness import Client

XMLNS = "{http://subsonic.org/restapi}"
UTC_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


def test_an_albums_created_is_the_same_utc_instant_in_json_and_xml(world: World) -> None:
    query = {"type": "alphabeticalByName", "apiKey": world.keys["owner"]}
    client = Client(world.server.port)
    answer = client.get(f"/rest/getAlbumList2?{urlencode({**query, 'f': 'json'})}")
    assert answer.status == 200, answer.body
    albums = answer.json()["subsonic-response"]["albumList2"]["album"]
    from_json = {a["id"]: a["created"] for a in albums}
    xml = client.get(f"/rest/getAlbumList2?{urlencode(query)}")
    assert xml.status == 200, xml.body
    root = ElementTree.fromstring(xml.body)
    from_xml = {a.get("id"): a.get("created") for a in root.iter(f"{XMLNS}album")}
    assert from_json and from_json == from_xml
    assert all(UTC_DATETIME.match(created) for created in from_json.values()), from_json
