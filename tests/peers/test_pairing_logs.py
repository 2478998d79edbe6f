"""Design test 10: a pairing's code and its PAKE state (every frame, the shared secret and the keys derived
from it) never reach a log, whether the pairing succeeds or fails."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest

from reelhouse.services import pairing_protocol
from reelhouse.services.pairing_protocol import PairingFailed
from tests.harness import RunningServer
from tests.peers.federation_kit import OWNER, listening


def test_no_code_frame_or_pake_key_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets: list[str] = []
    derive = pairing_protocol._derive

    def noted(shared: bytes, *rest: Any) -> Any:
        keys = derive(shared, *rest)
        for value in (shared, keys.transcript, keys.confirm_a, keys.confirm_b, keys.payload):
            secrets.extend((value.hex(), base64.b64encode(value).decode().rstrip("=")))
        return keys

    def spy(method: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            answer = method(*args)
            for frame in (*args[1:], *(answer if isinstance(answer, tuple) else (answer,))):
                if isinstance(frame, dict):
                    # The PAKE's own fields; a key or a record's name is public and may be logged.
                    secrets.extend(
                        str(frame[k]) for k in ("pairing_id", "spake", "confirm", "record") if k in frame
                    )
            return answer

        return wrapped

    monkeypatch.setattr(pairing_protocol, "_derive", noted)
    for cls, names in (
        (pairing_protocol.Initiator, ("start", "on_reply", "on_record")),
        (pairing_protocol.Responder, ("on_start", "on_confirm", "on_finish")),
    ):
        for name in names:
            monkeypatch.setattr(cls, name, spy(getattr(cls, name)))
    caplog.set_level(logging.DEBUG)
    away = RunningServer(tmp_path / "away", peer_port=0)
    home = RunningServer(tmp_path / "home", peer_port=0)
    try:
        issued = away.server.peering.issue_code(OWNER)
        listening(away)
        digits = issued.code.replace("-", "")
        wrong = f"{(int(digits) + 1) % 10**12:012d}"
        with pytest.raises(PairingFailed):
            home.server.peering.dial(OWNER, issued.link.replace(digits, wrong))
        second = away.server.peering.issue_code(OWNER)
        assert home.server.peering.dial(OWNER, second.link).fingerprint
    finally:
        home.stop()
        away.stop()
    assert len(secrets) > 20, "the spies saw both pairings"
    logged = caplog.text
    assert logged, "the servers logged something, so the search below means something"
    codes = [issued.code, digits, wrong, second.code, second.code.replace("-", "")]
    for secret in [*secrets, *codes]:
        assert secret not in logged
