"""Signed peer requests (RFC 9421, Ed25519): a good one verifies; a tampered body, another URI or method, a wrong
key, an unknown key, a missing tag, a stale or future `created`, an unsigned digest and a missing actor are
refused, each for its own reason."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms

from reelhouse.services.peer_signing import SignatureRefused, Verified, sign_request, verify_request

URL = "https://127.0.0.1:32450/peer/v1/status"
BODY = b'{"ask":"status"}'
KEY = Ed25519PrivateKey.generate()
KEY_ID = "HOMEKEYFINGERPRINT"


@dataclass
class _Outgoing:
    method: str
    url: str
    headers: dict[str, str]


class _OwnKey(HTTPSignatureKeyResolver):
    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        return KEY

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return KEY.public_key()


def keys(key_id: str) -> Ed25519PublicKey | None:
    return KEY.public_key() if key_id == KEY_ID else None


def signed(**kwargs: Any) -> dict[str, str]:
    return sign_request(KEY, KEY_ID, "POST", URL, BODY, {"user": "u1", "amr": ["pwd"]}, **kwargs)


def check(headers: dict[str, str], method: str = "POST", url: str = URL, body: bytes = BODY) -> Verified:
    return verify_request(method, url, headers.items(), body, keys)


def test_a_good_request_verifies_with_its_actor_and_nonce() -> None:
    found = check(signed())
    assert found.key_id == KEY_ID and found.actor == {"user": "u1", "amr": ["pwd"]} and len(found.nonce) >= 16
    assert check(signed()).nonce != found.nonce


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h: check(h, body=b'{"ask":"settings"}'), "digest"),
        (lambda h: check(h, url=URL.replace("status", "settings")), "signature"),
        (lambda h: check(h, method="DELETE"), "signature"),
        (lambda h: check({**h, "Reelhouse-Actor": '{"user":"admin"}'}), "signature"),
        (
            lambda h: check({**h, "Signature-Input": h["Signature-Input"].replace("reelhouse-peer-v1", "x")}),
            "tag",
        ),
    ],
)
def test_a_changed_request_is_refused(change: Any, reason: str) -> None:
    with pytest.raises(SignatureRefused):
        change(signed())


def test_another_key_or_an_unknown_key_is_refused() -> None:
    other = sign_request(Ed25519PrivateKey.generate(), KEY_ID, "POST", URL, BODY, {"user": "u1"})
    with pytest.raises(SignatureRefused):
        check(other)
    unknown = sign_request(KEY, "SOMEONE-ELSE", "POST", URL, BODY, {"user": "u1"})
    with pytest.raises(SignatureRefused):
        check(unknown)


def test_created_beyond_five_minutes_or_the_skew_is_refused_as_clock_skew() -> None:
    now = datetime.datetime.now(datetime.UTC)
    assert check(signed(now=now - datetime.timedelta(seconds=250))).key_id == KEY_ID
    assert check(signed(now=now + datetime.timedelta(seconds=90))).key_id == KEY_ID
    for moved in (datetime.timedelta(seconds=-600), datetime.timedelta(seconds=200)):
        with pytest.raises(SignatureRefused) as refused:
            check(signed(now=now + moved))
        assert refused.value.clock_skew


def test_a_signature_without_the_digest_is_refused() -> None:
    headers = signed()
    # Strip content-digest from the covered list: the signature no longer matches, and the rule requires it.
    headers["Signature-Input"] = headers["Signature-Input"].replace(' "content-digest"', "")
    with pytest.raises(SignatureRefused):
        check(headers)


def signed_otherwise(tag: str, covered: tuple[str, ...], nonce: str | None = "n" * 22) -> dict[str, str]:
    """A well-formed signature made by the right key that breaks one rule: the rule alone must refuse it."""
    message = _Outgoing("POST", URL, {"Content-Type": "application/json", "Reelhouse-Actor": '{"user":"u1"}'})
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey())
    signer.sign(
        message,
        key_id=KEY_ID,
        created=datetime.datetime.now(datetime.UTC),
        nonce=nonce,
        label="peer",
        tag=tag,
        covered_component_ids=covered,
        # The library adds the digest itself whenever it is given a body.
        body=BODY if "content-digest" in covered else None,
    )
    return message.headers


COVERED = ("@method", "@target-uri", "content-type", "content-digest", "reelhouse-actor")


def test_a_well_signed_request_with_another_tag_or_no_nonce_is_refused() -> None:
    assert check(signed_otherwise("reelhouse-peer-v1", COVERED)).key_id == KEY_ID
    for headers in (
        signed_otherwise("another-app", COVERED),
        signed_otherwise("reelhouse-peer-v1", COVERED, None),
    ):
        with pytest.raises(SignatureRefused):
            check(headers)


def test_a_well_signed_request_that_leaves_out_the_digest_is_refused_whatever_its_body() -> None:
    headers = signed_otherwise("reelhouse-peer-v1", tuple(c for c in COVERED if c != "content-digest"))
    # Without the digest covered the body is bound to nothing: another body, with its own digest, would pass.
    for body in (BODY, b'{"ask":"settings"}'):
        with pytest.raises(SignatureRefused):
            check(headers, body=body)


def test_a_well_signed_request_that_leaves_out_the_actor_is_refused() -> None:
    headers = signed_otherwise("reelhouse-peer-v1", tuple(c for c in COVERED if c != "reelhouse-actor"))
    # Uncovered, the actor could be renamed by anyone on the path.
    headers["Reelhouse-Actor"] = '{"user":"admin"}'
    with pytest.raises(SignatureRefused):
        check(headers)
