"""The one rating parser: the forms NFOs and scrapers write, and every other string above every cap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelhouse.domain.ratings import MAX_RANK, PENDING_RANK, UNKNOWN_RANK, cap, rank

FAST = settings(max_examples=500, deadline=None)

KNOWN = {
    # United States: MPA and TV Parental Guidelines, bare, "Rated …", and with a country prefix
    "G": 0,
    "PG": 10,
    "PG-13": 13,
    "R": 17,
    "NC-17": 18,
    "Rated R": 17,
    "Rated PG-13 for violence": 13,
    "US:Rated R": 17,
    "us/PG-13": 13,
    "USA:NC-17": 18,
    "TV-Y": 0,
    "TV-Y7-FV": 7,
    "TV-PG": 10,
    "TV-14": 14,
    "TV-MA": 17,
    # United Kingdom (BBFC)
    "U": 0,
    "GB:PG": 8,
    "UK:12A": 12,
    "gb/12": 12,
    "UK:15": 15,
    "UK:18": 18,
    "UK:R18": 18,
    # Germany (FSK)
    "de/FSK 16": 16,
    "DE:FSK 0": 0,
    "FSK 6": 6,
    "FSK12": 12,
    "FSK ab 18": 18,
    "Freigegeben ab 16 Jahren": 16,
    "de/12": 12,
    # France (CNC)
    "FR:Tous publics": 0,
    "FR:-10": 10,
    "fr/-12": 12,
    "FR:-16": 16,
    "France:-18": 18,
    # Netherlands (Kijkwijzer)
    "NL:AL": 0,
    "NL:6": 6,
    "NL:9": 9,
    "NL:14": 14,
    "nl/16": 16,
    # Australia (ACB)
    "AU:G": 0,
    "AU:PG": 8,
    "AU:M": 15,
    "MA15+": 15,
    "AU:MA 15+": 15,
    "R18+": 18,
    "AU:X18+": 18,
}


@pytest.mark.parametrize(("text", "expected"), sorted(KNOWN.items()))
def test_common_rating_forms_are_recognised(text: str, expected: int) -> None:
    assert rank(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "NR", "Not Rated", "Unrated", "US:Unrated"])
def test_absent_or_unrated_marks_are_unrated(text: str | None) -> None:
    assert rank(text) is None


@pytest.mark.parametrize(
    "text", ["banana", "US:banana", "Rated Q", "Mature", "Kinder 7", "99", "FSK 25", "TV-99", "18 und älter"]
)
def test_anything_else_is_unknown_and_above_every_cap(text: str) -> None:
    assert rank(text) == UNKNOWN_RANK
    assert all(UNKNOWN_RANK > cap(grant) for grant in (0, 13, 18, MAX_RANK, 10_000, 2**62))


@FAST
@given(st.text(max_size=40))
def test_every_string_is_unrated_a_real_age_or_unknown(text: str) -> None:
    found = rank(text)
    assert found is None or 0 <= found <= MAX_RANK or found == UNKNOWN_RANK


@FAST
@given(st.sampled_from(sorted(KNOWN)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_case_and_spacing_do_not_change_a_rank(text: str, pad: str, upper: bool) -> None:
    variant = pad + (text.upper() if upper else text.lower()) + pad
    assert rank(variant) == KNOWN[text]


@FAST
@given(st.integers(min_value=-(2**63), max_value=2**63))
def test_no_cap_admits_an_unknown_or_pending_title(grant: int) -> None:
    assert cap(grant) < UNKNOWN_RANK < PENDING_RANK
