"""Jellyfin's image URLs. Apps fetch pictures by item id, often without a token; here a picture needs either
a valid token or an image tag that only an authorised listing hands out (services/image_tags.py), and either
way the media access decision decides and re-encodes it for the user named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from reelhouse.domain.access import Actor
from reelhouse.domain.library import PLAYABLE_KINDS, ItemDetail, ItemKind, ItemSummary
from reelhouse.errors import AuthenticationRequired, NotFound
from reelhouse.services.image_tags import ImageTags
from reelhouse.services.media_access import Allowed, Purpose
from reelhouse.services.renditions import ARTWORK_WIDTHS
from reelhouse.web.api.media_answer import send_image
from reelhouse.web.compat.jellyfin.answers import jellyfin_json
from reelhouse.web.compat.jellyfin.auth import authenticate, query, token_of
from reelhouse.web.compat.jellyfin.ids import from_jellyfin
from reelhouse.web.compat.jellyfin.playback import number
from reelhouse.web.context import ZONE, actor, call, services
from reelhouse.web.routing import Access, Route

# Jellyfin's image types → the artwork Reelhouse keeps. Thumb is a landscape picture, as fanart is.
KINDS = {"primary": "poster", "backdrop": "fanart", "thumb": "fanart"}
_NAMES = {"primary": "Primary", "backdrop": "Backdrop", "thumb": "Thumb"}
# A tagged image may be cached by the app for as long as its tag lives; a token's only privately.
TAGGED_CACHE = "private, max-age=604800, immutable"
SIGNED_IN_CACHE = "private, max-age=86400"
_FRAME_KINDS = PLAYABLE_KINDS - {ItemKind.TRACK}


def _kinds_present(item: ItemSummary | ItemDetail) -> tuple[str, ...]:
    """Which artwork an item has: a poster when scanned (or a video frame in its place), fanart when known."""
    summary = item.summary if isinstance(item, ItemDetail) else item
    present = []
    if summary.has_artwork or summary.kind in _FRAME_KINDS:
        present.append("poster")
    if isinstance(item, ItemDetail) and "fanart" in item.artwork:
        present.append("fanart")
    return tuple(present)


def image_tags(tags: ImageTags, viewer: Actor, item: ItemSummary | ItemDetail) -> dict[str, Any]:
    """``ImageTags`` and ``BackdropImageTags`` for a BaseItemDto, minted for ``viewer``: only an answer
    that shows the item to them hands these out (pass ``services(request).media.image_tags``)."""
    return minted_tags(tags.minter(viewer), item)


def minted_tags(mint: Callable[[ItemSummary, str], str], item: ItemSummary | ItemDetail) -> dict[str, Any]:
    """``image_tags`` with a minter (ImageTags.minter) one listing shares across its items."""
    if isinstance(item, ItemSummary):
        # A listed item: a poster at most (fanart is known only to an item's detail), checked inline.
        if item.has_artwork or item.kind in _FRAME_KINDS:
            return {"ImageTags": {"Primary": mint(item, "poster")}, "BackdropImageTags": []}
        return {"ImageTags": {}, "BackdropImageTags": []}
    summary = item.summary if isinstance(item, ItemDetail) else item
    present = _kinds_present(item)
    out: dict[str, Any] = {"ImageTags": {}, "BackdropImageTags": []}
    if "poster" in present:
        out["ImageTags"]["Primary"] = mint(summary, "poster")
    if "fanart" in present:
        fanart = mint(summary, "fanart")
        out["ImageTags"]["Thumb"] = fanart
        out["BackdropImageTags"] = [fanart]
    return out


def _width(request: web.Request, kind: str) -> int | None:
    """The smallest rendition at least as wide as asked (the decision serves a short list of widths); a
    height alone is turned into a width by the usual shape of that kind of picture."""
    width = number(query(request, "maxWidth"), "maxWidth", 1, 16384) or number(
        query(request, "fillWidth"), "fillWidth", 1, 16384
    )
    height = number(query(request, "maxHeight"), "maxHeight", 1, 16384) or number(
        query(request, "fillHeight"), "fillHeight", 1, 16384
    )
    number(query(request, "quality"), "quality", 0, 100)
    if width is None and height is not None:
        width = height * 2 // 3 if kind == "poster" else height * 16 // 9
    if width is None:
        return None
    return next((w for w in ARTWORK_WIDTHS if w >= width), ARTWORK_WIDTHS[-1])


async def image(request: web.Request) -> web.StreamResponse:
    item_id = from_jellyfin(request.match_info["item_id"])
    kind = KINDS.get(request.match_info["image_type"].lower())
    index = request.match_info.get("index", "0")
    if kind is None or index != "0":
        raise NotFound("No such image.")
    width = _width(request, kind)
    media = services(request).media
    zone = request.get(ZONE)
    tag = query(request, "tag")
    if token_of(request):
        # A token, when sent, is the credential, and a bad one is refused rather than tried as a tag.
        who = await authenticate(request)
        if who is None:
            raise AuthenticationRequired("Your session has ended; sign in again.")
        opened, content_type = await call(request, media.artwork, who, item_id, kind, width, zone)
        return await send_image(request, opened, content_type, SIGNED_IN_CACHE)
    if not tag:
        raise AuthenticationRequired("An image needs a token or its tag.")
    opened, content_type = await call(request, media.artwork_tagged, tag, item_id, kind, width, zone)
    return await send_image(request, opened, content_type, TAGGED_CACHE)


async def image_list(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    media = services(request).media
    item_id = from_jellyfin(request.match_info["item_id"])
    allowed: Allowed = await call(request, media.allow, who, item_id, Purpose.ARTWORK, request.get(ZONE))
    tags = image_tags(media.image_tags, who, allowed.item)
    listed = []
    if "Primary" in tags["ImageTags"]:
        listed.append({"ImageType": "Primary", "ImageTag": tags["ImageTags"]["Primary"], "ImageIndex": 0})
    for index, tag in enumerate(tags["BackdropImageTags"]):
        listed.append({"ImageType": "Backdrop", "ImageTag": tag, "ImageIndex": index})
    if "Thumb" in tags["ImageTags"]:
        listed.append({"ImageType": "Thumb", "ImageTag": tags["ImageTags"]["Thumb"], "ImageIndex": 0})
    return jellyfin_json(listed)


_T = "jellyfin"
# The image routes are public on purpose: apps load pictures without headers. Each needs a token (header or
# ApiKey) or an image tag, and the handler checks either before the media access decision runs for that user.
ROUTES = [
    *(
        Route(
            "GET",
            path,
            image,
            "Jellyfin: an item's Primary, Backdrop or Thumb picture, resized (token or image tag)",
            Access.PUBLIC,
            _T,
            produces="image/*",
        )
        for path in ("/Items/{item_id}/Images/{image_type}", "/Items/{item_id}/Images/{image_type}/{index}")
    ),
    Route(
        "GET",
        "/Items/{item_id}/Images",
        image_list,
        "Jellyfin: which pictures an item has, with their tags",
        Access.USER,
        _T,
    ),
]
