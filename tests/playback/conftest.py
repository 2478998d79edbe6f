"""A real server with a scanned movie library of generated media, and callers of several kinds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelhouse.domain.access import system_actor
from tests.harness import Client, RunningServer
from tests.playback import media


@pytest.fixture(scope="session")
def masters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("playback-masters")
    media.h264_mp4(folder / "direct.mp4")
    media.hevc_ac3_mkv(folder / "hevc.mkv")
    return folder


@dataclass
class Stage:
    server: RunningServer
    root: Path
    items: dict[str, str]  # file name → item id
    library_id: str

    def owner(self) -> Client:
        return self.server.owner()

    def member(self, name: str = "alice") -> Client:
        self.server.create_user(name)
        return self.server.sign_in(name)


@pytest.fixture
def stage(tmp_path: Path, masters: Path) -> Iterator[Stage]:
    yield from _stage(tmp_path, masters, https=False)


@pytest.fixture
def tls_stage(tmp_path: Path, masters: Path) -> Iterator[Stage]:
    """The same, with the HTTPS listener open too: remote peers are served only over HTTPS."""
    yield from _stage(tmp_path, masters, https=True)


def _stage(tmp_path: Path, masters: Path, https: bool) -> Iterator[Stage]:
    root = tmp_path / "movies"
    for name in ("direct.mp4", "hevc.mkv"):
        target = root / Path(name).stem / name
        target.parent.mkdir(parents=True)
        target.write_bytes((masters / name).read_bytes())
    (root / "direct" / "direct.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,500\nHello <b>there</b> & welcome\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n",
        encoding="utf-8",
    )
    server = RunningServer(tmp_path / "data", https=https)
    try:
        services = server.server.services
        library = services.libraries.add(system_actor("test"), "Movies", "movies", [str(root)])
        server.server.scanner.scan(library)
        items: dict[str, str] = {}
        for row in services.catalogue.search(system_actor("test"), "direct") + services.catalogue.search(
            system_actor("test"), "hevc"
        ):
            detail = services.catalogue.item(system_actor("test"), row.id)
            for f in detail.files:
                items[Path(f.path).name] = row.id
        assert set(items) == {"direct.mp4", "hevc.mkv"}, items
        yield Stage(server, root, items, library.id)
    finally:
        server.stop()


def set_user(stage: Stage, username: str, disabled: bool | None = None, **grants: object) -> None:
    """Change a user's grants or disabled flag in place, as an admin's edit would."""
    import json

    from sqlalchemy import select, update

    from reelhouse.persistence.schema import users

    db = stage.server.server.db
    with db.begin() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).one()
        values: dict[str, object] = {"grants": json.dumps({**json.loads(row.grants or "{}"), **grants})}
        if disabled is not None:
            values["disabled"] = disabled
        conn.execute(update(users).where(users.c.id == row.id).values(**values))


def grant_for(
    stage: Stage, item_id: str, username: str = "alice", purpose: str = "stream", seconds: int = 3600
) -> str:
    """A real media grant for a signed-in user, bound to their newest session, as the playback route issues."""
    from sqlalchemy import select

    from reelhouse.persistence.accounts import AccountRepository
    from reelhouse.persistence.schema import users

    with stage.server.server.db.read() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        session = AccountRepository().tokens_of(conn, user_id)[0].id
    return stage.server.server.services.media.grants.issue(item_id, user_id, purpose, session, seconds)
