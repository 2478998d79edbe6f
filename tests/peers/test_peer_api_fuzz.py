"""Design test 19: schemathesis over the peer API. Every route of PEER_ROUTES but pairing, whatever the fuzzer
sends (path, body, and its own Signature, Signature-Input, Content-Digest and Reelhouse-Actor fields), answers
only a refusal without a valid signature: with no signature, with the fuzzer's, with a real one from a key no
link pins, and with a linked server's real signature made for another request. The pairing routes never fail
with a server error. Nothing on the server changes. The document is built from the table, so a new route is
fuzzed without touching this file."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from urllib3.exceptions import InsecureRequestWarning

from reelhouse.domain.peers import LinkAccess
from reelhouse.services.peer_identity import PeerIdentity, load_identity
from reelhouse.services.peer_signing import sign_request
from reelhouse.web.peer_api import PEER_ROUTES, PeerRoute
from tests.harness import RunningServer
from tests.peers.signed_kit import call
from tests.peers.test_pairing_servers import listening

Linked = tuple[RunningServer, RunningServer, str, str]
SIGNATURE_FIELDS = ("Signature", "Signature-Input", "Content-Digest", "Reelhouse-Actor")
EXAMPLES = 12
# A refusal before any handler: unsigned or unknown (401); a body too large or not JSON for the signature's
# digest to be read at all (400, 413, 422).
REFUSALS = {400, 401, 413, 422}


def document(routes: tuple[PeerRoute, ...]) -> dict[str, Any]:
    """An OpenAPI document for the peer table: path parameters, any JSON object as a body, and the signature's
    fields as optional headers so that the fuzzer forges them too."""
    paths: dict[str, Any] = {}
    for route in routes:
        names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
        parameters = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for n in names
        ] + [
            {"name": f, "in": "header", "required": False, "schema": {"type": "string"}}
            for f in SIGNATURE_FIELDS
        ]
        operation: dict[str, Any] = {
            "operationId": f"{route.method} {route.path}",
            "parameters": parameters,
            "responses": {"default": {"description": "any"}},
        }
        if route.method != "GET":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {"openapi": "3.0.3", "info": {"title": "peer", "version": "1"}, "paths": paths}


def state_of(server: RunningServer) -> tuple[Any, ...]:
    with server.server.db.read() as conn:
        counts = tuple(
            conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("audit_log", "federated_principals", "peer_received", "users")
        )
        links = conn.exec_driver_sql("SELECT id, state, scopes_to_peer, fingerprint FROM peer_links").all()
    return counts, tuple(map(tuple, links)), dict(server.server.services.settings.values)


def body_of(case: Any) -> bytes:
    if case.body is None or case.method == "GET":
        return b""
    if isinstance(case.body, bytes | bytearray):
        return bytes(case.body)
    try:
        return json.dumps(case.body).encode()
    except (TypeError, ValueError):
        return repr(case.body).encode()


@dataclass
class Target:
    port: int
    session: requests.Session
    stranger: PeerIdentity  # a key no link pins
    linked: PeerIdentity  # the key away pins for home

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def fuzz(target: Target, operation: Any, mode: GenerationMode, pairing: bool) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)
            answer = case.call(base_url=target.base, session=target.session, timeout=15, verify=False)
        label = f"{case.method} {case.formatted_path}: {answer.status_code} {answer.text[:200]!r}"
        assert answer.status_code < 500, label
        if pairing:
            return
        assert answer.status_code in REFUSALS, label
        # The same request really signed, by a key no link pins; then with the linked server's signature made
        # for another request (lifted from elsewhere): both refused.
        path, body = case.formatted_path, body_of(case)
        status, said = call(target.port, case.method, path, body, target.stranger)
        assert status == 401 and said.get("error") == "unknown_link", (path, status, said)
        if (case.method, path) == ("GET", "/peer/v1/status"):
            return  # the request the lifted signature below is made for
        key = target.linked
        lifted = sign_request(key.key, key.fingerprint, "GET", f"{target.base}/peer/v1/status", b"", {})
        status, said = call(target.port, case.method, path, body, headers=lifted)
        assert status in REFUSALS, (path, status, said)

    run()


def test_no_peer_route_answers_anything_but_a_refusal_without_a_valid_signature(
    linked: Linked, tmp_path: Path
) -> None:
    home, away, _, _ = linked
    session = requests.Session()
    session.verify = False  # the peer certificate is self-signed; what is tested here is the answer
    target = Target(
        listening(away), session, load_identity(tmp_path / "stranger"), home.server.peering.identity
    )
    schema = schemathesis.openapi.from_dict(document(PEER_ROUTES))
    before = state_of(away)
    fuzzed = 0
    for route in PEER_ROUTES:
        operation = schema[route.path][route.method]
        # Invalid input needs something to spoil: a body (any header or path string is valid here).
        spoilable = route.method != "GET"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if spoilable else 1]:
            fuzz(target, operation, mode, route.needs is LinkAccess.PAIRING)
            fuzzed += 1
    assert fuzzed >= len(PEER_ROUTES)
    assert state_of(away) == before, "a refused request changed something"
