""" "Sign in with Home" in a browser: the authorization-code flow of OAuth 2.0 (RFC 6749) with PKCE (RFC 7636,
S256 only), a pushed authorization request (RFC 9126) and the issuer in the answer (RFC 9207), where the pairing
is the client's registration.

The linked server (the client) keeps the PKCE verifier and a state bound to the browser by a cookie, and pushes
the request (redirect URI, challenge, its own sign-in nonce, state) to home over the signed peer channel. Home
keeps it behind a one-time ``request_uri`` and sends the browser to its own authorize page; the friend signs in
there with home's password (and second factor) and approves. Home redirects back with a one-time code bound to
that pushed request: the linked server it was pushed by (the audience), the redirect URI, the challenge and the
nonce. The linked server redeems it over the peer channel with the verifier and gets the federated token it
already checks (services/federation.py), then opens its own session.

Why pushed: a redirect URI is accepted only from the linked server's own signed request, so no URL in a browser
can name another, and the authorize URL carries nothing but a handle. Codes, request handles and states are
single-use, short-lived and kept in memory (a restart only ends sign-ins under way), or in PostgreSQL when web
nodes share them (`cluster`); none is ever logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from reelhouse.domain.access import Actor
from reelhouse.domain.peers import LinkState, PeerScope
from reelhouse.errors import (
    AuthenticationRequired,
    InvalidInput,
    PermissionDenied,
    TooManyRequests,
    Unavailable,
)
from reelhouse.persistence.database import Database
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.accounts import SignIn
from reelhouse.services.federation import FederationService
from reelhouse.services.peer_links import Caller, IdentityChanged, PeerLinks, Unreachable
from reelhouse.services.throttle import Window

CALLBACK_PATH = "/api/auth/home/callback"
REQUEST_SECONDS = 600  # the friend may have to sign in at home first, with a second factor
CODE_SECONDS = 60
MAX_PENDING = 1000  # per link for requests and flows (the oldest unfinished one gives way); in all for codes
# Each start pushes a signed request to home and takes a pending place: an anonymous caller may not do it often.
STARTS_PER_MINUTE = 10
STARTS_REFUSED = "Too many sign-ins were started from here; wait a minute."
REFUSED = "Signing in with your home server did not work; start again from the sign-in page."
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_REQUEST_URI = "urn:ietf:params:oauth:request_uri:"
_SERVER = {"server": "home-sign-in"}


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def callback_uri(origin: str) -> str:
    return origin.rstrip("/") + CALLBACK_PATH


def _is_callback(uri: Any) -> bool:
    """A redirect URI this protocol accepts: a linked server's own callback, nothing else (no query, fragment
    or user name that could carry the code elsewhere)."""
    if not isinstance(uri, str) or len(uri) > 512:
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.path == CALLBACK_PATH
        and not parts.query
        and not parts.fragment
    )


def client_key(address: str | None) -> str:
    """Whom the start limit counts: an IPv4 address, or an IPv6 /64 (one household's, handed out whole)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "?"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _Kept:
    """Single-use entries that expire, bounded: a public route adds them.

    Entries put with a group (a link) make room by dropping that group's oldest entry, so strangers filling
    the table end their own unfinished flows before anyone's, and never refuse a friend's new one; one link's
    flood never touches another's entries. Entries without a group (issued codes) are never dropped: a full
    table refuses instead."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, dict[str, Any], str | None]] = {}

    def put(self, key: str, value: dict[str, Any], seconds: float, group: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v[0] > now}
            mine = [k for k, v in self._items.items() if v[2] == group]
            if len(mine) >= MAX_PENDING:
                if group is None:
                    raise TooManyRequests("Too many sign-ins are under way; try again in a minute.", 60)
                # Insertion order is age order: every entry of a table lives equally long.
                for old in mine[: len(mine) - MAX_PENDING + 1]:
                    del self._items[old]
            self._items[key] = (now + seconds, value, group)

    def take(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.pop(key, None)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]

    def peek(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
        return None if found is None or found[0] <= time.monotonic() else found[1]


class Limit(Protocol):
    """How many starts an address may make: `Window` in memory, or `SharedWindow` across web nodes."""

    def hit(self, key: str) -> None: ...


class Kept(Protocol):
    """Where one kind of entry is kept: `_Kept` in memory, or `SharedKept` (services/home_sign_in_shared.py) in
    PostgreSQL when web nodes share the sign-ins under way."""

    def put(self, key: str, value: dict[str, Any], seconds: float, group: str | None = None) -> None: ...
    def take(self, key: str) -> dict[str, Any] | None: ...
    def peek(self, key: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Started:
    state: str
    authorize_url: str


class HomeSignIn:
    def __init__(
        self,
        db: Database,
        peers: PeerRepository,
        links: PeerLinks,
        federation: FederationService,
        web_base: Callable[[], str | None],
        kept: Callable[[str], Kept] | None = None,
        starts: Limit | None = None,
    ) -> None:
        kept = kept or (lambda _kind: _Kept())
        self._db = db
        self._peers = peers
        self._links = links
        self._federation = federation
        self._web_base = web_base
        self._requests = kept("request")  # home: pushed requests by request_uri
        self._codes = kept("code")  # home: codes by code
        self._flows = kept("flow")  # the linked server: flows under way by state
        # Per client address; web nodes count it together (`SharedWindow`), else this server alone does.
        self.starts = starts or Window(STARTS_PER_MINUTE, 60.0, STARTS_REFUSED)

    # -- the linked server: the browser's side ------------------------------------------------------------

    def home_servers(self) -> list[dict[str, str]]:
        """Linked servers whose users may sign in here: active links giving them the identity scope."""
        with self._db.read() as conn:
            rows = self._peers.links(conn)
        return [
            {"id": r.id, "name": r.name}
            for r in rows
            if r.state == LinkState.ACTIVE.value and PeerScope.IDENTITY.value in json.loads(r.scopes_to_peer)
        ]

    def offered(self, home: bool) -> tuple[list[dict[str, str]], bool]:
        """What the sign-in page offers: (the home servers to name, whether to ask for a home server's name).
        Only the home network learns their names; elsewhere the owner's server names stay private, and one
        button asks the friend for the name of their own home server."""
        servers = self.home_servers()
        if home:
            return servers, False
        return [], bool(servers)

    def start(self, link_id: str, origin: str, address: str | None) -> Started:
        """Push a request to that home server and keep the verifier; the browser then goes to the answer's
        authorize URL, carrying the state back in a cookie only it holds."""
        # Counted before anything else, a refused link too: every call may cost home a signed push.
        self.starts.hit(client_key(address))
        row = next((s for s in self.home_servers() if s["id"] == link_id[:64]), None)
        if row is None:
            raise InvalidInput("That server cannot sign you in here.", "link_id")
        return self._push(row, origin)

    def start_by_name(self, name: str, origin: str, address: str | None) -> Started:
        """As start, for a friend away from the home network who types their home server's name (compared
        without case or surrounding spaces). Guesses count against the same per-address limit as starts."""
        self.starts.hit(client_key(address))
        wanted = " ".join(name.split()).casefold()
        found = [s for s in self.home_servers() if " ".join(s["name"].split()).casefold() == wanted]
        if not wanted or not found:
            raise InvalidInput("No home server of that name can sign you in here; check its name.", "server")
        if len(found) > 1:
            raise InvalidInput(
                "Several linked servers have that name: sign in from the home network, or ask the owner.",
                "server",
            )
        return self._push(found[0], origin)

    def _push(self, row: dict[str, str], origin: str) -> Started:
        link_id = row["id"]
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(32)
        nonce = self._federation.issue_nonce()["nonce"]
        redirect_uri = callback_uri(origin)
        body = {
            "redirect_uri": redirect_uri,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
            "nonce": nonce,
            "state": state,
        }
        try:
            status, answer = self._links.exchange(link_id, "POST", "/peer/v1/auth/request", body, _SERVER)
        except (Unreachable, IdentityChanged):
            raise Unavailable(f"{row['name']} is not answering; try again when it is online.", 30) from None
        url = answer.get("authorize_url")
        if status != 200 or not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise Unavailable(f"{row['name']} did not accept the sign-in request.", 30)
        self._flows.put(
            state,
            {"link_id": link_id, "verifier": verifier, "redirect_uri": redirect_uri},
            REQUEST_SECONDS,
            group=link_id,
        )
        return Started(state, url)

    def finish(
        self,
        state: str | None,
        kept_state: str | None,
        code: str | None,
        issuer: str | None,
        address: str | None,
    ) -> SignIn:
        """The browser came back from home: the state must be the one this browser's cookie holds and a flow
        under way (used up now, whatever follows); the code is redeemed over the link with the verifier."""
        if not state or not kept_state or not hmac.compare_digest(state.encode(), kept_state.encode()):
            raise AuthenticationRequired(REFUSED)
        flow = self._flows.take(state)
        if flow is None or not code or not _TOKEN.fullmatch(code):
            raise AuthenticationRequired(REFUSED)
        with self._db.read() as conn:
            link = self._peers.link(conn, flow["link_id"])
        # RFC 9207: the answer names who sent it, so that one home's code cannot be passed off as another's.
        if link is None or (issuer is not None and issuer != link.fingerprint):
            raise AuthenticationRequired(REFUSED)
        body = {"code": code, "code_verifier": flow["verifier"], "redirect_uri": flow["redirect_uri"]}
        try:
            status, answer = self._links.exchange(
                flow["link_id"], "POST", "/peer/v1/auth/token", body, _SERVER
            )
        except (Unreachable, IdentityChanged):
            raise Unavailable(f"{link.name} is not answering; try again when it is online.", 30) from None
        token = answer.get("token")
        if status != 200 or not isinstance(token, str):
            raise AuthenticationRequired(REFUSED)
        return self._federation.sign_in(token, address)

    # -- home: the linked server pushes and redeems, the friend approves --------------------------------------

    def _client(self, link_id: str) -> Any:
        """A link whose server accepts this one as its users' identity provider."""
        with self._db.read() as conn:
            row = self._peers.link(conn, link_id)
        if (
            row is None
            or row.state != LinkState.ACTIVE.value
            or PeerScope.IDENTITY.value not in json.loads(row.scopes_from_peer)
        ):
            raise PermissionDenied("This link does not let this server sign its users in there.")
        return row

    def accept_request(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        row = self._client(caller.link_id)
        if not _is_callback(body.get("redirect_uri")):
            raise InvalidInput(f"A redirect URI is a server's own {CALLBACK_PATH}.", "redirect_uri")
        if body.get("code_challenge_method") != "S256":
            raise InvalidInput("Only the S256 code challenge is accepted.", "code_challenge_method")
        if not isinstance(body.get("code_challenge"), str) or not _CHALLENGE.fullmatch(
            body["code_challenge"]
        ):
            raise InvalidInput("The code challenge is a SHA-256 in base64url.", "code_challenge")
        for name in ("nonce", "state"):
            if not isinstance(body.get(name), str) or not _TOKEN.fullmatch(body[name]):
                raise InvalidInput(f"The {name} is 16 to 128 URL-safe characters.", name)
        base = self._web_base()
        if base is None:
            raise Unavailable("This server does not know its own web address yet.", 30)
        handle = _REQUEST_URI + secrets.token_urlsafe(24)
        kept = {k: body[k] for k in ("redirect_uri", "code_challenge", "nonce", "state")}
        self._requests.put(
            handle, {**kept, "link_id": row.id, "client_id": row.fingerprint}, REQUEST_SECONDS, group=row.id
        )
        query = urlencode({"client_id": row.fingerprint, "request_uri": handle}, quote_via=quote)
        return {
            "request_uri": handle,
            "expires_in": REQUEST_SECONDS,
            "authorize_url": f"{base.rstrip('/')}/#/authorize?{query}",
        }

    def _pushed(self, client_id: str, request_uri: str) -> dict[str, Any]:
        found = self._requests.peek(request_uri[:256])
        if found is None or not hmac.compare_digest(found["client_id"].encode(), client_id[:256].encode()):
            raise InvalidInput(
                "This sign-in request is unknown or has expired; start again there.", "request_uri"
            )
        return found

    def describe(self, actor: Actor, client_id: str, request_uri: str) -> dict[str, Any]:
        """What the approval page shows: which server asks, and where the browser will go back to."""
        found = self._pushed(client_id, request_uri)
        row = self._client(found["link_id"])
        return {"server": row.name, "return_to": found["redirect_uri"], "user": actor.username}

    def approve(
        self, actor: Actor, client_id: str, request_uri: str, redirect_uri: str | None
    ) -> dict[str, str]:
        """The signed-in friend approves: a one-time code for that linked server, in the redirect it pushed."""
        found = self._pushed(client_id, request_uri)
        if redirect_uri is not None and redirect_uri != found["redirect_uri"]:
            raise InvalidInput(
                "That redirect address does not belong to the server that asked.", "redirect_uri"
            )
        if self._requests.take(request_uri) is None:
            raise InvalidInput("This sign-in request was already used; start again there.", "request_uri")
        row = self._client(found["link_id"])
        # Refused here rather than at redemption: the friend learns it on this page, in this server's words.
        self._federation.mint_for(row.id, actor.user_id, found["nonce"])
        code = secrets.token_urlsafe(32)
        self._codes.put(code, {**found, "user_id": actor.user_id}, CODE_SECONDS)
        query = urlencode(
            {"code": code, "state": found["state"], "iss": self._links.identity.fingerprint}, quote_via=quote
        )
        return {"redirect": f"{found['redirect_uri']}?{query}"}

    def redeem(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        """The linked server trades a code for a token: the code is used up by the first try, right or wrong."""
        code, verifier = body.get("code"), body.get("code_verifier")
        found = self._codes.take(code[:256]) if isinstance(code, str) else None
        # OAuth's invalid_grant (a 400 there): the link itself is fine, so never 401 or 403 here.
        refused = InvalidInput("This code is not valid.", "code")
        if found is None or found["link_id"] != caller.link_id:
            raise refused
        if body.get("redirect_uri") != found["redirect_uri"]:
            raise refused
        if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
            raise refused
        if not hmac.compare_digest(challenge_of(verifier).encode(), found["code_challenge"].encode()):
            raise refused
        return self._federation.mint_for(caller.link_id, found["user_id"], found["nonce"])
