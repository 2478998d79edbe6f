"""Lyrics as text: LRC parsing (sidecar files and LRC-formatted tags) and the bounds every lyric obeys."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reelhouse.domain.people import LyricLine, Lyrics
from reelhouse.errors import MediaError

# Bounds: a song's lyrics fit easily; anything past them is a mistake or an attack, not a song.
MAX_BYTES = 200 * 1024
MAX_LINES = 2000
MAX_LINE_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# [mm:ss], [mm:ss.xx], [mm:ss.xxx] and the [mm:ss:xx] some editors write.
_STAMP = re.compile(r"\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]")
# Header tags such as [ar:Artist], [ti:Title], [offset:+250], [la:en].
_HEADER = re.compile(r"^\[([A-Za-z#]+):([^\]]*)\]\s*$")


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()[:MAX_LINE_CHARS]


def _language(value: str | None) -> str | None:
    cleaned = _clean(value or "")
    # ID3's "XXX" and "und" say the language is unknown.
    if not cleaned or cleaned.casefold() in ("xxx", "und"):
        return None
    return cleaned[:16]


def parse_lrc(text: str, source: str, language: str | None = None) -> Lyrics | None:
    """Lyrics from LRC text: synced when any line carries a time stamp (untimed lines are then dropped),
    otherwise every non-empty line as unsynced text. None when nothing remains."""
    timed: list[tuple[int, str]] = []
    plain: list[str] = []
    offset = 0
    for raw in text.splitlines():
        line = raw.strip()
        header = _HEADER.match(line)
        if header is not None and not _STAMP.match(line):
            key, value = header.group(1).casefold(), header.group(2)
            if key == "offset":
                try:
                    offset = int(value.strip())
                except ValueError:
                    offset = 0
            elif key in ("la", "lang", "language"):
                language = language or value
            continue
        stamps = []
        while (stamp := _STAMP.match(line)) is not None:
            minutes, seconds, fraction = stamp.group(1), stamp.group(2), stamp.group(3) or "0"
            # ".5" is half a second, ".05" five hundredths, ".005" five thousandths.
            millis = int(fraction.ljust(3, "0")[:3])
            stamps.append(int(minutes) * 60_000 + int(seconds) * 1000 + millis)
            line = line[stamp.end() :]
        if stamps:
            words = _clean(line)
            timed.extend((start, words) for start in stamps)
        elif not timed and line:
            plain.append(_clean(line))
        if len(timed) > MAX_LINES or len(plain) > MAX_LINES:
            break
    if timed:
        # A positive offset shows the lines earlier, as LRC players read it.
        lines = [
            LyricLine(max(0, start - offset), words) for start, words in sorted(timed, key=lambda t: t[0])
        ]
        return Lyrics(True, source, _language(language), tuple(lines[:MAX_LINES]))
    kept = [LyricLine(None, words) for words in plain if words]
    if not kept:
        return None
    return Lyrics(False, source, _language(language), tuple(kept[:MAX_LINES]))


def from_timed(pairs: Iterable[tuple[str, int]], source: str, language: str | None) -> Lyrics | None:
    """Synced lyrics from (text, milliseconds) pairs, as ID3's SYLT frame holds them."""
    lines = sorted(
        ((max(0, int(start)), _clean(str(words))) for words, start in pairs),
        key=lambda t: t[0],
    )[:MAX_LINES]
    if not any(words for _, words in lines):
        return None
    return Lyrics(True, source, _language(language), tuple(LyricLine(s, w) for s, w in lines))


def decode(data: bytes) -> str | None:
    """A lyrics file's text, or None when it is not text (NUL bytes, too large): such a file is ignored."""
    if len(data) > MAX_BYTES:
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older LRC files are often Windows-1252; undefined bytes there mean it is not text at all.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None


def read_sidecar(path: str) -> Lyrics | None:
    """A ``.lrc`` file beside a track; None when it cannot be opened (gone since the walk). A file that is
    there but is not lyrics (binary, past the size bound, no line to show) raises MediaError: the scan
    reports it so the owner can see why the track shows no lyrics."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES:
        raise MediaError(f"Lyrics file larger than {MAX_BYTES // 1024} KiB")
    text = decode(data)
    if text is None:
        raise MediaError("Lyrics file is not text")
    found = parse_lrc(text, "sidecar")
    if found is None:
        raise MediaError("Lyrics file has no lines")
    return found
