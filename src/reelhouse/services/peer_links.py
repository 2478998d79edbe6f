"""Talking over links once they exist: checking a peer's signed request (who, which link, which scope, no
replay), this server's status for its peers, and asking each linked server for its own, pinned to the key the
pairing stored. The Servers page reads what the last polls found; it never waits for a peer."""

from __future__ import annotations

import http.client
import json
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reelhouse.domain.peers import (
    PROTOCOL_VERSION,
    DangerousAction,
    LinkState,
    PeerNeed,
    PeerScope,
    ServerStatus,
    allowed_over_link,
    classify_status,
    fingerprint,
)
from reelhouse.errors import AuthenticationRequired, NotFound, PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.peer_denylist import denied_key
from reelhouse.services.peer_identity import PeerIdentity, spki_of_certificate
from reelhouse.services.peer_signing import (
    NONCE_SECONDS,
    SignatureRefused,
    public_key_of,
    sign_request,
    verify_request,
)

CONNECT_SECONDS = 5.0
# The address a status names when the answer came down the linked server's own outbound tunnel, and the host
# its requests are signed for there (the far end hands them to its listener as coming to that name).
TUNNEL_ADDRESS = "reverse tunnel"
TUNNEL_HOST = "localhost"
POLL_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 600.0
_MAX_ANSWER = 256 * 1024
# Jitter from a generator of its own: the module's shared one is the test runner's too (hypothesis checks that
# nothing moves it while it draws examples, and the poller runs on another thread).
_JITTER = random.Random()  # noqa: S311 - spreading polls, not a secret


# The refusals (401) by which a linked server says the link is over on its side.
LINK_GONE = ("unknown_link", "key_denied")


class PeerRefused(AuthenticationRequired):
    """A peer request refused before any scope is considered. ``code``: ``unknown_link`` (no active link pins
    the key: never paired, or unlinked here), ``clock_skew`` (only the signature's time was off), ``replay`` or
    ``bad_signature``; ``key_denied`` (the key is on the deny list: its link ended, see peer_denylist)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class IdentityChanged(Exception):
    """The server at a linked address presented another key: never accepted; only re-pairing clears it."""


class Unreachable(Exception):
    pass


# (link id, method, path, headers, body) → (HTTP status, answer); an OSError when no tunnel is open or it broke.
TunnelSend = Callable[[str, str, str, dict[str, str], bytes], tuple[int, bytes]]


@dataclass(frozen=True)
class Caller:
    """A linked server asking, and the human it names."""

    link_id: str
    name: str
    scopes: frozenset[PeerScope]
    actor: dict[str, Any]


@dataclass(frozen=True)
class ServerView:
    link_id: str | None  # None: this server
    name: str
    server_id: str
    status: ServerStatus
    version: str | None
    remote_access: bool | None
    secure_connections: str | None
    active_streams: int | None
    libraries: int | None
    items: int | None
    last_seen: float | None
    failing_since: float | None
    round_trip_ms: int | None
    skew_ms: int | None
    address: str | None
    scopes_to_peer: tuple[str, ...]
    scopes_from_peer: tuple[str, ...]
    # Where browsers reach that server, as it says (a friend's server switcher links there).
    web_url: str | None = None


class PeerLinks:
    def __init__(
        self,
        db: Database,
        repo: PeerRepository,
        identity: PeerIdentity,
        status_source: Callable[[], dict[str, Any]],
        connect_seconds: float = CONNECT_SECONDS,
    ) -> None:
        self._db = db
        self._repo = repo
        self.identity = identity
        self._status_source = status_source
        self._connect_seconds = connect_seconds
        self._lock = threading.Lock()
        self._next_poll: dict[str, float] = {}
        self._backoff: dict[str, float] = {}
        # Set by the app: the tunnels linked servers keep open to this one, tried after their addresses.
        self.tunnel: TunnelSend | None = None

    # -- a peer asks us ---------------------------------------------------------------------------------------

    def check(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        needed: PeerNeed,
    ) -> Caller:
        """The linked server behind a signed request, allowed ``needed``; otherwise PeerRefused (401) or
        PermissionDenied (403). A dangerous action is refused whatever the link's scopes. A peer's key from
        before it rotated is still accepted until the link's ``previous_until``."""
        now, headers = time.time(), list(headers)
        rows: dict[str, Any] = {}
        keys: dict[str, str] = {}
        with self._db.read() as conn:
            if denied_key(conn, headers) is not None:
                raise PeerRefused("This server's key was unlinked here: it must pair again.", "key_denied")
            for r in self._repo.links(conn):
                if r.state != LinkState.ACTIVE.value:
                    continue
                rows[r.fingerprint], keys[r.fingerprint] = r, r.spki
                if r.previous_fingerprint and r.previous_spki and (r.previous_until or 0) > now:
                    rows[r.previous_fingerprint], keys[r.previous_fingerprint] = r, r.previous_spki

        def key_of(key_id: str) -> Any:
            spki = keys.get(key_id)
            return public_key_of(bytes.fromhex(spki)) if spki else None

        try:
            verified = verify_request(method, url, headers, body, key_of)
        except SignatureRefused as exc:
            if exc.unknown_key:
                raise PeerRefused("No link with this server exists here.", "unknown_link") from None
            raise PeerRefused(exc.reason, "clock_skew" if exc.clock_skew else "bad_signature") from None
        row = rows[verified.key_id]
        with self._db.begin() as conn:
            fresh = self._repo.note_nonce(conn, verified.nonce, row.id, time.time(), NONCE_SECONDS)
        if not fresh:
            raise PeerRefused("This request was seen before (a replay).", "replay")
        scopes = frozenset(PeerScope(s) for s in json.loads(row.scopes_to_peer))
        if isinstance(needed, DangerousAction):
            raise PermissionDenied("That needs a local sign-in here: it is never done over a link.")
        if not allowed_over_link(scopes, needed):
            raise PermissionDenied("This link does not allow that.")
        return Caller(row.id, row.name, scopes, verified.actor)

    def status_document(self) -> dict[str, Any]:
        """Health and counts for a linked server: never titles, names of people, or what anyone watched."""
        with self._db.read() as conn:
            libraries, items = self._repo.counts(conn)
        return {
            **self._status_source(),
            "libraries": libraries,
            "items": items,
            "protocol": PROTOCOL_VERSION,
            "server_time": time.time(),
        }

    # -- we ask a peer ----------------------------------------------------------------------------------------

    def _one(
        self, row: Any, address: str, method: str, path: str, data: bytes, actor: dict[str, Any]
    ) -> tuple[int, Any, int]:
        """One signed request to one address of a linked server, on a connection whose certificate carries
        the pinned key: (HTTP status, JSON answer or None, round trip in ms). Raises IdentityChanged, or
        OSError and its kin when nothing answered."""
        if address == TUNNEL_ADDRESS:
            return self._through_tunnel(row, method, path, data, actor)
        host, _, port = address.rpartition(":")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the pin below is the check: the key, not an authority
        conn = http.client.HTTPSConnection(
            host.strip("[]"), int(port), timeout=self._connect_seconds, context=context
        )
        started = time.monotonic()
        try:
            conn.connect()
            sock = conn.sock
            assert isinstance(sock, ssl.SSLSocket)
            der = sock.getpeercert(binary_form=True)
            if der is None or fingerprint(spki_of_certificate(der)) != row.fingerprint:
                raise IdentityChanged(address)
            url = f"https://{address}{path}"
            headers = sign_request(self.identity.key, self.identity.fingerprint, method, url, data, actor)
            conn.request(method, path, data, headers)
            response = conn.getresponse()
            raw = response.read(_MAX_ANSWER)
        finally:
            conn.close()
        rtt = round((time.monotonic() - started) * 1000)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        return response.status, answer, rtt

    def _through_tunnel(
        self, row: Any, method: str, path: str, data: bytes, actor: dict[str, Any]
    ) -> tuple[int, Any, int]:
        """The same signed request down the tunnel the linked server keeps open to this one. The tunnel was
        opened with that server's pinned key, and the far end hands the request to its own peer listener, which
        checks the signature as it checks any other."""
        if self.tunnel is None:
            raise ConnectionError("no tunnel")
        url = f"https://{TUNNEL_HOST}{path}"
        headers = sign_request(self.identity.key, self.identity.fingerprint, method, url, data, actor)
        started = time.monotonic()
        status, raw = self.tunnel(row.id, method, path, headers, data)
        rtt = round((time.monotonic() - started) * 1000)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        return status, answer, rtt

    def _addresses(self, row: Any) -> list[str]:
        tunnel = [TUNNEL_ADDRESS] if self.tunnel is not None else []
        return [*json.loads(row.addresses), *tunnel]

    def active(self) -> list[Any]:
        """The active links' rows (id, fingerprint, addresses...): the ones this server keeps tunnels to."""
        with self._db.read() as conn:
            return [r for r in self._repo.links(conn) if r.state == LinkState.ACTIVE.value]

    def _ask(
        self, row: Any, method: str, path: str, body: dict[str, Any] | None, actor: dict[str, Any]
    ) -> tuple[dict[str, Any], str, int]:
        """One signed request to a linked server, at the first of its addresses that answers 200."""
        data = b"" if body is None else json.dumps(body).encode()
        failures: list[str] = []
        for address in self._addresses(row):
            try:
                status, answer, rtt = self._one(row, address, method, path, data, actor)
            except IdentityChanged:
                raise
            except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
                failures.append(f"{address}: {getattr(exc, 'strerror', None) or type(exc).__name__}")
                continue
            if status == 401 and isinstance(answer, dict) and answer.get("error") in LINK_GONE:
                raise PermissionDenied("revoked")
            if status != 200 or not isinstance(answer, dict):
                failures.append(f"{address}: HTTP {status}")
                continue
            return answer, address, rtt
        raise Unreachable("; ".join(failures) or "no address known")

    def exchange(
        self,
        link_id: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        actor: dict[str, Any],
        removed: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        """A signed request on a human's behalf: the first answer any address of the link gives, whatever
        its status (the pinned key said it, so it is the server's word). Raises NotFound for no such active
        link, IdentityChanged, or Unreachable when no address answered. ``removed``: a link removed here may
        still carry its revocations (services/revocations.py), to the key it pinned."""
        with self._db.read() as conn:
            row = self._repo.link(conn, link_id)
        usable = {LinkState.ACTIVE.value, *([LinkState.REMOVED.value] if removed else [])}
        if row is None or row.state not in usable:
            raise NotFound("No such linked server.")
        data = b"" if body is None else json.dumps(body).encode()
        failures: list[str] = []
        for address in self._addresses(row):
            try:
                status, answer, _ = self._one(row, address, method, path, data, actor)
            except IdentityChanged:
                if row.state == LinkState.ACTIVE.value:
                    self._update(link_id, state=LinkState.IDENTITY_CHANGED.value)
                raise
            except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
                failures.append(f"{address}: {getattr(exc, 'strerror', None) or type(exc).__name__}")
                continue
            return status, answer if isinstance(answer, dict) else {}
        raise Unreachable("; ".join(failures) or "no address known")

    def poll(self, link_id: str) -> ServerView | None:
        """Ask one linked server for its status now, and record what it said (or that it did not)."""
        with self._db.read() as conn:
            row = self._repo.link(conn, link_id)
        if row is None or row.state != LinkState.ACTIVE.value:
            return self.view(link_id)
        now = time.time()
        previous = json.loads(row.last_status) if row.last_status else {}
        started = time.time()
        try:
            answer, address, rtt = self._ask(row, "GET", "/peer/v1/status", None, {"server": "status"})
        except IdentityChanged:
            self._update(link_id, state=LinkState.IDENTITY_CHANGED.value)
            return self.view(link_id)
        except PermissionDenied:
            self._update(link_id, state=LinkState.REVOKED_BY_PEER.value)
            return self.view(link_id)
        except Unreachable as exc:
            failing = previous.get("failing_since") or now
            self._update(
                link_id,
                last_status=json.dumps({**previous, "failing_since": failing, "error": str(exc)[:300]}),
            )
            self._back_off(link_id, failed=True)
            return self.view(link_id)
        # The peer's clock against ours, at the middle of the round trip.
        middle = started + rtt / 2000
        skew = round((float(answer.get("server_time", middle)) - middle) * 1000)
        document = {k: answer.get(k) for k in _STATUS_FIELDS}
        status = {
            "document": document,
            "rtt_ms": rtt,
            "address": address,
            "failing_since": None,
            "error": None,
        }
        self._update(link_id, last_seen=time.time(), last_status=json.dumps(status), skew_ms=skew)
        self._back_off(link_id, failed=False)
        return self.view(link_id)

    def _update(self, link_id: str, **values: Any) -> None:
        with self._db.begin() as conn:
            self._repo.update_link(conn, link_id, **values)

    def _back_off(self, link_id: str, failed: bool) -> None:
        """Every POLL_SECONDS with jitter while a peer answers; doubling up to ten minutes while it does not."""
        with self._lock:
            delay = (
                min(MAX_BACKOFF_SECONDS, self._backoff.get(link_id, POLL_SECONDS / 2) * 2)
                if failed
                else POLL_SECONDS
            )
            self._backoff[link_id] = delay if failed else POLL_SECONDS / 2
            self._next_poll[link_id] = time.monotonic() + delay * _JITTER.uniform(0.85, 1.15)

    def due(self) -> list[str]:
        with self._db.read() as conn:
            ids = [r.id for r in self._repo.links(conn) if r.state == LinkState.ACTIVE.value]
        now = time.monotonic()
        with self._lock:
            return [i for i in ids if self._next_poll.get(i, 0.0) <= now]

    # -- the Servers page -------------------------------------------------------------------------------------

    def view(self, link_id: str) -> ServerView | None:
        with self._db.read() as conn:
            row = self._repo.link(conn, link_id)
        return None if row is None else _view(row, time.time())

    def views(self) -> list[ServerView]:
        with self._db.read() as conn:
            rows = self._repo.links(conn)
        now = time.time()
        return [_view(r, now) for r in rows]


_STATUS_FIELDS = (
    "name",
    "version",
    "remote_access",
    "secure_connections",
    "active_streams",
    "libraries",
    "items",
    "protocol",
    "web_url",
)


def _view(row: Any, now: float) -> ServerView:
    status = json.loads(row.last_status) if row.last_status else {}
    document = status.get("document") or {}
    protocol = document.get("protocol")
    return ServerView(
        link_id=row.id,
        name=row.name,
        server_id=row.server_id,
        status=classify_status(
            LinkState(row.state),
            row.last_seen,
            status.get("failing_since"),
            row.skew_ms,
            protocol if isinstance(protocol, int) else None,
            now,
        ),
        version=document.get("version"),
        remote_access=document.get("remote_access"),
        secure_connections=document.get("secure_connections"),
        active_streams=document.get("active_streams"),
        libraries=document.get("libraries"),
        items=document.get("items"),
        last_seen=row.last_seen,
        failing_since=status.get("failing_since"),
        round_trip_ms=status.get("rtt_ms"),
        skew_ms=row.skew_ms,
        address=status.get("address"),
        scopes_to_peer=tuple(json.loads(row.scopes_to_peer)),
        scopes_from_peer=tuple(json.loads(row.scopes_from_peer)),
        web_url=_web_url(document.get("web_url")),
    )


def _web_url(value: Any) -> str | None:
    """A linked server's own web address, only as a plain http(s) URL: the page puts it in a link."""
    if not isinstance(value, str) or len(value) > 512:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    return value.rstrip("/")
