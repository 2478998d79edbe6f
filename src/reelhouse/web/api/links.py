"""Settings -> Linked servers: the owner's side of linking. A code (with its link and QR) for another server
to enter, entering another server's link, the list of links and unlinking. Only the owner, signed in with
the password (and second factor when enrolled) may: the service decides, and each handler asks it before
reading a body, so that an admin or a token learns nothing from a validation message."""

from __future__ import annotations

import segno
from aiohttp import web
from pydantic import BaseModel, Field

from reelhouse.domain.access import Action
from reelhouse.services.lan_discovery import browse
from reelhouse.services.peering import Link, PeeringService
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.routing import Route


class CodeIn(BaseModel):
    password: str = Field(max_length=256)
    totp: str | None = Field(default=None, max_length=64)


class JoinIn(CodeIn):
    link: str = Field(min_length=1, max_length=2048)


class ScopesIn(BaseModel):
    scopes_to_peer: list[str] = Field(max_length=8)
    scopes_from_peer: list[str] = Field(max_length=8)
    # Only when giving the other server more than it has here: a fresh local sign-in.
    password: str | None = Field(default=None, max_length=256)
    totp: str | None = Field(default=None, max_length=64)


class RotationOut(BaseModel):
    server_id: str
    # Linked servers that now pin the new key, and those that could not be told (they will show this server
    # as "identity changed" until linked again).
    told: list[str]
    not_told: list[str]


class CodeOut(BaseModel):
    code: str
    link: str
    expires_at: float
    server_id: str
    # The link as a QR code, an SVG data URI the page shows as an image (the CSP allows data: images), on
    # white: a scanner needs the light quiet zone that a dark page would not give.
    qr: str


class LinkOut(BaseModel):
    id: str
    name: str
    server_id: str
    fingerprint: str
    addresses: list[str]
    # What that server may do here, and what this server may do there.
    scopes_to_peer: list[str]
    scopes_from_peer: list[str]
    state: str
    paired_at: float
    safety_number: str


class ThisServerOut(BaseModel):
    name: str
    server_id: str
    fingerprint: str


class NearbyServerOut(BaseModel):
    # As announced, unchecked: a hint for the address field, never a reason to trust the server.
    name: str
    address: str


class NearbyOut(BaseModel):
    # False while the lan_discovery setting is off: then nothing was asked of the network.
    enabled: bool
    servers: list[NearbyServerOut]


# Long enough for announcers to answer the first query (and its repeat), short enough for a button press.
NEARBY_SECONDS = 3.0


class LinksOut(BaseModel):
    this: ThisServerOut
    links: list[LinkOut]


def _peering(request: web.Request) -> PeeringService:
    found = services(request).peering
    assert found is not None, "app.py wires the peering service"
    return found


def _owner(request: web.Request) -> PeeringService:
    peering = _peering(request)
    peering.owner_only(actor(request))
    return peering


def link_out(link: Link) -> LinkOut:
    return LinkOut(
        id=link.id,
        name=link.name,
        server_id=link.server_id,
        fingerprint=link.fingerprint,
        addresses=list(link.addresses),
        scopes_to_peer=sorted(s.value for s in link.scopes_to_peer),
        scopes_from_peer=sorted(s.value for s in link.scopes_from_peer),
        state=link.state.value,
        paired_at=link.paired_at,
        safety_number=link.safety_number,
    )


async def create_code(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    body = await parse_body(request, CodeIn)
    issued = await call(
        request, peering.create_code, actor(request), body.password, peer_address(request), body.totp
    )
    qr = segno.make(issued.link, error="m").svg_data_uri(scale=4, border=2, light="#fff")
    return json_response(
        CodeOut(
            code=issued.code,
            link=issued.link,
            expires_at=issued.expires_at,
            server_id=issued.server_id,
            qr=qr,
        ),
        status=201,
    )


async def nearby(request: web.Request) -> web.StreamResponse:
    _owner(request)
    if not services(request).settings.get("lan_discovery"):
        return json_response(NearbyOut(enabled=False, servers=[]))
    found = await call(request, browse, NEARBY_SECONDS)
    return json_response(
        NearbyOut(enabled=True, servers=[NearbyServerOut(name=s.name, address=s.address) for s in found])
    )


async def cancel_code(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    await call(request, peering.cancel_code, actor(request))
    return web.Response(status=204)


async def join(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    body = await parse_body(request, JoinIn)
    link = await call(
        request,
        peering.join,
        actor(request),
        body.password,
        body.link.strip(),
        peer_address(request),
        body.totp,
    )
    return json_response(link_out(link), status=201)


async def list_links(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    found = await call(request, peering.links)
    this = ThisServerOut(
        name=str(services(request).settings.get("server_name")),
        server_id=peering.identity.server_id,
        fingerprint=peering.identity.fingerprint,
    )
    return json_response(LinksOut(this=this, links=[link_out(k) for k in found]))


async def remove_link(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    await call(request, peering.remove, actor(request), request.match_info["link_id"])
    return web.Response(status=204)


async def change_scopes(request: web.Request) -> web.StreamResponse:
    _owner(request)
    body = await parse_body(request, ScopesIn)
    scopes = services(request).link_scopes
    assert scopes is not None, "app.py wires the link scopes"
    link = await call(
        request,
        scopes.change,
        actor(request),
        request.match_info["link_id"],
        body.scopes_to_peer,
        body.scopes_from_peer,
        body.password,
        peer_address(request),
        body.totp,
    )
    return json_response(link_out(link))


async def rotate_key(request: web.Request) -> web.StreamResponse:
    peering = _owner(request)
    body = await parse_body(request, CodeIn)
    who = actor(request)
    await call(request, peering.confirm_owner, who, body.password, peer_address(request), body.totp)
    rotation = services(request).key_rotation
    assert rotation is not None, "app.py wires the key rotation"
    done = await call(request, rotation.rotate, who)
    return json_response(
        RotationOut(server_id=done.server_id, told=list(done.told), not_told=list(done.not_told))
    )


# MANAGE_SETTINGS lets owners and admins past routing with the admin scope; the service then keeps it to the
# owner, and password_session keeps every token out.
ROUTES = [
    Route(
        "POST",
        "/api/links/code",
        create_code,
        "Owner: a one-time code, link and QR for another server to link with this one",
        Action.MANAGE_SETTINGS,
        "links",
        body=CodeIn,
        response=CodeOut,
        status=201,
        password_session=True,
    ),
    Route(
        "DELETE",
        "/api/links/code",
        cancel_code,
        "Owner: void the waiting code",
        Action.MANAGE_SETTINGS,
        "links",
        status=204,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/links/join",
        join,
        "Owner: link with the server whose code link is given",
        Action.MANAGE_SETTINGS,
        "links",
        body=JoinIn,
        response=LinkOut,
        status=201,
        password_session=True,
    ),
    Route(
        "POST",
        "/api/links/key",
        rotate_key,
        "Owner: a new peer key for this server, announced to every linked server first",
        Action.MANAGE_SETTINGS,
        "links",
        body=CodeIn,
        response=RotationOut,
        password_session=True,
    ),
    Route(
        "GET",
        "/api/links",
        list_links,
        "Owner: this server's identity and its links",
        Action.MANAGE_SETTINGS,
        "links",
        response=LinksOut,
        password_session=True,
    ),
    Route(
        "GET",
        "/api/links/nearby",
        nearby,
        "Owner: servers on the local network announcing a waiting pairing code (address hints, no trust)",
        Action.MANAGE_SETTINGS,
        "links",
        response=NearbyOut,
        password_session=True,
    ),
    Route(
        "PATCH",
        "/api/links/{link_id}/scopes",
        change_scopes,
        "Owner: narrow what a linked server may do here or what this server may do there",
        Action.MANAGE_SETTINGS,
        "links",
        body=ScopesIn,
        response=LinkOut,
        password_session=True,
    ),
    Route(
        "DELETE",
        "/api/links/{link_id}",
        remove_link,
        "Owner: unlink a server",
        Action.MANAGE_SETTINGS,
        "links",
        status=204,
        password_session=True,
    ),
]
