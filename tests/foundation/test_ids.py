"""Random ids: a dash never leads, so every id can be typed as a CLI argument."""

from __future__ import annotations

from reelhouse.domain.ids import looks_like_id, new_id


def test_no_id_starts_with_a_dash() -> None:
    # One id in 64 would start with "-" without the check: 5,000 draws all missing it is a chance of e**-78.
    drawn = [new_id() for _ in range(5000)]
    assert not [value for value in drawn if value.startswith("-")]
    assert all(looks_like_id(value) and len(value) == 22 for value in drawn)
    assert len(set(drawn)) == len(drawn)
