"""Rotating this server's peer key without re-pairing: every linked server is told, in a request signed with the
old key, carrying the new key and a proof signed with the new one (so neither key alone can move a link). Each
peer then pins the new key and still accepts the old one for a day, for requests already under way.

A peer that cannot be told now (it is down) will see another key at the next status check and show the link as
"identity changed", which only re-pairing clears: the report names those, so the owner knows before it happens."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reelhouse.domain.access import Actor, system_actor
from reelhouse.domain.peers import LinkState, fingerprint, server_id
from reelhouse.errors import InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.persistence.peers import PeerRepository
from reelhouse.services.audit import AuditService
from reelhouse.services.pairing_protocol import checked_spki
from reelhouse.services.peer_identity import PeerIdentity, install_key
from reelhouse.services.peer_links import Caller, IdentityChanged, PeerLinks, Unreachable
from reelhouse.services.peer_signing import public_key_of

KEEP_OLD_SECONDS = 24 * 3600
_CONTEXT = b"reelhouse-rotate-v1|"


def rotation_proof(new_key: Ed25519PrivateKey, old_fingerprint: str, new_fingerprint: str) -> bytes:
    return new_key.sign(_CONTEXT + f"{old_fingerprint}|{new_fingerprint}".encode())


@dataclass(frozen=True)
class Rotation:
    server_id: str
    told: tuple[str, ...]  # names of the linked servers that now pin the new key
    not_told: tuple[str, ...]  # unreachable now: they will show "identity changed" until re-paired


class KeyRotation:
    def __init__(
        self,
        db: Database,
        repo: PeerRepository,
        audit: AuditService,
        links: PeerLinks,
        on_rotated: Callable[[PeerIdentity], None],
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._links = links
        self._on_rotated = on_rotated

    def rotate(self, actor: Actor) -> Rotation:
        """A new peer key for this server; every linked server that answers is told before it is used."""
        old = self._links.identity
        new_key = Ed25519PrivateKey.generate()
        new_spki = PeerIdentity(new_key, old.key_path, old.cert_path).spki
        new_fp = fingerprint(new_spki)
        body = {
            "key": base64.b64encode(new_spki).decode(),
            "proof": base64.b64encode(rotation_proof(new_key, old.fingerprint, new_fp)).decode(),
        }
        with self._db.read() as conn:
            rows = [r for r in self._repo.links(conn) if r.state == LinkState.ACTIVE.value]
        told: list[str] = []
        not_told: list[str] = []
        for row in rows:
            try:
                status, _ = self._links.exchange(
                    row.id, "POST", "/peer/v1/keys/rotate", body, {"server": "rotate-key"}
                )
            except (Unreachable, IdentityChanged, NotFound):
                status = 0
            # Only a 200 means the peer pins the new key; any refusal leaves it on the old one.
            (told if status == 200 else not_told).append(row.name)
        installed = install_key(old, new_key)
        self._on_rotated(installed)
        with self._db.begin() as conn:
            detail = {"from": server_id(old.fingerprint), "to": installed.server_id, "not_told": not_told}
            self._audit.record(conn, actor, "link.key_rotate", None, detail, None)
        return Rotation(installed.server_id, tuple(told), tuple(not_told))

    def accept(
        self, caller: Caller, body: dict[str, Any], evidence: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A linked server's announcement of its new key, signed with its current key (checked before this is
        called): the proof must verify with the new key over both fingerprints. ``evidence``: the signed
        request as received, kept in the audit entry so the rotation can be proved with the old key later."""
        try:
            new_spki = checked_spki(base64.b64decode(str(body.get("key", "")), validate=True))
            proof = base64.b64decode(str(body.get("proof", "")), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("The new key or its proof is not base64.", "key") from None
        with self._db.read() as conn:
            row = self._repo.link(conn, caller.link_id)
        if row is None or row.state != LinkState.ACTIVE.value:
            raise PermissionDenied("This link is not active.")
        new_fp = fingerprint(new_spki)
        public = public_key_of(new_spki)
        try:
            if public is None:
                raise InvalidSignature
            public.verify(proof, _CONTEXT + f"{row.fingerprint}|{new_fp}".encode())
        except InvalidSignature:
            raise PermissionDenied("The new key did not sign this rotation.") from None
        with self._db.begin() as conn:
            self._repo.update_link(
                conn,
                row.id,
                previous_fingerprint=row.fingerprint,
                previous_spki=row.spki,
                previous_until=time.time() + KEEP_OLD_SECONDS,
                fingerprint=new_fp,
                spki=new_spki.hex(),
                server_id=server_id(new_fp),
            )
            detail: dict[str, Any] = {"from": row.server_id, "to": server_id(new_fp), "name": row.name}
            if evidence is not None:
                detail["signed_request"] = evidence
            self._audit.record(conn, system_actor("peer"), "link.peer_key_rotated", row.id, detail, None)
        return {"ok": True, "pinned": new_fp}
