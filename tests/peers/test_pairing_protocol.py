"""The pairing protocol's two state machines, driven message by message: an honest run, a wrong code, a relaying
and a key-swapping man in the middle, malformed frames, and a known answer that pins SPAKE2's output."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from spake2 import SPAKE2_A, SPAKE2_B  # type: ignore[import-untyped]

from reelhouse.domain.peers import fingerprint
from reelhouse.errors import InvalidInput
from reelhouse.services.pairing_protocol import Initiator, PairingFailed, Responder

CODE = "4821-7730-1195"


def spki() -> bytes:
    return (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def run(
    home: Initiator, away: Responder, seen_by_home: str, tamper: Callable[[str, Any], Any] = lambda _n, f: f
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One pairing end to end; ``tamper`` may rewrite each frame on its way (a man in the middle)."""
    reply = away.on_start(tamper("start", home.start(seen_by_home)))
    confirm = home.on_reply(tamper("reply", reply))
    record = away.on_confirm(tamper("confirm", confirm), {"name": "Holiday house"})
    away_record, finish = home.on_record(tamper("record", record), {"name": "Home"})
    home_record = away.on_finish(tamper("finish", finish))
    return away_record, home_record


def test_an_honest_pairing_exchanges_both_records_bound_to_both_keys() -> None:
    home_key, away_key = spki(), spki()
    away = Responder(CODE, away_key)
    away_record, home_record = run(Initiator("482177301195", home_key), away, fingerprint(away_key))
    assert away_record == {"name": "Holiday house"}
    assert home_record == {"name": "Home"}
    assert away.their_fingerprint == fingerprint(home_key)


def test_a_wrong_code_fails_at_the_first_confirmation() -> None:
    away_key = spki()
    away = Responder(CODE, away_key)
    home = Initiator("4821-7730-1196", spki())
    reply = away.on_start(home.start(fingerprint(away_key)))
    with pytest.raises(PairingFailed):
        away.on_confirm(home.on_reply(reply), {"name": "x"})
    assert not away.confirmed


def test_a_relay_with_its_own_certificate_learns_nothing_and_fails() -> None:
    # The relay terminates TLS: home sees the relay's key, not away's, and forwards every frame unchanged.
    home_key, away_key, relay_key = spki(), spki(), spki()
    away = Responder(CODE, away_key)
    with pytest.raises(PairingFailed):
        run(Initiator(CODE, home_key), away, fingerprint(relay_key))
    assert not away.confirmed


def test_a_relay_that_swaps_homes_key_for_its_own_fails() -> None:
    home_key, away_key, relay_key = spki(), spki(), spki()
    away = Responder(CODE, away_key)

    def swap(name: str, frame: Any) -> Any:
        if name == "start":
            return {**frame, "key": base64.b64encode(relay_key).decode()}
        return frame

    with pytest.raises(PairingFailed):
        run(Initiator(CODE, home_key), away, fingerprint(away_key), swap)
    assert not away.confirmed


def test_a_forged_responder_confirmation_is_refused_by_home() -> None:
    home_key, away_key = spki(), spki()
    away = Responder(CODE, away_key)

    def forge(name: str, frame: Any) -> Any:
        return {**frame, "confirm": "AAAA" + frame["confirm"][4:]} if name == "record" else frame

    with pytest.raises(PairingFailed):
        run(Initiator(CODE, home_key), away, fingerprint(away_key), forge)


def test_frames_out_of_order_fail_cleanly() -> None:
    away = Responder(CODE, spki())
    with pytest.raises(PairingFailed):
        away.on_confirm({"confirm": "AAAA"}, {})
    with pytest.raises(PairingFailed):
        away.on_finish({"record": "AAAA"})


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["v", "pairing_id", "key", "spake", "junk"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=80), st.binary(max_size=40).map(bytes.hex)),
    )
)
def test_malformed_start_frames_are_refused_as_bad_input(frame: dict[str, Any]) -> None:
    away = Responder(CODE, spki())
    with pytest.raises((InvalidInput, PairingFailed)):
        away.on_start(frame)


def _entropy(seed: bytes) -> Callable[[int], bytes]:
    state = [hashlib.sha256(seed).digest()]

    def take(n: int) -> bytes:
        out = b""
        while len(out) < n:
            state[0] = hashlib.sha256(state[0]).digest()
            out += state[0]
        return out[:n]

    return take


def test_spake2_known_answer_pins_the_library_output() -> None:
    # If an upgrade of python-spake2 changed its group, encoding or key derivation, servers on either side of
    # the upgrade could no longer pair: this pins the bytes.
    a = SPAKE2_A(b"482177301195", idA=b"HOME", idB=b"AWAY", entropy_f=_entropy(b"a"))
    b = SPAKE2_B(b"482177301195", idA=b"HOME", idB=b"AWAY", entropy_f=_entropy(b"b"))
    message_a, message_b = a.start(), b.start()
    assert message_a.hex() == "416394b8d44823a0eb8ba911b788598c5b96dbfb418b49d47006f920dfd2b27789"
    assert message_b.hex() == "4276c13c2169833d9a4db579f8602feb497a8e1b1d8e74fe1e7f1f33a23a15fe1d"
    key = a.finish(message_b)
    assert key == b.finish(message_a)
    assert key.hex() == "f1bd924162417581cc757b1d76faf26df5f95aa60f6df530c361f38b08c0ab49"
