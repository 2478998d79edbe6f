"""Linking servers: one-time codes, both sides of the pairing protocol (pairing_protocol.py), and the links it
makes. The side that shows the code answers on its peer listener; the side that types it dials.

Only the owner, signed in with the password (and second factor), makes codes and joins; the code lives ten
minutes and allows one attempt, which burns it whether it succeeds or not. Neither the code nor any PAKE
state is ever logged or audited."""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelhouse.domain.access import Actor, Credential, Role, system_actor
from reelhouse.domain.peers import (
    CODE_LIFETIME_SECONDS,
    HOME_ON_REMOTE,
    PROTOCOL_VERSION,
    REMOTE_ON_HOME,
    LinkState,
    PeerScope,
    fingerprint,
    new_code,
    pairing_link,
    parse_pairing_link,
    safety_number,
    server_id,
    shown_code,
)
from reelhouse.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests
from reelhouse.persistence.database import Database
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.pairing_protocol import Initiator, PairingFailed, Responder
from reelhouse.services.peer_denylist import allow_again, deny_link
from reelhouse.services.peer_identity import PeerIdentity, spki_of_certificate
from reelhouse.services.throttle import Window
from reelhouse.services.twofactor import TwoFactorService

FAILED = (
    "Pairing failed. The code is now void. If you typed it correctly, something on the network may have tried "
    "to intercept it; create a new code."
)
ATTEMPTS_PER_MINUTE = 10
DIAL_TIMEOUT = 10.0


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once, grouped 4821-7730-1195
    link: str
    expires_at: float
    server_id: str


@dataclass(frozen=True)
class Link:
    id: str
    name: str
    server_id: str
    fingerprint: str
    addresses: tuple[str, ...]
    scopes_to_peer: frozenset[PeerScope]
    scopes_from_peer: frozenset[PeerScope]
    state: LinkState
    paired_at: float
    safety_number: str


@dataclass
class _Pending:
    responder: Responder
    code_id: str
    started: float
    scopes_to_peer: frozenset[PeerScope]
    scopes_from_peer: frozenset[PeerScope]


def _scopes(raw: str) -> frozenset[PeerScope]:
    return frozenset(PeerScope(s) for s in json.loads(raw))


def _dump(scopes: frozenset[PeerScope]) -> str:
    return json.dumps(sorted(s.value for s in scopes))


class PeeringService:
    def __init__(
        self,
        db: Database,
        repo: PeerRepository,
        audit: AuditService,
        identity: PeerIdentity,
        code_key: bytes,
        check_password: Callable[[Actor, str, str | None], None],
        server_name: Callable[[], str],
        addresses: Callable[[], list[str]],
        on_code: Callable[[], None] = lambda: None,
        twofactor: TwoFactorService | None = None,
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self.identity = identity
        self._aead = AESGCM(code_key[:32])
        self._check_password = check_password
        self._server_name = server_name
        self._addresses = addresses
        self._on_code = on_code
        self._twofactor = twofactor
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._attempts = Window(
            ATTEMPTS_PER_MINUTE, 60.0, "Too many pairing attempts from this address; wait a minute."
        )
        # Set by the app: tells the other server of an unlinking (services/revocations.py).
        self.on_removed: Callable[[Actor | None, str], object] = lambda _actor, _link: None

    # -- who may ----------------------------------------------------------------------------------------------

    def owner_only(self, actor: Actor) -> None:
        """Linking is the owner's, signed in with the password: never an admin, a token or a device."""
        if actor.role is not Role.OWNER:
            raise PermissionDenied("Only the owner links servers.")
        if actor.credential is not Credential.SESSION:
            raise PermissionDenied("Linking servers needs a sign-in with the password, not a token.")

    def _owner_signed_in(self, actor: Actor, password: str, address: str | None, totp: str | None) -> None:
        self.owner_only(actor)
        self._check_password(actor, password, address)
        # The password first, so that a wrong one never spends a two-factor step.
        if self._twofactor is not None and self._twofactor.enrolled(actor.user_id):
            if not totp or not totp.strip():
                raise InvalidInput("Enter the code from your authenticator app.", "totp")
            if not self._twofactor.verify(actor.user_id, totp[:64]):
                raise InvalidInput("That two-factor code is not right.", "totp")

    def confirm_owner(self, actor: Actor, password: str, address: str | None, totp: str | None) -> None:
        """The owner, signed in with the password, who has just typed it again (and the second factor): what
        linking and rotating the peer key ask for."""
        self._owner_signed_in(actor, password, address, totp)

    # -- the side that shows the code ------------------------------------------------------------------------

    def create_code(
        self, actor: Actor, password: str, address: str | None = None, totp: str | None = None
    ) -> IssuedCode:
        self._owner_signed_in(actor, password, address, totp)
        return self.issue_code(actor)

    def issue_code(self, actor: Actor) -> IssuedCode:
        """A new code, voiding any before it (the CLI calls this as the system actor)."""
        code = new_code()
        now = time.time()
        code_id = secrets.token_hex(16)
        nonce = secrets.token_bytes(12)
        sealed = (nonce + self._aead.encrypt(nonce, code.encode(), code_id.encode())).hex()
        with self._db.begin() as conn:
            self._repo.void_open_codes(conn)
            self._repo.add_code(
                conn,
                id=code_id,
                code_sealed=sealed,
                created_by=None if actor.user_id == "system" else actor.user_id,
                created_at=now,
                expires_at=now + CODE_LIFETIME_SECONDS,
                state="open",
                scopes_to_peer=_dump(HOME_ON_REMOTE),
                scopes_from_peer=_dump(REMOTE_ON_HOME),
            )
            self._audit.record(conn, actor, "link.code_create", code_id, {}, None)
        self._on_code()
        addresses = self._addresses()
        where = addresses[0] if addresses else ""
        return IssuedCode(
            shown_code(code),
            pairing_link(where, self.identity.fingerprint, code),
            now + CODE_LIFETIME_SECONDS,
            self.identity.server_id,
        )

    def cancel_code(self, actor: Actor) -> None:
        with self._db.begin() as conn:
            if self._repo.void_open_codes(conn):
                self._audit.record(conn, actor, "link.code_cancel", None, {}, None)

    def answer_start(self, frame: dict[str, Any], address: str) -> dict[str, Any]:
        """The first message of a pairing: claims the live code (one attempt), or says there is none."""
        self._attempts.hit(address)
        now = time.time()
        with self._db.begin() as conn:
            row = self._repo.claim_open_code(conn, now)
        if row is None:
            raise NotFound(
                "No pairing code is waiting here, or it was used or has expired: create a new one."
            )
        sealed = bytes.fromhex(row.code_sealed)
        code = self._aead.decrypt(sealed[:12], sealed[12:], row.id.encode()).decode()
        responder = Responder(code, self.identity.spki)
        try:
            reply = responder.on_start(frame)
        except (InvalidInput, PairingFailed):
            self._burn(row.id)
            raise
        with self._lock:
            self._pending = {
                k: p for k, p in self._pending.items() if now - p.started < CODE_LIFETIME_SECONDS
            }
            self._pending[responder.pairing_id] = _Pending(
                responder, row.id, now, _scopes(row.scopes_to_peer), _scopes(row.scopes_from_peer)
            )
        return reply

    def _burn(self, code_id: str) -> None:
        with self._db.begin() as conn:
            self._repo.set_code_state(conn, code_id, "burned")

    def _take(self, frame: dict[str, Any], remove: bool) -> _Pending:
        pairing_id = frame.get("pairing_id") if isinstance(frame, dict) else None
        with self._lock:
            pending = self._pending.pop(pairing_id, None) if remove else self._pending.get(pairing_id)  # type: ignore[arg-type]
        if pending is None:
            raise NotFound("No such pairing.")
        return pending

    def answer_confirm(self, frame: dict[str, Any]) -> dict[str, Any]:
        pending = self._take(frame, remove=False)
        record = self._record(pending.scopes_to_peer, pending.scopes_from_peer)
        try:
            return pending.responder.on_confirm(frame, record)
        except (InvalidInput, PairingFailed):
            self._take(frame, remove=True)
            self._burn(pending.code_id)
            raise PairingFailed(FAILED) from None

    def answer_finish(self, frame: dict[str, Any], address: str) -> dict[str, Any]:
        pending = self._take(frame, remove=True)
        try:
            theirs = pending.responder.on_finish(frame)
            name, addresses = _record_fields(theirs)
        except (InvalidInput, PairingFailed):
            self._burn(pending.code_id)
            raise PairingFailed(FAILED) from None
        their_fp = pending.responder.their_fingerprint
        with self._db.begin() as conn:
            self._repo.set_code_state(conn, pending.code_id, "used")
            link_id = self._store(
                conn,
                their_fp,
                pending.responder.their_spki,
                name,
                _with_seen_address(address, addresses),
                pending.scopes_to_peer,
                pending.scopes_from_peer,
                "listened",
            )
        return {
            "ok": True,
            "link": link_id,
            "safety_number": safety_number(self.identity.fingerprint, their_fp),
        }

    # -- the side that types the code -------------------------------------------------------------------------

    def join(
        self, actor: Actor, password: str, link: str, address: str | None = None, totp: str | None = None
    ) -> Link:
        self._owner_signed_in(actor, password, address, totp)
        return self.dial(actor, link)

    def dial(self, actor: Actor, link: str) -> Link:
        where, expected_fp, code = parse_pairing_link(link)
        host, port = _host_port(where)
        # A link needs this server's peer listener too (the other side polls it): open it first, so that the
        # record sent below carries its address.
        self._on_code()
        initiator = Initiator(code, self.identity.spki)
        with _Dialer(host, port) as dialer:
            their_spki = spki_of_certificate(dialer.certificate)
            seen_fp = fingerprint(their_spki)
            if expected_fp is not None and seen_fp != expected_fp:
                raise PairingFailed(
                    "The server at that address is not the one the link names: nothing was sent. "
                    "Check the address, or create a new code."
                )
            if self._is_self(seen_fp):
                raise InvalidInput("That is this server's own code.", "link")
            reply = dialer.post("/peer/v1/pair/start", initiator.start(seen_fp))
            try:
                record_frame = dialer.post("/peer/v1/pair/confirm", initiator.on_reply(reply))
                away, finish = initiator.on_record(record_frame, self._record(REMOTE_ON_HOME, HOME_ON_REMOTE))
                name, addresses = _record_fields(away)
                done = dialer.post("/peer/v1/pair/finish", finish)
            except (InvalidInput, PairingFailed):
                raise PairingFailed(FAILED) from None
        if not isinstance(done, dict) or done.get("ok") is not True:
            raise PairingFailed(FAILED)
        scopes_here = _scopes(json.dumps(away.get("scopes_granted_back", [])))
        scopes_there = _scopes(json.dumps(away.get("scopes_granted", [])))
        with self._db.begin() as conn:
            link_id = self._store(
                conn,
                seen_fp,
                their_spki,
                name,
                [where, *addresses],
                scopes_here,
                scopes_there,
                "dialed",
                actor,
            )
        found = self.link(link_id)
        assert found is not None
        return found

    # -- links ------------------------------------------------------------------------------------------------

    def _is_self(self, fp: str) -> bool:
        return secrets.compare_digest(fp, self.identity.fingerprint)

    def _record(self, to_peer: frozenset[PeerScope], from_peer: frozenset[PeerScope]) -> dict[str, Any]:
        """What one side tells the other about itself, sealed under the pairing key. ``scopes_granted`` is
        what the other may do on the sender; ``scopes_granted_back`` what the sender asks to do there."""
        return {
            "v": PROTOCOL_VERSION,
            "name": self._server_name()[:128],
            "addresses": self._addresses()[:8],
            "scopes_granted": sorted(s.value for s in to_peer),
            "scopes_granted_back": sorted(s.value for s in from_peer),
        }

    def _store(
        self,
        conn: Any,
        their_fp: str,
        their_spki: bytes,
        name: str,
        addresses: list[str],
        to_peer: frozenset[PeerScope],
        from_peer: frozenset[PeerScope],
        role: str,
        actor: Actor | None = None,
    ) -> str:
        existing = self._repo.link_by_fingerprint(conn, their_fp)
        if existing is not None:
            self._repo.update_link(conn, existing.id, state=LinkState.REMOVED.value)
        link_id = secrets.token_hex(16)
        self._repo.add_link(
            conn,
            id=link_id,
            fingerprint=their_fp,
            server_id=server_id(their_fp),
            name=name,
            spki=their_spki.hex(),
            addresses=json.dumps(list(dict.fromkeys(a for a in addresses if _dialable(a)))[:8]),
            scopes_to_peer=_dump(to_peer),
            scopes_from_peer=_dump(from_peer),
            state=LinkState.ACTIVE.value,
            role=role,
            paired_at=time.time(),
            paired_by=actor.user_id if actor is not None else None,
            proto=PROTOCOL_VERSION,
        )
        allow_again(conn, their_fp)
        detail = {"server_id": server_id(their_fp), "name": name, "role": role}
        self._audit.record(conn, actor or system_actor("peer"), "link.pair", link_id, detail, None)
        return link_id

    def _link(self, row: Any) -> Link:
        return Link(
            id=row.id,
            name=row.name,
            server_id=row.server_id,
            fingerprint=row.fingerprint,
            addresses=tuple(json.loads(row.addresses)),
            scopes_to_peer=_scopes(row.scopes_to_peer),
            scopes_from_peer=_scopes(row.scopes_from_peer),
            state=LinkState(row.state),
            paired_at=row.paired_at,
            safety_number=safety_number(self.identity.fingerprint, row.fingerprint),
        )

    def links(self) -> list[Link]:
        with self._db.read() as conn:
            return [self._link(r) for r in self._repo.links(conn)]

    def link(self, link_id: str) -> Link | None:
        with self._db.read() as conn:
            row = self._repo.link(conn, link_id)
        return self._link(row) if row is not None and row.state != LinkState.REMOVED.value else None

    def remove(self, actor: Actor, link_id: str) -> None:
        with self._db.begin() as conn:
            row = self._repo.link(conn, link_id)
            if row is None or row.state == LinkState.REMOVED.value:
                raise NotFound("No such linked server.")
            self._repo.update_link(conn, link_id, state=LinkState.REMOVED.value)
            deny_link(conn, row, "unlinked")
            self._audit.record(conn, actor, "link.remove", link_id, {"server_id": row.server_id}, None)
        self.on_removed(actor, link_id)

    def code_waiting(self) -> bool:
        with self._db.read() as conn:
            row = self._repo.latest_code(conn)
        return row is not None and row.state == "open" and row.expires_at > time.time()


def _record_fields(record: dict[str, Any]) -> tuple[str, list[str]]:
    name = record.get("name")
    addresses = record.get("addresses")
    if not isinstance(name, str) or not name.strip() or not isinstance(addresses, list):
        raise InvalidInput("The other server's record is malformed.", "record")
    for key in ("scopes_granted", "scopes_granted_back"):
        value = record.get(key, [])
        if not isinstance(value, list) or any(v not in {s.value for s in PeerScope} for v in value):
            raise InvalidInput("The other server's record names an unknown scope.", "record")
    return name.strip()[:128], [str(a)[:255] for a in addresses[:8]]


def _dialable(address: str) -> bool:
    try:
        _host_port(address)
    except InvalidInput:
        return False
    return True


def _with_seen_address(seen: str, told: list[str]) -> list[str]:
    """The addresses a dialer told, led by the one its request came from (on the port it told): the address
    that just reached this server is the likeliest to reach it back."""
    told = [a for a in told if _dialable(a)]
    if not seen or not told:
        return told
    port = told[0].rpartition(":")[2]
    host = f"[{seen}]" if ":" in seen else seen
    return [f"{host}:{port}", *told]


def _host_port(where: str) -> tuple[str, int]:
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise InvalidInput("The address must be host:port, such as 192.168.1.20:32450.", "link")
    return host.strip("[]"), int(port)


class _Dialer:
    """One TLS connection to a peer listener for the whole pairing, so that every message reaches the server
    whose certificate was seen. The certificate is not checked against any authority: its key's fingerprint
    is what the protocol binds."""

    def __init__(self, host: str, port: int) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self._conn = http.client.HTTPSConnection(host, port, timeout=DIAL_TIMEOUT, context=context)
        try:
            self._conn.connect()
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(
                f"Could not reach {host}:{port}: {getattr(exc, 'strerror', None) or exc}.", "link"
            ) from None
        sock = self._conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        der = sock.getpeercert(binary_form=True)
        if der is None:
            self._conn.close()  # no __exit__ runs for a dialer that never finished being made
            raise PairingFailed("The other server presented no certificate.")
        self.certificate = der

    def post(self, path: str, frame: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(frame).encode()
        try:
            self._conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = self._conn.getresponse()
            raw = response.read(65536)
        except (OSError, http.client.HTTPException):
            raise InvalidInput("The other server closed the connection during pairing.", "link") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if response.status == 429:
            raise TooManyRequests("The other server is refusing pairing attempts for a minute.", 60)
        if response.status == 404:
            detail = answer.get("detail") if isinstance(answer, dict) else None
            raise InvalidInput(str(detail or "No pairing code is waiting there."), "link")
        if response.status != 200 or not isinstance(answer, dict):
            raise PairingFailed(FAILED)
        return answer

    def __enter__(self) -> _Dialer:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self._conn.close()
        except OSError:
            pass
