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
_LIMITS = {
    "title": 512,
    "plot": 20_000,
    "mpaa": 32,
    "genre": 64,
    "tag": 64,
    "originaltitle": 512,
    "tagline": 1024,
    "studio": 128,
    "director": 128,
    "credits": 128,
    "writer": 128,
}
_MAX_PEOPLE = 200
_DATE = re.compile(r"^\s*(\d{4}-\d\d-\d\d)")
_ID_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_MAX_LIST = 50
_YEAR = re.compile(r"^\s*((?:18|19|20)\d\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ROOTS = frozenset({"movie", "tvshow", "episodedetails", "musicvideo"})


@dataclass(frozen=True)
class Person:
    """One credit: ``kind`` is actor, director or writer; ``order`` is the NFO's billing (actors only)."""

    name: str
    kind: str
    role: str | None = None
    order: int | None = None


@dataclass(frozen=True)
class Nfo:
    title: str | None = None
    year: int | None = None
    plot: str | None = None
    rating: float | None = None
    content_rating: str | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    original_title: str | None = None
    tagline: str | None = None
    runtime: int | None = None  # minutes, as Kodi writes it
    premiered: str | None = None  # YYYY-MM-DD
    studios: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()
    collection: str | None = None
    uniqueids: tuple[tuple[str, str], ...] = ()  # (type, value), the default first


def _clean(value: str | None, limit: int) -> str | None:
    text = _CONTROL.sub("", value or "").strip()
    return text[:limit] or None


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


def _runtime(root: Element) -> int | None:
    match = re.match(r"^\s*(\d{1,5})", _text(root, "runtime") or "")
    minutes = int(match.group(1)) if match else 0
    return minutes if 0 < minutes < 10_000 else None


def _people(root: Element) -> tuple[Person, ...]:
    found: list[Person] = []
    seen: set[tuple[str, str]] = set()

    def add(person: Person) -> None:
        key = (person.kind, person.name.casefold())
        if key not in seen and len(found) < _MAX_PEOPLE:
            seen.add(key)
            found.append(person)

    for position, node in enumerate(root.findall("actor")[: _MAX_PEOPLE * 2]):
        name = _clean(node.findtext("name"), 128)
        if name is None:
            continue
        order_text = (node.findtext("order") or "").strip()
        order = int(order_text) if order_text.isdigit() and len(order_text) < 6 else position
        add(Person(name, "actor", _clean(node.findtext("role"), 256), order))
    for name in _list(root, "director"):
        add(Person(name, "director"))
    for name in (*_list(root, "credits"), *_list(root, "writer")):
        add(Person(name, "writer"))
    return tuple(found)


def _collection(root: Element) -> str | None:
    node = root.find("set")
    if node is None:
        return None
    # Kodi 17 writes <set><name>…</name></set>; older NFOs hold the name as the element's text.
    return _clean(node.findtext("name") if node.find("name") is not None else node.text, 256)


def _uniqueids(root: Element) -> tuple[tuple[str, str], ...]:
    ids: dict[str, str] = {}
    nodes = root.findall("uniqueid")[:20]
    nodes.sort(key=lambda n: n.get("default") != "true")
    for node in nodes:
        kind = (node.get("type") or "unknown").strip().lower()
        value = _clean(node.text, 64)
        if value and _ID_TYPE.match(kind) and kind not in ids:
            ids[kind] = value
    legacy = _text(root, "id")
    if legacy and not ids:
        ids["imdb" if legacy.startswith("tt") else "unknown"] = legacy[:64]
    return tuple(ids.items())


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
        original_title=_text(root, "originaltitle"),
        tagline=_text(root, "tagline"),
        runtime=_runtime(root),
        premiered=_date(root),
        studios=_list(root, "studio"),
        people=_people(root),
        collection=_collection(root),
        uniqueids=_uniqueids(root),
    )


def _date(root: Element) -> str | None:
    match = _DATE.match(_text(root, "premiered") or _text(root, "aired") or "")
    return match.group(1) if match else None
