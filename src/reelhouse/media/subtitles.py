"""Subtitle files: which video a sidecar belongs to (language, forced flag) and SRT/ASS to WebVTT conversion."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".vtt"})
_FORCED = frozenset({"forced", "foreign"})
_IGNORED = frozenset({"sdh", "cc", "hi", "default", "full"})
_LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "dutch": "nl",
    "portuguese": "pt",
    "japanese": "ja",
    "chinese": "zh",
    "russian": "ru",
    "swedish": "sv",
}


@dataclass(frozen=True)
class SidecarSubtitle:
    language: str | None
    forced: bool
    format: str
    title: str | None = None


def match_sidecar(video_stem: str, file_name: str) -> SidecarSubtitle | None:
    """'Movie.en.srt' and 'Movie.eng.forced.srt' belong to 'Movie'; None for any other file."""
    base, dot, extension = file_name.rpartition(".")
    if not dot or f".{extension.lower()}" not in SUBTITLE_EXTENSIONS:
        return None
    if base.casefold() == video_stem.casefold():
        return SidecarSubtitle(None, False, extension.lower())
    if not base.casefold().startswith(video_stem.casefold() + "."):
        return None
    language: str | None = None
    forced = False
    unknown: list[str] = []
    for token in base[len(video_stem) + 1 :].split("."):
        word = token.strip().lower()
        if word in _FORCED:
            forced = True
        elif word in _IGNORED or not word:
            continue
        elif language is None and word in _LANGUAGE_NAMES:
            language = _LANGUAGE_NAMES[word]
        elif language is None and 2 <= len(word) <= 3 and word.isalpha():
            language = word
        elif language is None and len(word) == 5 and word[2] in "-_" and word.replace("_", "-")[:2].isalpha():
            language = word.replace("_", "-")
        else:
            unknown.append(token.strip())
    title = " ".join(unknown)[:128] or None
    return SidecarSubtitle(language, forced, extension.lower(), title)


# WebVTT conversion ---------------------------------------------------------------------------
_SRT_TIME = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})")
_ASS_OVERRIDE = re.compile(r"\{[^}]*\}")


def _vtt_time(h: int, m: int, s: int, ms: int) -> str:
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _escape(text: str) -> str:
    # Cue text is HTML-like in WebVTT: a stray "<" or "&" from a subtitle file must not become markup.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def srt_to_vtt(text: str) -> str:
    out = ["WEBVTT", ""]
    for block in re.split(r"\r?\n\s*\r?\n", text.lstrip("\ufeff").strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        times = _SRT_TIME.findall(lines[timing])
        if len(times) != 2:
            continue
        start, end = ([int(x) for x in t] for t in times)
        cue = [_escape(_strip_tags(line)) for line in lines[timing + 1 :]]
        out += [f"{_vtt_time(*start)} --> {_vtt_time(*end)}", *cue, ""]
    return "\n".join(out) + "\n"


def _strip_tags(line: str) -> str:
    return re.sub(r"</?(?:font|b|i|u)[^>]*>", "", line, flags=re.IGNORECASE)


def _ass_time(value: str) -> str | None:
    match = re.fullmatch(r"\s*(\d+):(\d{2}):(\d{2})\.(\d{2})\s*", value)
    if match is None:
        return None
    h, m, s, cs = (int(x) for x in match.groups())
    return _vtt_time(h, m, s, cs * 10)


def ass_to_vtt(text: str) -> str:
    """Dialogue lines of an ASS/SSA script as plain cues; styling and positioning are dropped."""
    out = ["WEBVTT", ""]
    fields: list[str] = []
    section = ""
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.lower()
            continue
        if section != "[events]":
            continue
        if line.lower().startswith("format:"):
            fields = [f.strip().lower() for f in line[7:].split(",")]
        elif line.lower().startswith("dialogue:") and fields:
            values = line[9:].split(",", len(fields) - 1)
            if len(values) != len(fields):
                continue
            row = dict(zip(fields, values, strict=True))
            start, end = _ass_time(row.get("start", "")), _ass_time(row.get("end", ""))
            if start is None or end is None:
                continue
            cue = _ASS_OVERRIDE.sub("", row.get("text", "")).replace("\\N", "\n").replace("\\n", "\n")
            out += [f"{start} --> {end}", *(_escape(c) for c in cue.splitlines() if c.strip()), ""]
    return "\n".join(out) + "\n"


def to_vtt(text: str, subtitle_format: str) -> str:
    if subtitle_format == "vtt":
        return text if text.lstrip("\ufeff").startswith("WEBVTT") else "WEBVTT\n\n" + text
    if subtitle_format in ("ass", "ssa"):
        return ass_to_vtt(text)
    return srt_to_vtt(text)
