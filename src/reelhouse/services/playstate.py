"""Play state: progress reports, resume positions, watched at 90 %, continue watching, next episode."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import InvalidInput, NotFound
from reelhouse.persistence.database import Database
from reelhouse.persistence.playstate import DisplayPreferencesRepository, PlayStateRepository, PlayStateRow

WATCHED_FRACTION = 0.9
MAX_PREFERENCES_BYTES = 64 * 1024


class PlayStateService:
    def __init__(self, db: Database, repo: PlayStateRepository) -> None:
        self._db = db
        self._repo = repo
        self._preferences = DisplayPreferencesRepository()

    def report(
        self, actor: Actor, item_id: str, position: float, duration: float | None = None
    ) -> PlayStateRow:
        """Record where the viewer is; at 90 % or more the item counts as watched and resumes from the start."""
        if not math.isfinite(position) or position < 0:
            raise InvalidInput("position must be a non-negative number of seconds.", "position")
        if duration is not None and (not math.isfinite(duration) or duration <= 0):
            raise InvalidInput("duration must be a positive number of seconds.", "duration")
        with self._db.begin() as conn:
            found = self._repo.visible_item(conn, actor.scope, item_id)
            if found is None or not can(actor, Action.BROWSE):
                raise NotFound("No such item.")
            known = found[1] or duration
            if known is not None:
                position = min(position, known)
            previous = self._repo.get(conn, actor.scope, item_id)
            watched = known is not None and position >= WATCHED_FRACTION * known
            finished_now = watched and (previous is None or not previous.watched)
            # A finished item resumes from the start; re-watching it later keeps it marked watched.
            still_watched = watched or (previous is not None and previous.watched)
            self._repo.save(
                conn, actor.scope, item_id, 0.0 if watched else position, known, still_watched, finished_now
            )
            saved = self._repo.get(conn, actor.scope, item_id)
        assert saved is not None
        return saved

    def count_play(self, actor: Actor, item_id: str, at: float | None = None) -> PlayStateRow:
        """A listen happened (a music app's scrobble): every one counts, unlike report(), which counts a play
        only when an item becomes watched. The item's album counts it too, so its most-played and recently
        played orders follow what was heard. `at` (when it was heard) is never later than now."""
        now = time.time()
        when = now if at is None else at
        if not math.isfinite(when) or when < 0:
            raise InvalidInput("time must be a moment in the past.", "time")
        when = min(when, now)
        with self._db.begin() as conn:
            found = self._repo.visible_item(conn, actor.scope, item_id)
            if found is None or not can(actor, Action.BROWSE):
                raise NotFound("No such item.")
            self._repo.count_play(conn, actor.scope, item_id, when, finished=True)
            parent = self._repo.parent_of(conn, actor.scope, item_id)
            if parent is not None and self._repo.visible_item(conn, actor.scope, parent) is not None:
                self._repo.count_play(conn, actor.scope, parent, when, finished=False)
            saved = self._repo.get(conn, actor.scope, item_id)
        assert saved is not None
        return saved

    def mark(self, actor: Actor, item_id: str, watched: bool) -> PlayStateRow:
        with self._db.begin() as conn:
            found = self._repo.visible_item(conn, actor.scope, item_id)
            if found is None:
                raise NotFound("No such item.")
            previous = self._repo.get(conn, actor.scope, item_id)
            finished_now = watched and (previous is None or not previous.watched)
            self._repo.save(conn, actor.scope, item_id, 0.0, found[1], watched, finished_now)
            saved = self._repo.get(conn, actor.scope, item_id)
        assert saved is not None
        return saved

    def set_favourite(self, actor: Actor, item_id: str, favourite: bool) -> PlayStateRow:
        """Mark or unmark a favourite (a star, in Subsonic's words) for the viewer alone."""
        return self._save_marks(actor, item_id, favourite_at=time.time() if favourite else None)

    def set_rating(self, actor: Actor, item_id: str, rating: int | None) -> PlayStateRow:
        """The viewer's own rating from 1 to 5; None removes it."""
        if rating is not None and not 1 <= rating <= 5:
            raise InvalidInput("rating must be between 1 and 5.", "rating")
        return self._save_marks(actor, item_id, rating=rating)

    def favourites(self, actor: Actor, limit: int = 500) -> list[PlayStateRow]:
        """The viewer's favourites they can still see, newest first."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000.", "limit")
        with self._db.read() as conn:
            return self._repo.favourites(conn, actor.scope, limit)

    def _save_marks(self, actor: Actor, item_id: str, **marks: float | int | None) -> PlayStateRow:
        with self._db.begin() as conn:
            if self._repo.visible_item(conn, actor.scope, item_id) is None or not can(actor, Action.BROWSE):
                raise NotFound("No such item.")
            self._repo.save_marks(conn, actor.scope, item_id, **marks)
            saved = self._repo.get(conn, actor.scope, item_id)
        assert saved is not None
        return saved

    def state(self, actor: Actor, item_id: str) -> PlayStateRow | None:
        with self._db.read() as conn:
            if self._repo.visible_item(conn, actor.scope, item_id) is None:
                raise NotFound("No such item.")
            return self._repo.get(conn, actor.scope, item_id)

    def continue_watching(self, actor: Actor, limit: int = 20) -> list[PlayStateRow]:
        if not 1 <= limit <= 100:
            raise InvalidInput("limit must be between 1 and 100.", "limit")
        with self._db.read() as conn:
            return self._repo.in_progress(conn, actor.scope, limit)

    def next_episode(self, actor: Actor, item_id: str) -> str | None:
        with self._db.read() as conn:
            if self._repo.visible_item(conn, actor.scope, item_id) is None:
                raise NotFound("No such item.")
            return self._repo.next_episode(conn, actor.scope, item_id)

    def display_preferences(self, actor: Actor, screen: str, client: str) -> dict[str, Any] | None:
        """How this app last laid out one of the viewer's screens, as it saved it; None before it has."""
        _check_preferences_key(screen, client)
        with self._db.read() as conn:
            found = self._preferences.get(conn, actor.user_id, screen, client)
        return None if found is None else dict(json.loads(found))

    def save_display_preferences(self, actor: Actor, screen: str, client: str, prefs: dict[str, Any]) -> None:
        """Kept for the viewer alone, per screen and app; an app's layout, never read by the server."""
        _check_preferences_key(screen, client)
        body = json.dumps(prefs, separators=(",", ":"))
        if len(body) > MAX_PREFERENCES_BYTES:
            raise InvalidInput("Display preferences are limited to 64 KB.", "body")
        with self._db.begin() as conn:
            self._preferences.save(conn, actor.user_id, screen, client, body)

    def playback_languages(self, actor: Actor) -> tuple[str | None, str | None]:
        """The audio and subtitle languages the viewer last chose (None: the file's default audio, and no
        subtitles). Kept beside the apps' display preferences, as this app's own entry for its player."""
        with self._db.read() as conn:
            found = self._preferences.get(conn, actor.user_id, *_LANGUAGES_KEY)
        saved = json.loads(found) if found is not None else {}
        # An app speaking Jellyfin may write any key, this one too: only well-formed languages are read back.
        return _language(saved.get("audio")), _language(saved.get("subtitle"))

    def save_playback_languages(self, actor: Actor, audio: str | None, subtitle: str | None) -> None:
        body = json.dumps({"audio": _language(audio), "subtitle": _language(subtitle)}, separators=(",", ":"))
        with self._db.begin() as conn:
            self._preferences.save(conn, actor.user_id, *_LANGUAGES_KEY, body)


# The display preferences row (screen, client) that holds the web app's remembered playback languages.
_LANGUAGES_KEY = ("playback-languages", "reelhouse")


def _language(value: object) -> str | None:
    if not isinstance(value, str) or not 2 <= len(value) <= 16:
        return None
    if not all(part.isascii() and part.isalnum() for part in value.split("-")):
        return None
    return value


def _check_preferences_key(screen: str, client: str) -> None:
    if not 1 <= len(screen) <= 64:
        raise InvalidInput("A display preferences id is 1 to 64 characters.", "id")
    if len(client) > 128:
        raise InvalidInput("A client name is at most 128 characters.", "client")
