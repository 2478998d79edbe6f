"""Rotating a server's peer key without re-pairing: the linked server is told under the old key, pins the new
one, keeps the old one for a day and no longer; both still see each other Online; a rotation whose proof the new
key did not sign is refused and changes nothing; a peer that is down is named as not told."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reelhouse.domain.access import system_actor
from reelhouse.domain.peers import ServerStatus, fingerprint
from reelhouse.services.peer_identity import PeerIdentity, load_identity
from reelhouse.services.peer_keys import rotation_proof
from reelhouse.services.peer_signing import sign_request
from tests.harness import RunningServer
from tests.peers.test_pairing_servers import listening

OWNER = system_actor("test")


def signed_status(port: int, identity: PeerIdentity) -> int:
    url = f"https://127.0.0.1:{port}/peer/v1/status"
    headers = sign_request(identity.key, identity.fingerprint, "GET", url, b"", {"server": "test"})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        conn.request("GET", "/peer/v1/status", b"", headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_a_rotated_key_is_pinned_by_the_peer_and_both_stay_online(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    home, away, on_home, on_away = linked
    old = home.server.peering.identity
    done = home.server.key_rotation.rotate(OWNER)
    new = home.server.peering.identity
    assert new.fingerprint != old.fingerprint and done.server_id == new.server_id
    assert done.told == (away.server.peering.link(on_away).name,) and done.not_told == ()  # type: ignore[union-attr]
    # Away pins the new key; home's listener presents it; each sees the other Online.
    assert away.server.peering.link(on_away).fingerprint == new.fingerprint  # type: ignore[union-attr]
    assert load_identity(home.data_dir / "peer").fingerprint == new.fingerprint
    seen = away.server.peer_links.poll(on_away)
    assert seen is not None and seen.status is ServerStatus.ONLINE, seen
    back = home.server.peer_links.poll(on_home)
    assert back is not None and back.status is ServerStatus.ONLINE, back
    # The old key still works for a day (requests under way), then no longer.
    port = listening(away)
    assert signed_status(port, old) == 200
    with away.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET previous_until = ? WHERE id = ?", (time.time() - 1, on_away)
        )
    assert signed_status(port, old) == 401
    assert signed_status(port, new) == 200
    for server in (home, away):
        assert server.server.services.audit.verify().state == "intact"


def test_a_rotation_the_new_key_did_not_prove_is_refused(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    home, away, _, on_away = linked
    identity = home.server.peering.identity
    new_key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    new_spki = PeerIdentity(new_key, identity.key_path, identity.cert_path).spki
    forged = rotation_proof(other, identity.fingerprint, fingerprint(new_spki))
    body = json.dumps(
        {"key": base64.b64encode(new_spki).decode(), "proof": base64.b64encode(forged).decode()}
    ).encode()
    port = listening(away)
    url = f"https://127.0.0.1:{port}/peer/v1/keys/rotate"
    headers = sign_request(identity.key, identity.fingerprint, "POST", url, body, {"server": "test"})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    conn.request("POST", "/peer/v1/keys/rotate", body, headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    assert response.status == 403, answer
    assert away.server.peering.link(on_away).fingerprint == identity.fingerprint  # type: ignore[union-attr]


def test_a_peer_that_is_down_is_named_as_not_told(
    linked: tuple[RunningServer, RunningServer, str, str],
) -> None:
    home, _away, on_home, _ = linked
    with home.server.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE peer_links SET addresses = ? WHERE id = ?", (json.dumps(["127.0.0.1:1"]), on_home)
        )
    done = home.server.key_rotation.rotate(OWNER)
    assert done.told == () and len(done.not_told) == 1
