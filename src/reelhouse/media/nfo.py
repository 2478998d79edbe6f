"""Kodi-style .nfo sidecars, parsed with defusedxml and bounded in size; their text stays text."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reelhouse.errors import MediaError

MAX_NFO_BYTES = 1024 * 1024
_LIMITS = {"title": 512, "plot": 20_000, "mpaa": 32, "genre": 64, "tag": 64}
_MAX_LIST = 50
_YEAR = re.compile(r"^\s*((?:18|19|20)\d\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ROOTS = frozenset({"movie", "tvshow", "episodedetails", "musicvideo"})


@dataclass(frozen=True)
class Nfo:
    title: str | None = None
    year: int | None = None
    plot: str | None = None
    rating: float | None = None
    content_rating: str | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def _text(root: Element, name: str) -> str | None:
    node = root.find(name)
    if node is None or node.text is None:
        return None
    text = _CONTROL.sub("", node.text).strip()
    return text[: _LIMITS.get(name, 512)] or None


def _list(root: Element, name: str) -> tuple[str, ...]:
    values: list[str] = []
    for node in root.findall(name)[: _MAX_LIST * 2]:
        for part in (node.text or "").split("/"):
            text = _CONTROL.sub("", part).strip()[: _LIMITS[name]]
            if text and text not in values:
                values.append(text)
    return tuple(values[:_MAX_LIST])


def _rating(root: Element) -> float | None:
    candidates = [root.find("rating")]
    ratings = root.find("ratings")
    if ratings is not None:
        rated = ratings.findall("rating")
        rated.sort(key=lambda r: r.get("default") != "true")
        candidates.extend(r.find("value") for r in rated)
    for node in candidates:
        if node is None or not node.text:
            continue
        try:
            value = float(node.text.strip()[:16])
        except ValueError:
            continue
        if 0 <= value <= 10:
            return round(value, 2)
    return None


def _parse(data: bytes) -> Element:
    try:
        return fromstring(data)
    except DefusedXmlException as exc:
        raise MediaError(
            "NFO refused: it declares entities or external references, which are never read"
        ) from exc
    except (ParseError, ValueError, UnicodeDecodeError) as exc:
        # Kodi accepts a link after the document (a "combination" NFO); anything else is broken.
        end = data.rfind(b">")
        if isinstance(exc, ParseError) and 0 < end < len(data) - 1 and b"<" not in data[end:]:
            return _parse(data[: end + 1])
        raise MediaError("NFO refused: not well-formed XML") from exc


def read_nfo(path: str) -> Nfo | None:
    """None when the file is absent or describes something else (an album); MediaError, with a reason an
    admin can act on, when it is too large, not well-formed XML, or uses entities or an external DTD."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MediaError(f"NFO could not be read: {exc.strerror}") from exc
    if size > MAX_NFO_BYTES:
        raise MediaError(f"NFO refused: larger than {MAX_NFO_BYTES // 1024} KiB")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_NFO_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MediaError(f"NFO could not be read: {exc.strerror}") from exc
    if len(data) > MAX_NFO_BYTES:
        raise MediaError(f"NFO refused: larger than {MAX_NFO_BYTES // 1024} KiB")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and not data.startswith(_UTF16_BOMS):
        # Not meant as XML: a bare IMDb link (Kodi's URL NFO) or a release group's text file.
        return None
    root = _parse(data)
    if root.tag not in _ROOTS:
        return None
    year_text = _text(root, "year") or _text(root, "premiered") or _text(root, "aired") or ""
    year = _YEAR.match(year_text)
    return Nfo(
        title=_text(root, "title"),
        year=int(year.group(1)) if year else None,
        plot=_text(root, "plot") or _text(root, "outline"),
        rating=_rating(root),
        content_rating=_text(root, "mpaa"),
        genres=_list(root, "genre"),
        tags=_list(root, "tag"),
    )
