"""Content ratings mapped to an age rank, so that caps compare across rating systems."""

from __future__ import annotations

import re

_RANKS: dict[str, int] = {
    "g": 0,
    "tv-y": 0,
    "tv-g": 0,
    "u": 0,
    "e": 0,
    "all": 0,
    "tv-y7": 7,
    "tv-y7-fv": 7,
    "pg": 10,
    "tv-pg": 10,
    "pg-13": 13,
    "tv-14": 14,
    "12a": 12,
    "m": 15,
    "ma15+": 15,
    "r": 17,
    "tv-ma": 17,
    "nc-17": 18,
    "x": 18,
    "r18+": 18,
}
_UNRATED = {"", "nr", "not rated", "unrated", "approved", "passed"}
_AGE = re.compile(r"(\d{1,2})\+?$")


def rank(content_rating: str | None) -> int | None:
    """Age rank of a rating such as 'PG-13', 'TV-MA', 'FSK 16' or 'de/12'; None when unrated or unknown."""
    if content_rating is None:
        return None
    text = content_rating.strip().lower()
    text = text.split("/", 1)[1] if "/" in text and not text.startswith("tv") else text
    text = text.removeprefix("rated ").removeprefix("us:").strip()
    if text in _UNRATED:
        return None
    if text in _RANKS:
        return _RANKS[text]
    match = _AGE.search(text)
    if match:
        return int(match.group(1))
    return None
