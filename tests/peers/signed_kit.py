"""Signed requests to a peer listener, as a linked server (or anyone holding a peer key) sends them: for the
tests that drive the peer route table directly."""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any

from reelhouse.services.peer_identity import PeerIdentity
from reelhouse.services.peer_signing import sign_request
from reelhouse.web.peer_api import PeerRoute

# A value for each path parameter of PEER_ROUTES.
PATH_VALUES = {"subject": "nobody-here"}


def concrete(route: PeerRoute) -> str:
    path = route.path
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"give {route.path}'s parameter a value in PATH_VALUES"
    return path


def call(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    identity: PeerIdentity | None = None,
    actor: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request over TLS to 127.0.0.1:port, signed with ``identity`` when given: (status, JSON answer)."""
    sent = dict(headers or {})
    if identity is not None:
        url = f"https://127.0.0.1:{port}{path}"
        who = actor if actor is not None else {"user": "test", "name": "Tester", "role": "owner"}
        sent.update(sign_request(identity.key, identity.fingerprint, method, url, body, who))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=15)
    try:
        conn.request(method, path, body, sent)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {"unparsed": raw[:200].decode("utf-8", "replace")}
    return response.status, answer if isinstance(answer, dict) else {"value": answer}
