"""HTTP Range, If-Range and conditional-request rules (RFC 9110) for one file, as pure decisions."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# One byte-range-spec; several (a multipart answer) are deliberately not served, see ``parse_range``.
_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE | re.ASCII)
_MAX_DIGITS = 19


class Outcome(enum.Enum):
    FULL = "full"  # 200 with the whole file
    PARTIAL = "partial"  # 206 with [start, end]
    NOT_MODIFIED = "not_modified"  # 304
    UNSATISFIABLE = "unsatisfiable"  # 416 with Content-Range: bytes */size
    PRECONDITION_FAILED = "precondition_failed"  # 412


@dataclass(frozen=True)
class Validators:
    """What identifies one version of a file: the strong ETag and Last-Modified in whole seconds."""

    etag: str
    last_modified: int
    size: int


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    start: int = 0
    end: int = 0  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def validators(size: int, mtime_ns: int) -> Validators:
    # The same ETag shape and Last-Modified rounding (up, to whole seconds) as aiohttp's FileResponse writes,
    # so what a client echoes back in If-Range or If-Modified-Since compares equal to what it was sent.
    return Validators(etag=f'"{mtime_ns:x}-{size:x}"', last_modified=-(-mtime_ns // 1_000_000_000), size=size)


def _http_date(value: str) -> int | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp())


def _etags(value: str) -> list[tuple[bool, str]]:
    """(weak, opaque-tag-with-quotes) pairs; '*' comes back as (False, '*')."""
    out: list[tuple[bool, str]] = []
    for part in re.findall(r'\s*(W/)?("[^"]*"|\*)\s*,?', value):
        out.append((bool(part[0]), part[1]))
    return out


def parse_range(header: str, size: int) -> Decision:
    """FULL when the header is malformed or asks for several ranges (RFC 9110 lets a server ignore Range;
    ignoring is the one answer every player handles), UNSATISFIABLE or PARTIAL otherwise."""
    match = _SINGLE.match(header)
    if match is None:
        return Decision(Outcome.FULL)
    first, last = match.group(1), match.group(2)
    if len(first) > _MAX_DIGITS or len(last) > _MAX_DIGITS:
        return Decision(Outcome.FULL)
    if not first and not last:
        return Decision(Outcome.FULL)
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            return Decision(Outcome.UNSATISFIABLE)
        return Decision(Outcome.PARTIAL, max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return Decision(Outcome.FULL)
    if start >= size:
        return Decision(Outcome.UNSATISFIABLE)
    return Decision(Outcome.PARTIAL, start, min(end, size - 1))


def _if_range_holds(value: str, found: Validators) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        # If-Range needs a strong match: a weak tag never matches.
        return value == found.etag
    date = _http_date(value)
    return date is not None and date == found.last_modified


def decide(
    method: str,
    found: Validators,
    range_header: str | None = None,
    if_range: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_match: str | None = None,
    if_unmodified_since: str | None = None,
) -> Decision:
    """What to answer for a GET or HEAD of one file, from the request's headers (RFC 9110 section 13.2.2's
    order: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since; then Range)."""
    if if_match is not None:
        tags = _etags(if_match)
        if not any(tag == "*" or (not weak and tag == found.etag) for weak, tag in tags):
            return Decision(Outcome.PRECONDITION_FAILED)
    elif if_unmodified_since is not None:
        # An unparsable date is ignored, as the RFC says.
        limit = _http_date(if_unmodified_since)
        if limit is not None and found.last_modified > limit:
            return Decision(Outcome.PRECONDITION_FAILED)
    if if_none_match is not None:
        bare = found.etag.strip('"')
        if any(tag == "*" or tag.strip('"') == bare for _weak, tag in _etags(if_none_match)):
            return Decision(Outcome.NOT_MODIFIED)
    elif if_modified_since is not None and method in ("GET", "HEAD"):
        since = _http_date(if_modified_since)
        if since is not None and found.last_modified <= since:
            return Decision(Outcome.NOT_MODIFIED)
    if range_header is None or method not in ("GET", "HEAD"):
        return Decision(Outcome.FULL)
    if if_range is not None and not _if_range_holds(if_range, found):
        return Decision(Outcome.FULL)
    return parse_range(range_header, found.size)
