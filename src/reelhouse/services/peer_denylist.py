"""The deny list of peer keys (design test 17): when a link ends, here or by the other server's farewell, its
key fingerprints (current, and the one before a rotation) are refused by the listener before any other check,
whatever state the link row is in later. Only a new pairing, which needs a fresh one-time code, lifts it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from reelhouse.persistence.peer_denylist import PeerDenylistRepository

_REPO = PeerDenylistRepository()
_KEYID = re.compile(r'keyid="([^"]{1,128})"')


def deny_link(conn: Connection, row: Any, reason: str) -> None:
    """Deny the keys a link pinned (in the transaction that ends it)."""
    for fingerprint in (row.fingerprint, row.previous_fingerprint):
        if fingerprint:
            _REPO.deny(conn, fingerprint, row.server_id, reason, time.time())


def denied_key(conn: Connection, headers: Iterable[tuple[str, str]]) -> str | None:
    """The first denied key a request's Signature-Input names, read before the signature is even checked."""
    named = [k for name, value in headers if name.lower() == "signature-input" for k in _KEYID.findall(value)]
    found = _REPO.denied(conn, named[:8]) if named else []
    return found[0] if found else None


def allow_again(conn: Connection, fingerprint: str) -> None:
    """A pairing with a fresh code just pinned this key: it is no longer denied."""
    _REPO.clear(conn, fingerprint)
