"""Paths a client API's apps ask for that it does not serve, logged once per shape so the next gaps show.

An app that polls an endpoint we lack would otherwise write the same line every few seconds, with a new item
id each time; so ids and numbers become placeholders, and the query string (where apps put tokens) is never
looked at. At most LIMIT shapes are remembered, so a scanner walking random paths cannot grow memory or the
log without bound.
"""

from __future__ import annotations

import logging
import re
import threading

log = logging.getLogger(__name__)

LIMIT = 1000
# Longer shapes are cut: a path is at most a request line, but a log line need not carry all of it.
MAX_SHAPE = 200
_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{16,}", re.I)
_NUMBER = re.compile(r"\d+")


def shape(path: str) -> str:
    """`/jellyfin/Items/<32 hex>/Foo/3` becomes `/jellyfin/Items/{id}/Foo/{n}`."""
    return _NUMBER.sub("{n}", _ID.sub("{id}", path))[:MAX_SHAPE]


class UnknownPaths:
    """The shapes already logged, per server; requests run on one loop but tests start several servers."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._full = False
        self._lock = threading.Lock()

    def note(self, client: str, method: str, path: str) -> None:
        found = f"{method} {shape(path)}"
        key = found.lower()  # the apps' paths are case-blind, so is the memory of them
        with self._lock:
            if key in self._seen:
                return
            if len(self._seen) >= self._limit:
                if self._full:
                    return
                self._full = True
                message, args = (
                    "%s: %s unknown path shapes seen; no more are logged",
                    (client, str(self._limit)),
                )
            else:
                self._seen.add(key)
                message, args = "%s: no endpoint for %s (logged once per path shape)", (client, found)
        log.info(message, *args)
