"""An HLS session outlives the check that opened it: when a scan re-rates or re-labels its item, a viewer whose
rules now exclude the item is refused on the very next playlist and segment, not when the session ends."""

from __future__ import annotations

import time

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.services.media_access import RECHECK_SECONDS
from tests.playback.conftest import Stage, set_user
from tests.playback.test_hls import Hls


def _label(stage: Stage, rating: str, tags: tuple[str, ...] = ()) -> None:
    """Rewrite the film's .nfo and rescan, as a curator's edit picked up by the next scan would."""
    labels = "".join(f"<tag>{tag}</tag>" for tag in tags)
    nfo = f"<movie><title>Hevc Film</title><mpaa>{rating}</mpaa>{labels}</movie>"
    (stage.root / "hevc" / "hevc.nfo").write_text(nfo, encoding="utf-8")
    library = stage.server.server.services.libraries.all_for_system()[0]
    stage.server.server.scanner.scan(library, full=True)
    item = stage.server.server.services.catalogue.item(system_actor("test"), stage.items["hevc.mkv"])
    assert item.summary.content_rating == rating, "the scan took the new rating"


@pytest.mark.parametrize(
    ("after", "tags"),
    [("R", ()), ("PG", ("gore",))],
    ids=["re-rated", "re-labelled"],
)
def test_an_open_hls_session_is_refused_once_a_scan_puts_its_item_out_of_bounds(
    stage: Stage, after: str, tags: tuple[str, ...]
) -> None:
    _label(stage, "PG")
    member = stage.member("kid")
    set_user(stage, "kid", max_rating={"movies": 13, "shows": 13}, blocked_labels=["gore"])
    answer = member.post(f"/api/items/{stage.items['hevc.mkv']}/playback", {})
    assert answer.status == 200, answer.body
    player = Hls(stage.server.anonymous(), answer.json()["url"])
    playlist = f"{player.base}/{player.master.strip().splitlines()[-1]}"
    segment = f"{player.base}/{player.segments[0]}"
    assert player.client.get(segment).status == 200

    _label(stage, after, tags)
    # A decision may be reused for RECHECK_SECONDS; past that, every request is decided again.
    time.sleep(RECHECK_SECONDS + 0.2)
    assert player.client.get(playlist).status in (403, 404)
    assert player.client.get(segment).status in (403, 404)
