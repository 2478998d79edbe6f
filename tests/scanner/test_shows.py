"""Shows: show → season → episode from folder and file names."""

from __future__ import annotations

from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.mediagen import jpeg_bytes
from tests.scanner.rows import items, one


def _shows(library_factory):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.SHOWS)
    return library, Path(library.roots[0])


def test_episodes_are_grouped_under_show_and_season(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "The Show" / "Season 01" / "The Show - S01E01 - Pilot.mkv")
    media_kit.video_at(root / "The Show" / "Season 01" / "The Show - S01E02 - Next.mkv")
    media_kit.video_at(root / "The Show" / "Season 02" / "The Show - S02E01 - Again.mkv")
    scanner.scan(library)
    show = one(db, "show")
    seasons = items(db, "season")
    episodes = items(db, "episode")
    assert (show["title"], show["top_id"], show["group_key"], show["sort_title"]) == (
        "The Show",
        show["id"],
        "the show",
        "show, the",
    )
    assert [(s["idx"], s["parent_id"], s["top_id"]) for s in seasons] == [
        (1, show["id"], show["id"]),
        (2, show["id"], show["id"]),
    ]
    assert [(e["parent_idx"], e["idx"], e["title"]) for e in episodes] == [
        (1, 1, "Pilot"),
        (1, 2, "Next"),
        (2, 1, "Again"),
    ]
    assert {e["top_id"] for e in episodes} == {show["id"]}
    assert episodes[0]["parent_id"] == seasons[0]["id"]


def test_multi_episode_file_is_one_item_with_an_index_end(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E02E03 - Double.mkv")
    scanner.scan(library)
    episode = one(db, "episode")
    assert (episode["idx"], episode["extra"]["index_end"], episode["title"]) == (2, 3, "Double")


def test_1x02_names_are_season_and_episode(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Show 3x07 Title.mp4")
    scanner.scan(library)
    episode = one(db, "episode")
    assert (episode["parent_idx"], episode["idx"], episode["title"]) == (3, 7, "Title")


def test_specials_live_in_season_zero(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Season 00" / "Show - S00E01 - Special.mkv")
    media_kit.video_at(root / "Show" / "Specials" / "Show - Behind it all.mkv")
    scanner.scan(library)
    season = one(db, "season")
    assert (season["idx"], season["title"]) == (0, "Specials")
    assert len(items(db, "episode")) == 2


def test_date_based_episodes_keep_their_air_date(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Daily News" / "Daily News 2024-03-01.mp4")
    media_kit.video_at(root / "Daily News" / "Daily News 2024-03-02.mp4")
    scanner.scan(library)
    episodes = items(db, "episode")
    assert [e["aired"] for e in episodes] == ["2024-03-01", "2024-03-02"]
    assert one(db, "season")["idx"] == 2024


def test_release_style_episode_names_in_the_root_group_by_show(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Some.Show.S01E01.720p.HDTV.x264-GRP.mkv")
    media_kit.video_at(root / "Some.Show.S01E02.720p.HDTV.x264-GRP.mkv")
    scanner.scan(library)
    assert one(db, "show")["title"] == "Some Show"
    assert [e["idx"] for e in items(db, "episode")] == [1, 2]


def test_tvshow_nfo_rating_is_inherited_by_seasons_and_episodes(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E01.mkv")
    (root / "Show" / "tvshow.nfo").write_text(
        "<tvshow><title>Shown</title><mpaa>TV-MA</mpaa><plot>p</plot></tvshow>"
    )
    scanner.scan(library)
    show = one(db, "show")
    assert (show["title"], show["content_rating"], show["rating_rank"]) == ("Shown", "TV-MA", 17)
    assert one(db, "season")["rating_rank"] == 17
    assert one(db, "episode")["rating_rank"] == 17


def test_episode_nfo_sets_the_episode_title(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E01.mkv")
    (root / "Show" / "Season 01" / "Show - S01E01.nfo").write_text(
        "<episodedetails><title>From NFO</title></episodedetails>"
    )
    scanner.scan(library)
    assert one(db, "episode")["title"] == "From NFO"


def test_show_and_season_posters_come_from_the_show_folder(db, scanner, library_factory, media_kit):
    library, root = _shows(library_factory)
    media_kit.video_at(root / "Show" / "Season 01" / "Show - S01E01.mkv")
    (root / "Show" / "poster.jpg").write_bytes(jpeg_bytes())
    (root / "Show" / "fanart.jpg").write_bytes(jpeg_bytes())
    (root / "Show" / "season01-poster.jpg").write_bytes(jpeg_bytes())
    scanner.scan(library)
    show = one(db, "show")
    assert (show["poster"], show["fanart"]) == (
        str(root / "Show" / "poster.jpg"),
        str(root / "Show" / "fanart.jpg"),
    )
    assert one(db, "season")["poster"] == str(root / "Show" / "season01-poster.jpg")
