"""The caller's own marks through Subsonic: scrobbles (play counts and resume), stars, ratings, and what is
playing now (their own streams only: friends' listening is private). Each goes through PlayStateService,
which checks the item against the caller's scope."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.finding import FindQuery
from reelhouse.domain.library import ItemKind
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.web.compat.subsonic import mapping
from reelhouse.web.compat.subsonic.answers import answer
from reelhouse.web.compat.subsonic.common import find_all, given_params, id_of, number, one, required
from reelhouse.web.context import actor, call, services

MAX_IDS = 100


def _ids(given: object, *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        found.extend(mapping.item_id(v.strip())[:64] for v in given.getall(name, []) if v.strip())  # type: ignore[attr-defined]
    if len(found) > MAX_IDS:
        raise InvalidInput(f"At most {MAX_IDS} ids at once.", "id")
    return found


async def scrobble(request: web.Request) -> web.StreamResponse:
    """`submission=false` says what is playing (nothing is stored); true records a listen: every one counts
    a play (of the song and of its album), and the song resumes from the start."""
    given = await given_params(request)
    ids = _ids(given, "id")
    if not ids:
        required(given, "id")
    submission = given.get("submission", "true").strip().lower() != "false"
    times = given.getall("time", [])
    who = actor(request)
    playstate = services(request).playstate
    for n, item in enumerate(ids):
        found = await one(request, item)
        if found.summary.kind is not ItemKind.TRACK:
            raise NotFound("No such song.")
        if submission:
            # `time` (milliseconds), one per id when an app sends listens it kept while offline.
            at = _moment(times[n]) if n < len(times) else None
            await call(request, playstate.count_play, who, item, at)
    return answer(request)


def _moment(raw: str) -> float:
    try:
        return int(raw.strip()) / 1000
    except ValueError:
        raise InvalidInput("'time' must be milliseconds since 1970.", "time") from None


async def _star(request: web.Request, on: bool) -> web.StreamResponse:
    given = await given_params(request)
    ids = _ids(given, "id", "albumId", "artistId")
    if not ids:
        required(given, "id")
    who = actor(request)
    for item in ids:
        await call(request, services(request).playstate.set_favourite, who, item, on)
    return answer(request)


async def star(request: web.Request) -> web.StreamResponse:
    return await _star(request, True)


async def unstar(request: web.Request) -> web.StreamResponse:
    return await _star(request, False)


async def set_rating(request: web.Request) -> web.StreamResponse:
    given = await given_params(request)
    item = id_of(given)
    rating = number(given, "rating", -1, 0, 5)
    if rating < 0:
        required(given, "rating")
    await call(request, services(request).playstate.set_rating, actor(request), item, rating or None)
    return answer(request)


async def get_starred2(request: web.Request) -> web.StreamResponse:
    """Everything the caller starred and may still see, each kind by name; no cap on how many."""
    out: dict[str, list[dict[str, object]]] = {}
    for name, kind, record in (
        ("artist", ItemKind.ARTIST, mapping.artist),
        ("album", ItemKind.ALBUM, mapping.album),
        ("song", ItemKind.TRACK, mapping.song),
    ):
        starred = await find_all(request, FindQuery(kinds=frozenset({kind}), favourite=True))
        out[name] = [record(found) for found in starred]
    return answer(request, starred2=out)


async def get_now_playing(request: web.Request) -> web.StreamResponse:
    """Only the caller's own open streams: Subsonic would show every user's, and that is not ours to tell."""
    who = actor(request)
    open_items = {item for item, _stop in services(request).media.open.of(who.user_id)}
    entries = []
    for item in sorted(open_items):
        try:
            found = await one(request, item)
        except NotFound:
            continue
        if found.summary.kind is ItemKind.TRACK:
            entries.append(mapping.song(found) | {"username": who.username, "minutesAgo": 0, "playerId": 0})
    return answer(request, nowPlaying={"entry": entries})
