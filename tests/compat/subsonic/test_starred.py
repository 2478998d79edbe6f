"""getStarred2 lists everything a user starred and may still see, however much that is, with the date of each star."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import insert

from reelhouse.domain.access import Role, system_actor
from reelhouse.persistence.schema import play_state
from tests.catalogue_factory import Row, add_rows
from tests.compat.subsonic.conftest import PASSWORD, music_app
from tests.harness import RunningServer


def test_every_star_is_listed_past_the_thousandth(tmp_path: Path) -> None:
    server = RunningServer(tmp_path / "data")
    try:
        root = tmp_path / "music"
        root.mkdir()
        library = server.server.services.libraries.add(system_actor(), "Music", "music", [str(root)])
        artist = Row("Many Songs", kind="artist")
        album = Row("Long Album", kind="album", parent_id=artist.id, top_id=artist.id)
        songs = [
            Row(f"Song {n:04d}", kind="track", parent_id=album.id, top_id=artist.id, idx=n)
            for n in range(1, 1206)
        ]
        add_rows(server.server.db, library.id, [artist, album, *songs])
        user_id = server.create_user("fan", Role.MEMBER, PASSWORD)
        now = time.time()
        with server.server.db.begin() as conn:
            conn.execute(
                insert(play_state),
                [
                    {"user_id": user_id, "item_id": s.id, "updated_at": now, "favourite_at": now - n}
                    for n, s in enumerate(songs)
                ]
                + [{"user_id": user_id, "item_id": album.id, "updated_at": now, "favourite_at": now}],
            )
        key = music_app(server.sign_in("fan", PASSWORD), "phone", "key")
        answer = server.anonymous().get(f"/rest/getStarred2?f=json&apiKey={key}").json()["subsonic-response"]
        starred = answer["starred2"]
        assert len(starred["song"]) == len(songs) == 1205
        assert [a["name"] for a in starred["album"]] == ["Long Album"]
        assert starred["artist"] == []
        assert all(s["starred"].endswith("Z") for s in starred["song"])
    finally:
        server.stop()
