"""Sidecar subtitle files: which video they belong to, their language and forced flag, from the name."""

from __future__ import annotations

from dataclasses import dataclass

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".vtt"})
_FORCED = frozenset({"forced", "foreign"})
_IGNORED = frozenset({"sdh", "cc", "hi", "default", "full"})
_LANGUAGE_NAMES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "dutch": "nl",
    "portuguese": "pt", "japanese": "ja", "chinese": "zh", "russian": "ru", "swedish": "sv",
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
