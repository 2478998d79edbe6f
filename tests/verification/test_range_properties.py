"""Property tests for the Range and conditional-request decisions: never outside the file, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelhouse.domain import ranges

FAST = settings(max_examples=300, deadline=None)

# Range ---------------------------------------------------------------------------------------
sizes = st.integers(min_value=0, max_value=10**12)


@FAST
@given(st.text(max_size=80), sizes)
def test_any_range_header_gets_a_decision_inside_the_file(header: str, size: int) -> None:
    decision = ranges.parse_range(header, size)
    if decision.outcome is ranges.Outcome.PARTIAL:
        assert 0 <= decision.start <= decision.end < size


@FAST
@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10**13), sizes)
def test_a_single_range_is_served_clamped_or_refused_with_416(first: int, last: int, size: int) -> None:
    decision = ranges.parse_range(f"bytes={first}-{last}", size)
    if last < first:
        assert decision.outcome is ranges.Outcome.FULL
    elif first >= size:
        assert decision.outcome is ranges.Outcome.UNSATISFIABLE
    else:
        assert (decision.outcome, decision.start, decision.end) == (
            ranges.Outcome.PARTIAL,
            first,
            min(last, size - 1),
        )


@FAST
@given(st.integers(min_value=1, max_value=10**13), st.integers(min_value=1, max_value=10**12))
def test_a_suffix_range_serves_the_last_bytes(suffix: int, size: int) -> None:
    decision = ranges.parse_range(f"bytes=-{suffix}", size)
    assert decision.outcome is ranges.Outcome.PARTIAL
    assert decision.end == size - 1
    assert decision.length == min(suffix, size)


@FAST
@given(
    st.sampled_from(["GET", "HEAD", "POST"]),
    *[st.one_of(st.none(), st.text(max_size=60)) for _ in range(5)],
)
def test_conditional_headers_never_break_the_decision(
    method: str, rng: str | None, if_range: str | None, inm: str | None, ims: str | None, im: str | None
) -> None:
    found = ranges.validators(size=1000, mtime_ns=1_700_000_000_000_000_000)
    decision = ranges.decide(method, found, rng, if_range, inm, ims, im)
    if decision.outcome is ranges.Outcome.PARTIAL:
        assert 0 <= decision.start <= decision.end < 1000


@FAST
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**12))
def test_a_matching_etag_answers_not_modified(mtime: int, size: int) -> None:
    found = ranges.validators(size=size, mtime_ns=mtime)
    assert ranges.decide("GET", found, if_none_match=found.etag).outcome is ranges.Outcome.NOT_MODIFIED
