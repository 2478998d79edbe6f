"""Every naming case of issue 2, table-driven against media/names.py."""

from __future__ import annotations

import pytest

from reelhouse.media import names
from reelhouse.media.names import EpisodeName, MovieName


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("Big Buck Test (2024)", MovieName("Big Buck Test", 2024, 1, False)),
        ("Big Buck Test [2024]", MovieName("Big Buck Test", 2024, 1, False)),
        ("Long Film (1990) - cd1", MovieName("Long Film", 1990, 1, True)),
        ("Long Film (1990) - cd2", MovieName("Long Film", 1990, 2, True)),
        ("Other (1991) part2", MovieName("Other", 1991, 2, True)),
        ("Heat (1995) pt1", MovieName("Heat", 1995, 1, True)),
        ("Heat (1995) - disc 2", MovieName("Heat", 1995, 2, True)),
        ("Heat (1995) [Director's Cut]", MovieName("Heat", 1995, 1, False)),
        ("The.Matrix.1999.1080p.BluRay.x264-GROUP", MovieName("The Matrix", 1999, 1, False)),
        ("Amelie.2001.720p.WEB-DL.AAC", MovieName("Amelie", 2001, 1, False)),
        ("No_Year_Here", MovieName("No Year Here", None, 1, False)),
        ("Plain Title", MovieName("Plain Title", None, 1, False)),
        ("2001 A Space Odyssey (1968)", MovieName("2001 A Space Odyssey", 1968, 1, False)),
    ],
)
def test_movie_names(stem: str, expected: MovieName) -> None:
    assert names.parse_movie(stem) == expected


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("The Show - S01E02 - Title", EpisodeName("The Show", 1, 2, None, None, "Title")),
        ("the.show.s01e02.720p", EpisodeName("the show", 1, 2, None, None, "720p")),
        ("Show - S01E02E03 - Double", EpisodeName("Show", 1, 2, 3, None, "Double")),
        ("Show - S01E02-E03", EpisodeName("Show", 1, 2, 3, None, None)),
        ("Show - S01E02-03", EpisodeName("Show", 1, 2, 3, None, None)),
        ("Show 1x02 Title", EpisodeName("Show", 1, 2, None, None, "Title")),
        ("Show - 1x02-1x03", EpisodeName("Show", 1, 2, 3, None, None)),
        ("Show - S00E01 - Special", EpisodeName("Show", 0, 1, None, None, "Special")),
        ("Daily Show 2024-03-05 Guest", EpisodeName("Daily Show", 2024, None, None, "2024-03-05", "Guest")),
        ("News.2023.11.30", EpisodeName("News", 2023, None, None, "2023-11-30", None)),
        ("S02E10", EpisodeName(None, 2, 10, None, None, None)),
    ],
)
def test_episode_names(stem: str, expected: EpisodeName) -> None:
    assert names.parse_episode(stem) == expected


@pytest.mark.parametrize(
    ("folder", "season"),
    [
        ("Season 01", 1),
        ("season 1", 1),
        ("Series 3", 3),
        ("Staffel 2", 2),
        ("Saison 4", 4),
        ("S05", 5),
        ("Specials", 0),
        ("Special", 0),
        ("Season 2019", 2019),
        ("Extras", None),
        ("Show", None),
    ],
)
def test_season_folders(folder: str, season: int | None) -> None:
    assert names.season_of_folder(folder) == season


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("Show (2019)", ("Show", 2019)),
        ("Show", ("Show", None)),
        ("Film (2010) extended", ("Film (2010) extended", None)),
        ("Dotted.Folder.Name", ("Dotted Folder Name", None)),
    ],
)
def test_folder_title_and_year(folder: str, expected: tuple[str, int | None]) -> None:
    assert names.parse_folder_year(folder) == expected


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("01 - Song", "Song"),
        ("01. Song", "Song"),
        ("1-Song", "Song"),
        ("Song", "Song"),
        ("10_Song_Name", "Song Name"),
    ],
)
def test_track_titles_without_tags(stem: str, title: str) -> None:
    assert names.track_title(stem) == title


@pytest.mark.parametrize(
    ("title", "sort"),
    [
        ("The Matrix", "matrix, the"),
        ("A Film", "film, a"),
        ("An Apple", "apple, an"),
        ("The", "the"),
        ("Theory", "theory"),
        ("  Big   Space ", "big space"),
    ],
)
def test_sort_titles_move_leading_articles(title: str, sort: str) -> None:
    assert names.sort_title(title) == sort


@pytest.mark.parametrize(
    ("a", "b"),
    [("Beyoncé", "beyonce"), ("AC/DC", "ac dc"), ("The  Show!", "the show"), ("Sigur Rós", "SIGUR ROS")],
)
def test_grouping_keys_ignore_case_accents_and_punctuation(a: str, b: str) -> None:
    assert names.normalise(a) == names.normalise(b)


@pytest.mark.parametrize(
    ("folder", "extras"),
    [
        ("Extras", True),
        ("featurettes", True),
        ("Behind The Scenes", True),
        ("Trailers", True),
        ("Deleted Scenes", True),
        ("Interviews", True),
        ("Shorts", True),
        ("Season 01", False),
        ("Film (2010)", False),
    ],
)
def test_extras_folders(folder: str, extras: bool) -> None:
    assert names.is_extras_folder(folder) is extras


def test_canonical_names_do_not_use_guessit(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, kind: str) -> dict[str, object]:
        raise AssertionError(f"guessit called for {name}")

    monkeypatch.setattr(names, "_guess", refuse)
    assert names.parse_movie("Heat (1995) - cd2") == MovieName("Heat", 1995, 2, True)
    assert names.parse_episode("Show - S01E02 - Title").episode == 2
