"""A music app's key reaches the music libraries as they are now: the list its requests narrow the key to is
the library service's reused list, so a library added or removed must reach the very next request."""

from __future__ import annotations

from pathlib import Path

from reelhouse.domain.access import Role, system_actor
from tests.compat.subsonic.conftest import music_app
from tests.harness import Client, RunningServer


def folders(server: RunningServer, key: str) -> list[str]:
    answer = Client(server.port).get(f"/rest/getMusicFolders?f=json&apiKey={key}")
    assert answer.status == 200, answer.body
    body = answer.json()["subsonic-response"]
    assert body["status"] == "ok", body
    return sorted(f["name"] for f in body["musicFolders"].get("musicFolder", []))


def test_a_library_added_or_removed_reaches_the_next_request(tmp_path: Path) -> None:
    for name in ("music", "more", "films"):
        (tmp_path / name).mkdir()
    server = RunningServer(tmp_path / "data")
    try:
        libraries, system = server.server.services.libraries, system_actor("test")
        libraries.add(system, "Music", "music", [str(tmp_path / "music")])
        libraries.add(system, "Films", "movies", [str(tmp_path / "films")])
        server.create_user("owner", Role.OWNER)
        key = music_app(server.sign_in("owner"), "phone", "key")
        # Each of these requests reads the list; the next change must not wait for it to grow stale.
        assert folders(server, key) == ["Music"]
        more = libraries.add(system, "More", "music", [str(tmp_path / "more")])
        assert folders(server, key) == ["More", "Music"]
        libraries.remove(system, more.id)
        assert folders(server, key) == ["Music"]
    finally:
        server.stop()
