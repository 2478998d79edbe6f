"""Signed requests between linked servers: RFC 9421 HTTP Message Signatures with the peer key (Ed25519), through
the http-message-signatures library. A signature covers the method, the target URI, the content type and the
content digest, carries `created`, a 128-bit `nonce`, `keyid` (the signer's key fingerprint) and the tag
`reelhouse-peer-v1`, and names the human on whose behalf the server asks (`Reelhouse-Actor`, signed too).

The verifier accepts a signature created at most 300 s ago, allows 120 s of clock skew either way, and refuses a
nonce it has seen in the last 600 s (the caller keeps the nonces, across restarts)."""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

TAG = "reelhouse-peer-v1"
MAX_AGE_SECONDS = 300
SKEW_SECONDS = 120
NONCE_SECONDS = 600
ACTOR_HEADER = "Reelhouse-Actor"
_COVERED = ("@method", "@target-uri", "content-type", "content-digest", "reelhouse-actor")


class SignatureRefused(Exception):
    """A peer request whose signature does not hold; ``clock_skew`` when only its time is off."""

    def __init__(self, reason: str, clock_skew: bool = False, unknown_key: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.clock_skew = clock_skew
        self.unknown_key = unknown_key


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class _Headers:
    """Field lines as received (repeated names kept), read-only: what the verifier needs."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def items(self) -> Iterable[tuple[str, str]]:
        return iter(self._pairs)

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self._pairs))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._pairs)

    def __getitem__(self, name: str) -> str:
        values = [v for n, v in self._pairs if n.lower() == name.lower()]
        if not values:
            raise KeyError(name)
        return ", ".join(values)


@dataclass
class _ReceivedMessage:
    method: str
    url: str
    headers: _Headers


class _Keys(HTTPSignatureKeyResolver):
    def __init__(
        self,
        public: Callable[[str], Ed25519PublicKey | None] | None = None,
        private: Ed25519PrivateKey | None = None,
    ) -> None:
        self._public = public
        self._private = private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self._public(key_id) if self._public is not None else None

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey | None:
        return self._private


class _Verifier(HTTPMessageVerifier):
    # The library allows 5 s; two servers' clocks drift further apart than that.
    max_clock_skew = datetime.timedelta(seconds=SKEW_SECONDS)


def public_key_of(spki: bytes) -> Ed25519PublicKey | None:
    try:
        key = serialization.load_der_public_key(spki)
    except ValueError:
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def sign_request(
    key: Ed25519PrivateKey,
    key_id: str,
    method: str,
    url: str,
    body: bytes,
    actor: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, str]:
    """The headers to send with a request: content type, the actor, the digest and the signature."""
    message = _Message(
        method.upper(),
        url,
        {
            "Content-Type": "application/json",
            ACTOR_HEADER: json.dumps(actor or {}, separators=(",", ":"), sort_keys=True),
        },
    )
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(private=key))
    signer.sign(
        message,
        key_id=key_id,
        created=now or datetime.datetime.now(datetime.UTC),
        nonce=secrets.token_urlsafe(16),
        label="peer",
        tag=TAG,
        covered_component_ids=_COVERED,
        body=body,
    )
    return dict(message.headers)


@dataclass(frozen=True)
class Verified:
    key_id: str
    nonce: str
    created: float
    actor: dict[str, Any]


def verify_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    public_key: Callable[[str], Ed25519PublicKey | None],
) -> Verified:
    """Check a received request's signature; the caller then checks the nonce (Verified.nonce) and the
    link's scopes. Raises SignatureRefused with a reason fit to send back."""
    message = _ReceivedMessage(method.upper(), url, _Headers(headers))
    verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(public=public_key))
    try:
        (result,) = verifier.verify(
            message,
            max_age=datetime.timedelta(seconds=MAX_AGE_SECONDS),
            expect_tag=TAG,
            require_components=_COVERED,
            body=body,
        )
    except InvalidSignature as exc:
        text = str(exc)
        skew = "future" in text or "maximum allowable age" in text
        unknown = "Unable to resolve verification key" in text
        raise SignatureRefused(
            f"The signature was refused: {text[:200]}", clock_skew=skew, unknown_key=unknown
        ) from None
    except (HTTPMessageSignaturesException, ValueError) as exc:
        raise SignatureRefused(f"The signature is malformed: {str(exc)[:200]}") from None
    params = result.parameters
    nonce = params.get("nonce")
    if not isinstance(nonce, str) or len(nonce) < 16:
        raise SignatureRefused("The signature carries no nonce.")
    try:
        actor = json.loads(message.headers[ACTOR_HEADER])
    except (KeyError, ValueError):
        actor = None
    if not isinstance(actor, dict):
        raise SignatureRefused("The request does not name who asks.")
    return Verified(str(params["keyid"]), nonce, float(params["created"]), actor)
