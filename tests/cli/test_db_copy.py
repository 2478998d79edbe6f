"""`reelhouse db copy`: a real, used installation moves to a fresh SQLite file and to PostgreSQL with nothing
lost, the source untouched, the audit chain and head still verifying, and every refusal a clean error."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, insert, select, text, update

from reelhouse.domain.access import Role
from reelhouse.persistence.copying import CopyMismatch, CopyRefused, copy_database, read_only_sqlite, verify
from reelhouse.persistence.database import Database
from reelhouse.persistence.peer_schema import peer_denied_keys, peer_links
from reelhouse.persistence.schema import audit_log, items, metadata, scan_errors
from reelhouse.services.listener_record import write_record
from tests.cli.test_cli import reelhouse
from tests.harness import Client, RunningServer
from tests.mediagen import MediaKit
from tests.postgres import PostgresServer
from tests.verification.conftest import wait_for_scan


@dataclass
class Installation:
    data: Path
    owner_token: str
    libraries: list[str]
    # What the owner's token saw before the copy: each library's items and a search.
    seen: dict[str, Any]

    @property
    def db(self) -> Path:
        return self.data / "reelhouse.db"


def _catalogue(client: Client, libraries: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for library_id in libraries:
        answer = client.get(f"/api/libraries/{library_id}/items?limit=100")
        assert answer.status == 200, answer.body
        seen[library_id] = answer.json()
    seen["search"] = client.get("/api/search?q=ferne").json()
    seen["playlists"] = client.get("/api/playlists").json()
    return seen


def _populate(base: Path, media: MediaKit) -> Installation:
    music, movies = base / "music", base / "movies"
    for number, title in ((1, "Ferne Küste"), (2, "Ferner Hafen")):
        media.audio_at(music / f"{number:02}.mp3", title=title, artist="Ærtist", album="Nord ☃", track=number)
    media.video_at(movies / "Dune Sea (2001)" / "Dune Sea (2001).mp4")
    # SQLite named outright: the source is one even when the suite runs with --database=postgresql.
    server = RunningServer(base / "data", database_url=f"sqlite:///{base / 'data' / 'reelhouse.db'}")
    try:
        owner = server.owner()
        server.create_user("member1", Role.MEMBER)
        member = server.sign_in("member1")
        libraries = []
        for kind, folder in (("music", music), ("movies", movies)):
            answer = owner.post(
                "/api/libraries", {"name": kind.title(), "kind": kind, "paths": [str(folder)]}
            )
            assert answer.status == 201, answer.body
            libraries.append(answer.json()["id"])
            wait_for_scan(owner, libraries[-1])
        tracks = [i["id"] for i in owner.get("/api/search?q=ferne").json()]
        assert len(tracks) == 2
        assert owner.post("/api/playlists", {"name": "Küste", "item_ids": tracks}).status in (200, 201)
        assert (
            owner.request(
                "PUT", f"/api/items/{tracks[0]}/playstate", {"position": 0.25, "duration": 1.0}
            ).status
            == 200
        )
        assert member.request("PUT", f"/api/items/{tracks[1]}/favourite", {"favourite": True}).status == 200
        made = owner.post("/api/account/tokens", {"name": "script", "scopes": ["read"], "days": 30})
        assert made.status in (200, 201), made.body
        assert owner.request("PATCH", "/api/settings", {"values": {"server_name": "Den ☃"}}).status == 200
        seen = _catalogue(Client(server.port, token=made.json()["token"]), libraries)
    finally:
        server.stop()
        server.server.close()
    source = Database(f"sqlite:///{base / 'data' / 'reelhouse.db'}")
    try:
        with source.begin() as conn:
            # A linked server, an ended key, errors with ids from a sequence, and a child whose id sorts before
            # its parent's (the copy must insert parents first).
            conn.execute(insert(peer_links), [_link()])
            # "B…" before "a…" in byte order, after it in most locales' (the checksum reads both in byte order).
            conn.execute(
                insert(peer_denied_keys),
                [
                    {"fingerprint": key * 52, "server_id": "s" * 32, "reason": "unlinked", "denied_at": 1.1e9}
                    for key in ("a", "B")
                ],
            )
            conn.execute(
                insert(scan_errors),
                [
                    {"library_id": libraries[0], "path": f"/x/{n}", "reason": "é", "at": -0.0}
                    for n in range(3)
                ],
            )
            conn.execute(
                insert(items), [_item("z" * 32, None, libraries[1]), _item("0" * 32, "z" * 32, libraries[1])]
            )
    finally:
        source.close()
    return Installation(base / "data", made.json()["token"], libraries, seen)


def _link() -> dict[str, Any]:
    return {
        "id": "l" * 32, "fingerprint": "A" * 52, "server_id": "p" * 32, "name": "Ferienhaus ☃", "spki": "MCow",
        "addresses": '["192.0.2.7:8097"]', "scopes_to_peer": '["browse"]', "scopes_from_peer": "[]",
        "state": "active", "role": "dialed", "paired_at": 1733475123.123456789, "paired_by": None,
        "last_seen": None, "last_status": '{"ok": true}', "skew_ms": -1250, "proto": 1, "revocation_seq": 4,
    }  # fmt: skip


def _item(item_id: str, parent: str | None, library_id: str) -> dict[str, Any]:
    return {
        "id": item_id, "library_id": library_id, "kind": "show" if parent is None else "season",
        "parent_id": parent, "top_id": "z" * 32, "title": "Hidden Show", "sort_title": "hidden show",
        "label_mask": 0, "added_at": 1.5, "updated_at": 2.5, "missing": True, "extra": "{}",
    }  # fmt: skip


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, media_kit: MediaKit) -> Installation:
    return _populate(tmp_path_factory.mktemp("installation"), media_kit)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checks(installation: Installation, url: str) -> dict[str, tuple[int, bool]]:
    target = Database(url)
    try:
        with read_only_sqlite(installation.db) as source, target.read() as conn:
            return {c.name: (c.target_rows, c.matches) for c in verify(source, conn)}
    finally:
        target.close()


def _copy(installation: Installation, url: str) -> subprocess.CompletedProcess[str]:
    source = {"REELHOUSE_DATABASE_URL": f"sqlite:///{installation.db}"}
    return reelhouse(installation.data, "db", "copy", "--to", url, env=source)


def _serves_the_same(installation: Installation, url: str) -> None:
    """The same data folder on the copy: the token made before the copy sees what it saw, and the member's
    password still signs in."""
    server = RunningServer(installation.data, database_url=url)
    try:
        assert (
            _catalogue(Client(server.port, token=installation.owner_token), installation.libraries)
            == installation.seen
        )
        server.sign_in("member1")
    finally:
        server.stop()
        server.server.close()


def _copies_everything(shared: Installation, url: str, tmp_path: Path) -> None:
    # A data folder of its own: serving the copy signs in, which moves the audit head file past the source.
    installation = replace(shared, data=tmp_path / "data")
    shutil.copytree(shared.data, installation.data)
    before = _sha256(installation.db)
    done = _copy(installation, url)
    assert done.returncode == 0, done.stderr
    assert "every count and checksum matches" in done.stdout and "audit_log" in done.stdout
    assert _sha256(installation.db) == before, "the source was written"
    checks = _checks(installation, url)
    assert set(checks) == set(metadata.tables)
    assert all(same for _, same in checks.values()), checks
    for name in (
        "users",
        "auth_tokens",
        "items",
        "media_files",
        "playlists",
        "play_state",
        "audit_log",
        "peer_links",
    ):
        assert checks[name][0] > 0, name
    # The head file the source's server wrote beside grant.key names the copy's newest entry, and verifies.
    head = json.loads((installation.data / "audit-head.json").read_text(encoding="utf-8"))
    target = Database(url)
    try:
        with target.read() as conn:
            newest = conn.execute(
                select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc())
            ).first()
    finally:
        target.close()
    assert newest is not None and (head["seq"], head["hash"]) == (newest.seq, newest.hash)
    audit = reelhouse(installation.data, "audit", env={"REELHOUSE_DATABASE_URL": url})
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.strip().splitlines()[-1] == "hash chain: intact", audit.stdout
    _serves_the_same(installation, url)


def test_a_copy_to_a_fresh_sqlite_file_keeps_every_row_and_verifies(
    installation: Installation, tmp_path: Path
) -> None:
    _copies_everything(installation, f"sqlite:///{tmp_path / 'copy.db'}", tmp_path)


def test_a_copy_to_postgresql_keeps_every_row_and_verifies(
    installation: Installation, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    # A database whose text order is a locale's, not bytes: the copy must still compare rows pairwise.
    with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE copy_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
    url = postgres_server.url("copy_icu")
    target = Database(url)
    try:
        _copies_everything(installation, url, tmp_path)
        # The copied ids moved the sequence on: the next error gets an id of its own.
        with target.begin() as conn:
            conn.execute(
                insert(scan_errors).values(
                    library_id=installation.libraries[0], path="/new", reason="r", at=1.0
                )
            )
            assert conn.execute(select(func.count()).select_from(scan_errors)).scalar() == 4
    finally:
        target.close()
        postgres_server.drop("copy_icu")


def test_a_target_that_is_not_empty_is_refused_and_left_alone(
    installation: Installation, postgres_url: str
) -> None:
    url = postgres_url
    target = Database(url)
    try:
        with target.begin() as conn:
            conn.execute(text("INSERT INTO setup_codes (code_hash, created_at) VALUES ('x', 1)"))
        done = _copy(installation, url)
        assert done.returncode == 1 and "not empty" in done.stderr and "setup_codes" in done.stderr, (
            done.stderr
        )
        with target.read() as conn:
            assert conn.execute(select(func.count()).select_from(metadata.tables["users"])).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM setup_codes")).scalar() == 1
    finally:
        target.close()


def test_a_checksum_mismatch_rolls_the_whole_copy_back(installation: Installation, tmp_path: Path) -> None:
    def corrupt(table: Any, batch: list[dict[str, Any]]) -> None:
        if table.name == "audit_log":
            batch[0]["detail"] = batch[0]["detail"] + " "

    target = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        with read_only_sqlite(installation.db) as source:
            with pytest.raises(CopyMismatch) as raised:
                copy_database(source, target, on_batch=corrupt)
        assert [c.name for c in raised.value.tables if not c.matches] == ["audit_log"]
        with target.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'table'")).scalar() == 0
    finally:
        target.close()


def test_the_checksum_sees_a_float_a_boolean_and_a_text_changed_after_the_copy(
    installation: Installation, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    target = Database(url)
    try:
        with read_only_sqlite(installation.db) as source:
            copy_database(source, target)
        changes = [
            update(peer_links).values(paired_at=peer_links.c.paired_at + 1e-6),
            update(items).where(items.c.id == "0" * 32).values(missing=False),
            update(peer_denied_keys).values(reason="unlinked "),
        ]
        for change in changes:
            with target.begin() as conn:
                conn.execute(change)
        differ = sorted(name for name, (_, same) in _checks(installation, url).items() if not same)
        assert differ == ["items", "peer_denied_keys", "peer_links"]
    finally:
        target.close()


def test_bad_urls_and_an_unreachable_server_are_one_error_line(installation: Installation) -> None:
    for url, said in (
        ("not a url", "not a database URL"),
        ("mysql://u@127.0.0.1/x", "PostgreSQL or SQLite"),
        ("postgresql://u:hunter2secret@127.0.0.1:1/x", "cannot reach the target database"),
    ):
        done = _copy(installation, url)
        assert done.returncode == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr + done.stdout and "hunter2secret" not in done.stderr


def test_a_running_server_is_refused(installation: Installation, tmp_path: Path) -> None:
    # A process whose command line reads like `reelhouse serve`, named by the data folder's listener record.
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "reelhouse", "serve"])
    try:
        record = write_record(installation.data, [], pid=stand_in.pid)
        done = _copy(installation, f"sqlite:///{tmp_path / 'copy.db'}")
        assert done.returncode == 1 and "stop it first" in done.stderr, done.stderr
        assert not (tmp_path / "copy.db").exists()
    finally:
        stand_in.kill()
        stand_in.wait()
        record.unlink()


def test_a_source_with_a_table_or_column_the_schema_lacks_is_refused(
    installation: Installation, tmp_path: Path
) -> None:
    own = tmp_path / "own.db"
    shutil.copyfile(installation.db, own)
    for statement, named in (
        ("ALTER TABLE users ADD COLUMN nickname TEXT", "users.nickname"),
        ("CREATE TABLE notes (body TEXT)", "notes"),
    ):
        with sqlite3.connect(own) as conn:
            conn.execute(statement)
        target = Database(f"sqlite:///{tmp_path / 'copy.db'}")
        try:
            with read_only_sqlite(own) as source, pytest.raises(CopyRefused, match=named):
                copy_database(source, target)
        finally:
            target.close()
        assert not (tmp_path / "copy.db").exists() or _tables(tmp_path / "copy.db") == 0


def _tables(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
