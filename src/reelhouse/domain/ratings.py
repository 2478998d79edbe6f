"""Content ratings mapped to an age rank, so that caps compare across rating systems."""

from __future__ import annotations

import re

# Ranks are ages. A recognised rating never ranks above MAX_RANK, so every cap is applied as at most
# MAX_RANK and the two marks below stay above every cap, whatever number a grant holds.
MAX_RANK = 21
# A rating string the parser does not recognise, or an NFO the scanner refused: it may be anything, so a
# capped viewer never sees it (failing open would show an adult title to a child's profile).
UNKNOWN_RANK = 1000
# A row the scanner wrote before reading its rating and labels: hidden from every restricted viewer.
PENDING_RANK = 1001

# Keys are compact: lower case, without spaces, dots, dashes or underscores ("PG-13" → "pg13").
_US = {
    "g": 0,
    "pg": 10,
    "pg13": 13,
    "r": 17,
    "nc17": 18,
    "x": 18,
    "tvy": 0,
    "tvg": 0,
    "tvy7": 7,
    "tvy7fv": 7,
    "tvpg": 10,
    "tv14": 14,
    "tvma": 17,
}
_UK = {"u": 0, "uc": 0, "pg": 8, "12a": 12, "r18": 18}  # BBFC; 12, 15 and 18 are plain ages
_DE = {"oa": 0, "ohnealtersbeschränkung": 0, "keinejugendfreigabe": 18}  # FSK 0, 6, 12, 16, 18
_FR = {"tp": 0, "touspublics": 0, "u": 0}  # CNC; -10, -12, -16 and -18 are ages
_NL = {"al": 0, "all": 0, "mg6": 6}  # Kijkwijzer; 6, 9, 12, 14, 16, 18 are ages
_AU = {"g": 0, "pg": 8, "m": 15, "ma15+": 15, "r18+": 18, "x18+": 18, "e": 0}  # ACB
# Without a country: the union, the US meaning (the stricter) where a code means two things.
_ANY = {**_NL, **_FR, **_DE, **_AU, **_UK, **_US}
_SYSTEMS: dict[str, dict[str, int]] = {
    "us": _US,
    "usa": _US,
    "uk": _UK,
    "gb": _UK,
    "gbr": _UK,
    "de": _DE,
    "deu": _DE,
    "germany": _DE,
    "fr": _FR,
    "fra": _FR,
    "france": _FR,
    "nl": _NL,
    "nld": _NL,
    "netherlands": _NL,
    "au": _AU,
    "aus": _AU,
    "australia": _AU,
}
_UNRATED = frozenset({"nr", "notrated", "unrated", "approved", "passed"})
_COUNTRY = re.compile(r"^([a-z]{2,11})\s*[:/]\s*(.+)$")
_RATED = re.compile(r"^(?:rated|rating|certificate)\s*:?\s+(.+?)(?:\s+for\s.*)?$")
_SEPARATORS = re.compile(r"[\s._-]+")
# An age on its own or in a system's words: "16", "-12", "18+", "FSK 16", "ab 12 Jahren", "MG6", "14A".
_AGE = re.compile(
    r"^(?:fsk|fskab|ab|freigegebenab|interditauxmoinsde|moinsde)?(\d{1,2})(?:\+|a|jahren|ans)?$"
)


def rank(content_rating: str | None) -> int | None:
    """Age rank of a rating such as 'PG-13', 'US:Rated R', 'de/FSK 16' or 'MA15+'.

    None when absent or marked unrated ('NR', 'Not Rated'); UNKNOWN_RANK for any other string not recognised."""
    if content_rating is None:
        return None
    text = " ".join(content_rating.casefold().split())
    if not text:
        return None
    table = _ANY
    country = _COUNTRY.match(text)
    if country:
        table = _SYSTEMS.get(country.group(1), _ANY)
        text = country.group(2)
    rated = _RATED.match(text)
    if rated:
        text = rated.group(1)
    key = _SEPARATORS.sub("", text)
    if key in _UNRATED:
        return None
    if key in table:
        return table[key]
    age = _AGE.match(key)
    if age and int(age.group(1)) <= MAX_RANK:
        return int(age.group(1))
    return UNKNOWN_RANK


def cap(max_rank: int) -> int:
    """The rank a viewer's cap admits: never above MAX_RANK, so unknown and pending titles stay out."""
    return min(max_rank, MAX_RANK)
