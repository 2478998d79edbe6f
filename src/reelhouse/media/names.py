"""What a file or folder name says: movie title and year, episode numbers, parts, sort titles."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

_YEAR = r"(?:19|20)\d\d"
_CANONICAL = re.compile(rf"^(?P<title>.+?)\s*[(\[](?P<year>{_YEAR})[)\]](?P<rest>.*)$")
_PART = re.compile(r"(?i)[\s._-]*[(\[]?\b(?:cd|dvd|part|pt|disc|disk)[\s._-]?(?P<n>\d{1,2})[)\]]?\s*$")
_SXXEYY = re.compile(
    r"(?i)(?<![a-z0-9])s(?P<s>\d{1,3})[\s._-]?e(?P<e>\d{1,4})(?:(?:[\s._-]?-?e|-)(?P<e2>\d{1,4})(?!\d))?"
)
_NXNN = re.compile(
    r"(?i)(?<![a-z0-9])(?P<s>\d{1,2})x(?P<e>\d{2,3})(?:-?x?(?:\d{1,2}x)?(?P<e2>\d{2,3}))?(?![0-9p])"
)
_DATE = re.compile(rf"(?<!\d)(?P<y>{_YEAR})[.\-_ ](?P<m>[01]\d)[.\-_ ](?P<d>[0-3]\d)(?!\d)")
_SEASON_DIR = re.compile(r"(?i)^(?:season|series|saison|staffel)[\s._-]*(?P<n>\d{1,4})$|^s(?P<m>\d{1,3})$")
_SPECIALS_DIR = re.compile(r"(?i)^specials?$")
# Markers that only release-style names carry; their presence sends a name to guessit.
_RELEASE = re.compile(
    r"(?i)(?<![a-z0-9])(?:\d{3,4}p|[hx]\.?26[45]|hevc|xvid|divx|bluray|blu-ray|bdrip|brrip|web-?dl|webrip|"
    r"hdtv|dvdrip|remux|hdr|10bit|aac|ac3|dts|atmos|proper|repack)(?![a-z0-9])"
)
_SEPARATORS = re.compile(r"[\s._]+")
_EDGE = re.compile(r"^[\s\-_.,:;]+|[\s\-_.,:;]+$")
_TRACK_PREFIX = re.compile(r"^\d{1,3}(?:[\s._-]+|\s*-\s*)")
_ARTICLES = ("the ", "a ", "an ")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
EXTRAS_DIRS = frozenset(
    {"extras", "featurettes", "behind the scenes", "trailers", "deleted scenes", "interviews", "shorts"}
)
# Plex's and Jellyfin's name for a trailer kept beside its movie: "Heat (1995)-trailer.mkv", or "trailer.mkv"
# alone in the movie's folder. The hyphen is required, so a film called "The Trailer" stays a film.
_TRAILER_SUFFIX = re.compile(r"(?i)^(?P<base>.*?)\s*-\s*trailer\d{0,2}$|^(?P<bare>trailer)$")


@dataclass(frozen=True)
class MovieName:
    title: str
    year: int | None = None
    part: int = 1
    # The name carries a part marker (cd1, part2, pt1, disc 2): only such files are parts of one movie.
    marked: bool = False


@dataclass(frozen=True)
class EpisodeName:
    show: str | None
    season: int | None
    episode: int | None
    episode_end: int | None = None
    aired: str | None = None
    title: str | None = None


def clean(text: str) -> str:
    """Dots and underscores become spaces when the name has no spaces of its own."""
    if " " not in text.strip():
        text = _SEPARATORS.sub(" ", text)
    return _EDGE.sub("", " ".join(text.split()))


def normalise(name: str) -> str:
    """The grouping key for a show, artist, album or movie name: case, accents and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def sort_title(title: str) -> str:
    text = " ".join(title.casefold().split())
    for article in _ARTICLES:
        if text.startswith(article) and len(text) > len(article):
            return f"{text[len(article) :]}, {article.strip()}"
    return text


def _split_part(stem: str) -> tuple[str, int]:
    match = _PART.search(stem)
    if match is None or match.start() == 0:
        return stem, 1
    return stem[: match.start()], int(match.group("n"))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _guess(name: str, kind: str) -> dict[str, Any]:
    # Imported here: guessit costs ~0.4 s to import and ~14 ms a name, so only release-style names pay.
    from guessit import guessit

    try:
        return dict(guessit(name, {"type": kind}))
    except Exception:  # noqa: BLE001 - guessit raises assorted errors on odd names; the caller falls back
        return {}


def looks_like_release(stem: str) -> bool:
    return bool(_RELEASE.search(stem)) or (" " not in stem and stem.count(".") >= 2)


def parse_movie(stem: str) -> MovieName:
    """'Title (Year) - cd1' is read with a regex; release-style names go to guessit."""
    base, part = _split_part(stem)
    marked = base != stem
    canonical = _CANONICAL.match(base)
    if canonical and not looks_like_release(canonical.group("rest")):
        return MovieName(clean(canonical.group("title")) or stem, int(canonical.group("year")), part, marked)
    if looks_like_release(base):
        guess = _guess(stem + ".mkv", "movie")
        title = _first(guess.get("title"))
        if isinstance(title, str) and title.strip():
            year = _first(guess.get("year"))
            guessed_part = _first(guess.get("part") or guess.get("cd"))
            return MovieName(
                title.strip()[:512],
                year if isinstance(year, int) else None,
                guessed_part if isinstance(guessed_part, int) else part,
                marked or isinstance(guessed_part, int),
            )
    if canonical:
        return MovieName(clean(canonical.group("title")) or stem, int(canonical.group("year")), part, marked)
    return MovieName(clean(base) or stem, None, part, marked)


def parse_folder_year(name: str) -> tuple[str, int | None]:
    """'Show (2019)' → ('Show', 2019); anything else is the cleaned name without a year."""
    match = _CANONICAL.match(name)
    if match and not match.group("rest").strip():
        return clean(match.group("title")) or name, int(match.group("year"))
    return clean(name) or name, None


def _around(stem: str, start: int, end: int) -> tuple[str | None, str | None]:
    show = clean(stem[:start]) or None
    title = clean(stem[end:]) or None
    return show, title


def parse_episode(stem: str) -> EpisodeName:
    """S01E02, S01E02E03, 1x02 and dated names by regex; anything else goes to guessit."""
    for pattern in (_SXXEYY, _NXNN):
        match = pattern.search(stem)
        if match:
            show, title = _around(stem, match.start(), match.end())
            end = int(match.group("e2")) if match.group("e2") else None
            episode = int(match.group("e"))
            return EpisodeName(
                show, int(match.group("s")), episode, end if end and end > episode else None, None, title
            )
    dated = _DATE.search(stem)
    if dated:
        show, title = _around(stem, dated.start(), dated.end())
        aired = f"{dated.group('y')}-{dated.group('m')}-{dated.group('d')}"
        return EpisodeName(show, int(dated.group("y")), None, None, aired, title)
    guess = _guess(stem + ".mkv", "episode")
    season: Any = _first(guess.get("season"))
    guessed: Any = guess.get("episode")
    episodes = guessed if isinstance(guessed, list) else [guessed]
    numbers = [e for e in episodes if isinstance(e, int)]
    show = _first(guess.get("title"))
    title = _first(guess.get("episode_title"))
    return EpisodeName(
        show if isinstance(show, str) else None,
        season if isinstance(season, int) else None,
        numbers[0] if numbers else None,
        numbers[-1] if len(numbers) > 1 else None,
        None,
        title if isinstance(title, str) else None,
    )


def season_of_folder(name: str) -> int | None:
    """'Season 01' → 1, 'Specials' → 0, anything else → None."""
    if _SPECIALS_DIR.match(name):
        return 0
    match = _SEASON_DIR.match(name.strip())
    if match is None:
        return None
    return int(match.group("n") or match.group("m"))


def track_title(stem: str) -> str:
    """'01 - Song' → 'Song'; used when a track has no title tag."""
    return clean(_TRACK_PREFIX.sub("", stem)) or clean(stem) or stem


def is_extras_folder(name: str) -> bool:
    return name.casefold().strip() in EXTRAS_DIRS


def extra_type_of_folder(name: str) -> str:
    """An extras folder's type; trailers have the same type whether they sit in a folder or beside the movie."""
    folded = name.casefold().strip()
    return "trailer" if folded == "trailers" else folded


def trailer_base(stem: str) -> str | None:
    """The movie's own name for a trailer kept beside it ("" for a bare "trailer"); None: not a trailer."""
    match = _TRAILER_SUFFIX.match(stem.strip())
    if match is None:
        return None
    return "" if match.group("bare") else match.group("base").strip()
