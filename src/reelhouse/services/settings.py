"""Runtime settings: read, validated batch changes (all or nothing), audited, applied live."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from reelhouse.domain import settings as registry
from reelhouse.domain.access import OTHERS_SIGN_IN, Action, Actor, can, signed_in_with_password
from reelhouse.errors import PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.persistence.settings import SettingsRepository
from reelhouse.services.audit import AuditService

Listener = Callable[[dict[str, Any], dict[str, Any]], None]


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class SettingsService:
    def __init__(self, db: Database, repo: SettingsRepository, audit: AuditService) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._values = self._stored()

    def _stored(self) -> dict[str, Any]:
        with self._db.read() as conn:
            stored = self._repo.load(conn)
        values = registry.defaults()
        for name, value in stored.items():
            if name in registry.BY_NAME:
                values[name] = registry.BY_NAME[name].parse(value)
        return values

    def reload(self) -> bool:
        """Pick up what another process (the CLI) saved; listeners hear of it as of any other change."""
        values = self._stored()
        with self._lock:
            if values == self._values:
                return False
            before, self._values = self._values, values
        for listener in self._listeners:
            listener(before, values)
        return True

    @property
    def values(self) -> dict[str, Any]:
        """A snapshot; hot paths (the network gate) read this without touching the database."""
        return self._values

    def get(self, name: str) -> Any:
        return self._values[name]

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def apply(
        self,
        actor: Actor,
        changes: dict[str, Any],
        address: str | None = None,
        via: dict[str, Any] | None = None,
        within: Callable[[Connection], None] | None = None,
    ) -> dict[str, Any]:
        """``via``: how the change arrived, when not from this server's own page (a linked server's signed
        request), kept in the audit entry. ``within`` runs in the same transaction as the change, even when
        nothing changed (a linked server's idempotency key commits with what it did)."""
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can change server settings.")
        with self._lock:
            parsed = registry.validate_batch(self._values, changes)
            changed = {k: v for k, v in parsed.items() if self._values[k] != v}
            if registry.SIGN_IN_SETTINGS & changed.keys() and not signed_in_with_password(actor):
                # Whether admins need a second factor is their account security: not an API token's to change.
                raise PermissionDenied(OTHERS_SIGN_IN)
            if not changed:
                if within is not None:
                    with self._db.begin() as conn:
                        within(conn)
                return self._values
            detail: dict[str, Any] = {
                k: {"before": _jsonable(self._values[k]), "after": _jsonable(v)} for k, v in changed.items()
            }
            if via is not None:
                detail["via_link"] = via
            with self._db.begin() as conn:
                self._repo.save(conn, {k: _jsonable(v) for k, v in changed.items()}, actor.user_id)
                self._audit.record(conn, actor, "settings.change", None, detail, address)
                if within is not None:
                    within(conn)
            before = self._values
            self._values = {**before, **changed}
        for listener in self._listeners:
            listener(before, self._values)
        return self._values
