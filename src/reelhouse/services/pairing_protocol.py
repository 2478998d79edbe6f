"""Pairing protocol v1: SPAKE2 over a one-time code, bound to both servers' key fingerprints as each side sees
them on the TLS connection, then key confirmation and the link records sealed under the derived key.

Transport-free: each side is a small state machine taking and giving JSON-ready dicts, so the listener, the
dialer and the tests' man in the middle all drive the same code.

    H (types the code) dials R (shows it); H records fpR_seen from R's certificate.
    H → R  start    {v, pairing_id, key: SPKI(H), spake: SPAKE2_A(code, idA=fpH, idB=fpR_seen)}
    R → H  reply    {spake: SPAKE2_B(code, idA=fpH(from key), idB=fpR_own)}
    both   K = finish(); T = SHA-256(pairing_id | fpH | fpR | spake_A | spake_B)
           kA, kB, kEnc = HKDF-SHA256(K, salt=T, info="rh-pair-v1 confirm A" | "… confirm B" | "… payload")
    H → R  confirm  {confirm: HMAC(kA, T)}            R checks it; on a mismatch the code is burned
    R → H  record   {confirm: HMAC(kB, T), record: AES-GCM(kEnc, R's link record)}
    H → R  finish   {record: AES-GCM(kEnc, H's link record)}

A relaying man in the middle terminates TLS, so H binds fpM and R binds its own fpR: the two keys differ and the
first confirmation fails, having taught the relay nothing about the code (SPAKE2 allows one online guess).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B  # type: ignore[import-untyped]

from reelhouse.domain.peers import PROTOCOL_VERSION, fingerprint, normalise_code
from reelhouse.errors import InvalidInput, PermissionDenied

_MAX_FIELD = 4096  # bytes of any one decoded field: a frame is small, and a huge one is refused unread


class PairingFailed(PermissionDenied):
    """The code was wrong, or someone stood between the two servers. Said the same way in both cases."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(frame: dict[str, Any], name: str) -> bytes:
    value = frame.get(name) if isinstance(frame, dict) else None
    if not isinstance(value, str) or len(value) > _MAX_FIELD * 2:
        raise InvalidInput(f"The pairing message lacks '{name}'.", name)
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise InvalidInput(f"The pairing message's '{name}' is not base64.", name) from None


def checked_spki(spki: bytes) -> bytes:
    """A peer key as sent: an Ed25519 SubjectPublicKeyInfo, or InvalidInput."""
    try:
        key = serialization.load_der_public_key(spki)
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("The pairing message's key is not an Ed25519 public key.", "key")
    return spki


@dataclass
class _Keys:
    transcript: bytes
    confirm_a: bytes
    confirm_b: bytes
    payload: bytes


def _derive(shared: bytes, pairing_id: str, fp_h: str, fp_r: str, spake_a: bytes, spake_b: bytes) -> _Keys:
    transcript = hashlib.sha256(
        b"|".join([pairing_id.encode(), fp_h.encode(), fp_r.encode(), spake_a, spake_b])
    ).digest()

    def key(label: bytes) -> bytes:
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=transcript, info=b"rh-pair-v1 " + label
        ).derive(shared)

    return _Keys(transcript, key(b"confirm A"), key(b"confirm B"), key(b"payload"))


def _tag(key: bytes, transcript: bytes) -> bytes:
    return hmac.new(key, transcript, hashlib.sha256).digest()


def _seal(keys: _Keys, direction: bytes, record: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return _b64(nonce + AESGCM(keys.payload).encrypt(nonce, body, keys.transcript + direction))


def _open(keys: _Keys, direction: bytes, sealed: bytes) -> dict[str, Any]:
    try:
        body = AESGCM(keys.payload).decrypt(sealed[:12], sealed[12:], keys.transcript + direction)
        record = json.loads(body)
    except Exception:  # noqa: BLE001 (any failure to open is the same failure to pair)
        raise PairingFailed("The link record could not be opened.") from None
    if not isinstance(record, dict):
        raise PairingFailed("The link record is malformed.")
    return record


@dataclass
class Initiator:
    """The side that types the code (H). ``own_spki`` is its peer key's SubjectPublicKeyInfo (DER)."""

    code: str
    own_spki: bytes
    pairing_id: str = field(default_factory=lambda: base64.urlsafe_b64encode(os.urandom(16)).decode())
    _spake: Any = None
    _spake_a: bytes = b""
    _fp_r: str = ""
    _keys: _Keys | None = None

    def start(self, seen_fp_r: str) -> dict[str, Any]:
        self._fp_r = seen_fp_r
        fp_h = fingerprint(self.own_spki)
        self._spake = SPAKE2_A(normalise_code(self.code).encode(), idA=fp_h.encode(), idB=seen_fp_r.encode())
        self._spake_a = self._spake.start()
        return {
            "v": PROTOCOL_VERSION,
            "pairing_id": self.pairing_id,
            "key": _b64(self.own_spki),
            "spake": _b64(self._spake_a),
        }

    def on_reply(self, frame: dict[str, Any]) -> dict[str, Any]:
        spake_b = _unb64(frame, "spake")
        try:
            shared = self._spake.finish(spake_b)
        except Exception:  # noqa: BLE001 (a malformed element is a failed pairing, not a crash)
            raise PairingFailed("The other server's pairing message is malformed.") from None
        fp_h = fingerprint(self.own_spki)
        self._keys = _derive(shared, self.pairing_id, fp_h, self._fp_r, self._spake_a, spake_b)
        return {
            "pairing_id": self.pairing_id,
            "confirm": _b64(_tag(self._keys.confirm_a, self._keys.transcript)),
        }

    def on_record(
        self, frame: dict[str, Any], own_record: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The responder's record, and the frame carrying ours; PairingFailed if its confirmation is wrong."""
        keys = self._keys
        if keys is None:
            raise PairingFailed("The pairing ran out of order.")
        if not hmac.compare_digest(_unb64(frame, "confirm"), _tag(keys.confirm_b, keys.transcript)):
            raise PairingFailed("The other server did not prove it knows the code.")
        theirs = _open(keys, b"R", _unb64(frame, "record"))
        return theirs, {"pairing_id": self.pairing_id, "record": _seal(keys, b"H", own_record)}


@dataclass
class Responder:
    """The side that showed the code (R). ``own_spki`` is its peer key's SubjectPublicKeyInfo (DER)."""

    code: str
    own_spki: bytes
    pairing_id: str = ""
    their_spki: bytes = b""
    _keys: _Keys | None = None
    confirmed: bool = False

    def on_start(self, frame: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(frame, dict) or frame.get("v") != PROTOCOL_VERSION:
            raise InvalidInput("This pairing protocol version is not spoken here: update both servers.", "v")
        pairing_id = frame.get("pairing_id")
        if not isinstance(pairing_id, str) or not 8 <= len(pairing_id) <= 64:
            raise InvalidInput("The pairing message lacks its id.", "pairing_id")
        self.pairing_id = pairing_id
        self.their_spki = _unb64(frame, "key")
        fp_h = fingerprint(checked_spki(self.their_spki))
        spake_a = _unb64(frame, "spake")
        fp_r = fingerprint(self.own_spki)
        spake = SPAKE2_B(normalise_code(self.code).encode(), idA=fp_h.encode(), idB=fp_r.encode())
        spake_b = spake.start()
        try:
            shared = spake.finish(spake_a)
        except Exception:  # noqa: BLE001
            raise PairingFailed("The other server's pairing message is malformed.") from None
        self._keys = _derive(shared, pairing_id, fp_h, fp_r, spake_a, spake_b)
        return {"spake": _b64(spake_b)}

    def on_confirm(self, frame: dict[str, Any], own_record: dict[str, Any]) -> dict[str, Any]:
        keys = self._keys
        if keys is None:
            raise PairingFailed("The pairing ran out of order.")
        if not hmac.compare_digest(_unb64(frame, "confirm"), _tag(keys.confirm_a, keys.transcript)):
            raise PairingFailed("The code was wrong, or someone stood between the two servers.")
        self.confirmed = True
        return {
            "confirm": _b64(_tag(keys.confirm_b, keys.transcript)),
            "record": _seal(keys, b"R", own_record),
        }

    def on_finish(self, frame: dict[str, Any]) -> dict[str, Any]:
        keys = self._keys
        if keys is None or not self.confirmed:
            raise PairingFailed("The pairing ran out of order.")
        return _open(keys, b"H", _unb64(frame, "record"))

    @property
    def their_fingerprint(self) -> str:
        return fingerprint(self.their_spki)
