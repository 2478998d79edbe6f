"""Movies: names, folders, parts, extras, NFO, artwork and subtitles."""

from __future__ import annotations

import json
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.mediagen import jpeg_bytes
from tests.scanner.rows import items, one, rows


def _movies(library_factory):  # type: ignore[no-untyped-def]
    library = library_factory(LibraryKind.MOVIES)
    return library, Path(library.roots[0])


def test_title_and_year_come_from_a_canonical_folder_and_file_name(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Big Buck Test (2024)" / "Big Buck Test (2024).mp4")
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["title"], movie["year"], movie["sort_title"]) == ("Big Buck Test", 2024, "big buck test")
    assert movie["top_id"] == movie["id"] and movie["parent_id"] is None


def test_release_style_names_are_parsed_by_guessit(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv")
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["title"], movie["year"], movie["sort_title"]) == ("The Matrix", 1999, "matrix, the")


def test_loose_files_in_the_root_are_separate_movies(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Alpha (2001).mp4")
    media_kit.video_at(root / "Beta (2002).mkv")
    scanner.scan(library)
    assert [(m["title"], m["year"]) for m in items(db, "movie")] == [("Alpha", 2001), ("Beta", 2002)]


def test_multi_part_files_become_one_movie_with_numbered_parts(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Long Film (1990)"
    media_kit.video_at(folder / "Long Film (1990) - cd1.mkv")
    media_kit.video_at(folder / "Long Film (1990) - cd2.mkv")
    media_kit.video_at(root / "Other (1991) part2.mp4")
    scanner.scan(library)
    movies = items(db, "movie")
    assert [m["title"] for m in movies] == ["Long Film", "Other"]
    parts = rows(db, "SELECT part FROM media_files WHERE item_id = :i ORDER BY part", i=movies[0]["id"])
    assert [p["part"] for p in parts] == [1, 2]


def test_extras_folders_become_extra_children_of_the_movie(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    media_kit.video_at(folder / "Featurettes" / "Making Of.mp4")
    media_kit.video_at(folder / "Behind The Scenes" / "On Set.mp4")
    media_kit.video_at(folder / "Trailers" / "Teaser.mp4")
    media_kit.video_at(folder / "Extras" / "Bloopers.mp4")
    scanner.scan(library)
    movie = one(db, "movie")
    extras = items(db, "extra")
    assert sorted(e["title"] for e in extras) == ["Bloopers", "Making Of", "On Set", "Teaser"]
    assert {(e["parent_id"], e["top_id"]) for e in extras} == {(movie["id"], movie["id"])}


def test_media_info_is_stored_in_the_domain_shape(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Probe (2020).mp4")
    scanner.scan(library)
    media = json.loads(rows(db, "SELECT media FROM media_files")[0]["media"])
    video, audio = media["streams"]
    assert media["container"] == "mp4" and 0.5 < media["duration"] < 2
    assert (video["codec"], video["width"], video["height"], video["pixel_format"]) == (
        "h264",
        96,
        64,
        "yuv420p",
    )
    assert video["frame_rate"] == 10.0 and video["default"] is True and video["profile"]
    assert (audio["codec"], audio["channels"], audio["sample_rate"]) == ("aac", 1, 44100)


def test_nfo_sets_metadata_and_content_rating_rank(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    media_kit.video_at(folder / "Extras" / "Bloopers.mp4")
    (folder / "movie.nfo").write_text(
        "<movie><title>The Real Film</title><year>2011</year><plot>A plot.</plot><rating>7.5</rating>"
        "<mpaa>Rated PG-13</mpaa><genre>Drama</genre><genre>Comedy</genre><tag>kids</tag></movie>"
    )
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["title"], movie["year"], movie["plot"], movie["rating"]) == (
        "The Real Film",
        2011,
        "A plot.",
        7.5,
    )
    assert (movie["content_rating"], movie["rating_rank"]) == ("Rated PG-13", 13)
    assert one(db, "extra")["rating_rank"] == 13
    genres = rows(db, "SELECT genre FROM item_genres WHERE item_id = :i ORDER BY genre", i=movie["id"])
    assert [g["genre"] for g in genres] == ["Comedy", "Drama"]
    assert rows(db, "SELECT tag FROM item_tags")[0]["tag"] == "kids"


def test_nfo_named_after_the_file_applies_to_a_loose_movie(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Loose (2000).mp4")
    (root / "Loose (2000).nfo").write_text("<movie><title>Loose Title</title></movie>")
    scanner.scan(library)
    assert one(db, "movie")["title"] == "Loose Title"


def test_an_nfo_added_later_is_applied_by_the_next_scan(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    scanner.scan(library)
    (folder / "movie.nfo").write_text("<movie><title>Later</title></movie>")
    scanner.scan(library)
    assert one(db, "movie")["title"] == "Later"


def test_local_poster_and_fanart_are_stored_as_absolute_paths(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mp4")
    (folder / "folder.jpg").write_bytes(jpeg_bytes())
    (folder / "backdrop.jpg").write_bytes(jpeg_bytes())
    scanner.scan(library)
    movie = one(db, "movie")
    assert (movie["poster"], movie["fanart"]) == (str(folder / "folder.jpg"), str(folder / "backdrop.jpg"))


def test_name_poster_is_used_for_a_loose_movie(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.video_at(root / "Loose (2000).mp4")
    (root / "Loose (2000)-poster.jpg").write_bytes(jpeg_bytes())
    (root / "poster.jpg").write_bytes(jpeg_bytes())
    scanner.scan(library)
    assert one(db, "movie")["poster"] == str(root / "Loose (2000)-poster.jpg")


def test_sidecar_subtitles_carry_language_and_forced_flag(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    folder = root / "Film (2010)"
    media_kit.video_at(folder / "Film (2010).mkv")
    for name in ("Film (2010).en.srt", "Film (2010).eng.forced.srt", "Film (2010).ass", "Other.de.srt"):
        (folder / name).write_text("1\n")
    scanner.scan(library)
    subs = rows(db, "SELECT path, language, forced, format FROM subtitles ORDER BY path")
    assert [(Path(s["path"]).name, s["language"], bool(s["forced"]), s["format"]) for s in subs] == [
        ("Film (2010).ass", None, False, "ass"),
        ("Film (2010).en.srt", "en", False, "srt"),
        ("Film (2010).eng.forced.srt", "eng", True, "srt"),
    ]


def test_embedded_text_subtitles_are_rows_with_their_stream_index(db, scanner, library_factory, media_kit):
    library, root = _movies(library_factory)
    media_kit.copy("subbed.mkv", root / "Subbed (2020).mkv")
    scanner.scan(library)
    sub = rows(db, "SELECT * FROM subtitles")
    assert [(s["embedded_index"], s["language"], bool(s["forced"]), s["path"]) for s in sub] == [
        (2, "fre", True, None)
    ]
