"""Use cases for libraries: add, list, remove. Only admins change them."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.library import SEEK_PREVIEW_KINDS, Library, LibraryKind
from reelhouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.services.audit import AuditService

MAX_NAME = 100
# How long the list of libraries may be reused: changes made here clear it at once; one made by another
# process (the CLI) shows within this time, as runtime settings do.
LIST_SECONDS = 2.0


def _check_root(raw: str) -> str:
    if not raw or "\x00" in raw:
        raise InvalidInput(f"'{raw}' is not a folder path.", "paths")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        # stat() raises for names the system cannot even look up (too long, a loop of links).
        exists, is_dir = path.exists(), path.is_dir()
        readable = os.access(path, os.R_OK | os.X_OK)
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or "cannot be looked up"
        raise InvalidInput(f"Folder {str(path)[:200]} cannot be used: {reason}.", "paths") from None
    if not exists:
        raise InvalidInput(f"Folder {path} does not exist.", "paths")
    if not is_dir:
        raise InvalidInput(f"{path} is not a folder.", "paths")
    if not readable:
        raise InvalidInput(f"Folder {path} cannot be read.", "paths")
    return str(resolved)


# The folder of the data directory the demo library is generated in on the first start.
DEMO_FOLDER = "demo"


def _contains(outer: str, inner: str) -> bool:
    return inner.startswith(outer.rstrip(os.sep) + os.sep)


class LibraryService:
    def __init__(
        self, db: Database, repo: LibraryRepository, audit: AuditService, data_dir: Path | None = None
    ) -> None:
        self._db = db
        self._repo = repo
        self._audit = audit
        self._data_dir = str(data_dir.resolve()) if data_dir is not None else None
        # Every client-app listing starts from the libraries the caller sees; reading them (a transaction and
        # two statements) was a tenth of a Jellyfin page. Who may see which is still decided on every call.
        self._listed: tuple[float, list[Library]] | None = None
        self._generation = 0
        self._list_lock = threading.Lock()

    def _changed(self) -> None:
        """After a change here commits: a list read before it is neither used nor kept."""
        with self._list_lock:
            self._generation += 1
            self._listed = None

    def changed_elsewhere(self) -> None:
        """Another web node changed the libraries (services/cluster.py): read them again."""
        self._changed()

    def _all(self) -> list[Library]:
        with self._list_lock:
            listed, generation = self._listed, self._generation
        if listed is not None and listed[0] > time.monotonic():
            return listed[1]
        with self._db.read() as conn:
            libraries = self._repo.list(conn)
        with self._list_lock:
            if generation == self._generation:
                self._listed = (time.monotonic() + LIST_SECONDS, libraries)
        return libraries

    def _outside_data(self, root: str) -> str:
        """A library folder that holds the server's data directory, or lies inside it, would offer the database
        and the keys to the scanner and, through any link or mix-up, to viewers: refused."""
        data = self._data_dir
        # The one exception inside it: the demo library the first start generates, which holds only its media.
        demo = os.path.join(data, DEMO_FOLDER) if data is not None else None
        inside = (
            data is not None and _contains(data, root) and not (demo is not None and _contains(demo, root))
        )
        if data is not None and (root == data or _contains(root, data) or inside):
            raise InvalidInput(
                f"Folder {root} holds or lies inside the server's data folder ({data}); choose another folder.",
                "paths",
            )
        return root

    def add(
        self, actor: Actor, name: str, kind: str, paths: list[str], seek_previews: bool | None = None
    ) -> Library:
        """``seek_previews`` None takes the kind's default: on for films, shows and home videos."""
        if not can(actor, Action.MANAGE_LIBRARIES):
            raise PermissionDenied("Only admins can add libraries.")
        name = name.strip()
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            raise InvalidInput("A library needs a name of 1 to 100 characters.", "name")
        try:
            library_kind = LibraryKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in LibraryKind)
            raise InvalidInput(f"Unknown library kind '{kind}'; use one of {kinds}.", "kind") from None
        if not paths:
            raise InvalidInput("A library needs at least one folder.", "paths")
        roots = list(dict.fromkeys(self._outside_data(_check_root(p)) for p in paths))
        with self._db.begin() as conn:
            if self._repo.find_by_name(conn, name) is not None:
                raise Conflict(f"A library named '{name}' already exists.")
            previews = library_kind in SEEK_PREVIEW_KINDS if seek_previews is None else seek_previews
            library = self._repo.add(conn, name, library_kind, roots, previews)
            self._audit.record(
                conn,
                actor,
                "library.add",
                library.id,
                {"name": name, "kind": kind, "roots": roots, "seek_previews": previews},
            )
        self._changed()
        return library

    def set_seek_previews(self, actor: Actor, library_id: str, enabled: bool) -> Library:
        """Turn the making of seek previews on or off; previews already made stay until they are replaced."""
        if not can(actor, Action.MANAGE_LIBRARIES):
            raise PermissionDenied("Only admins can change libraries.")
        with self._db.begin() as conn:
            if self._repo.get(conn, library_id) is None:
                raise NotFound("No such library.")
            self._repo.set_seek_previews(conn, library_id, enabled)
            self._audit.record(conn, actor, "library.update", library_id, {"seek_previews": enabled})
            library = self._repo.get(conn, library_id)
        self._changed()
        assert library is not None
        return library

    def visible(self, actor: Actor) -> list[Library]:
        return [lib for lib in self._all() if can(actor, Action.BROWSE, lib.id)]

    def music_ids(self) -> frozenset[str]:
        """Every music library's id, whoever may see it: what a music app's key is narrowed to on each of its
        requests (MusicAppService), from the same list as ``visible``, so a library added, removed or changed
        here reaches the next request at once."""
        return frozenset(str(lib.id) for lib in self._all() if lib.kind is LibraryKind.MUSIC)

    def get(self, actor: Actor, library_id: str) -> Library:
        with self._db.read() as conn:
            library = self._repo.get(conn, library_id)
        if library is None or not can(actor, Action.BROWSE, library.id):
            raise NotFound("No such library.")
        return library

    def find(self, actor: Actor, name_or_id: str) -> Library:
        with self._db.read() as conn:
            library = self._repo.get(conn, name_or_id) or self._repo.find_by_name(conn, name_or_id)
        if library is None or not can(actor, Action.BROWSE, library.id):
            raise NotFound(f"No library called '{name_or_id}'.")
        return library

    def remove(self, actor: Actor, library_id: str) -> None:
        if not can(actor, Action.MANAGE_LIBRARIES):
            raise PermissionDenied("Only admins can remove libraries.")
        with self._db.begin() as conn:
            library = self._repo.get(conn, library_id)
            if library is None:
                raise NotFound("No such library.")
            self._repo.remove(conn, library_id)
            self._audit.record(conn, actor, "library.remove", library_id, {"name": library.name})
        self._changed()

    def all_for_system(self) -> list[Library]:
        """For the scanner's schedule and watcher, which act for the server, not for a viewer."""
        with self._db.read() as conn:
            return self._repo.list(conn)
