"""`reelhouse audit` names the first broken point and explains a restored backup; `reelhouse backup` is private."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

from tests.cli.test_cli import reelhouse


def _sql(data_dir: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / "reelhouse.db") as conn:
        rows = list(conn.execute(statement, params))
        conn.commit()
    return rows


def _changes(data_dir: Path, *names: str) -> None:
    for name in names:
        assert reelhouse(data_dir, "settings", "set", f"server_name={name}").returncode == 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_writes_private_files_in_a_private_folder(tmp_path: Path) -> None:
    _changes(tmp_path / "d", "Den")
    result = reelhouse(tmp_path / "d", "backup", str(tmp_path / "bk"))
    assert result.returncode == 0, result.stderr
    assert _mode(tmp_path / "bk") == 0o700
    assert _mode(tmp_path / "bk" / "reelhouse.db") == 0o600
    assert _mode(tmp_path / "bk" / "settings.json") == 0o600


def test_backup_into_a_shared_folder_makes_it_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    result = reelhouse(tmp_path / "d", "backup", str(shared))
    assert result.returncode == 0, result.stderr
    assert _mode(shared) == 0o700 and "private" in result.stdout


def test_audit_names_a_deleted_last_entry(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _changes(data, "One", "Two", "Three")
    last = _sql(data, "SELECT max(seq) FROM audit_log")[0][0]
    _sql(data, "DELETE FROM audit_log WHERE seq = ?", last)
    result = reelhouse(data, "audit")
    assert result.returncode == 1
    assert f"hash chain broken at seq {last}: entries {last} to {last} are missing" in result.stdout


def test_audit_names_a_deleted_first_entry(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _changes(data, "One", "Two", "Three")
    _sql(data, "DELETE FROM audit_log WHERE seq = 1")
    result = reelhouse(data, "audit")
    assert result.returncode == 1 and "hash chain broken at seq 2" in result.stdout


def _restore(backup: Path, data: Path) -> None:
    for leftover in data.glob("reelhouse.db*"):
        leftover.unlink()
    shutil.copy(backup / "reelhouse.db", data / "reelhouse.db")


def test_a_restored_backup_is_explained_not_reported_broken(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _changes(data, "One", "Two")
    assert reelhouse(data, "backup", str(tmp_path / "bk")).returncode == 0
    _changes(data, "Three", "Four")
    _restore(tmp_path / "bk", data)
    result = reelhouse(data, "audit")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the database is older than the last recorded head" in result.stdout
    assert "restored from a backup?" in result.stdout and "broken" not in result.stdout
    # Changes made before anyone looks do not turn the explanation into an alarm, nor erase it.
    _changes(data, "Five", "Six", "Seven")
    assert reelhouse(data, "audit").returncode == 3


def test_accepting_a_restored_backup_continues_the_chain(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _changes(data, "One")
    assert reelhouse(data, "backup", str(tmp_path / "bk")).returncode == 0
    _changes(data, "Two")
    _restore(tmp_path / "bk", data)
    accepted = reelhouse(data, "audit", "--accept-restore")
    assert accepted.returncode == 0 and "audit.restore_accepted" in accepted.stdout
    _changes(data, "Three")
    last = _sql(data, "SELECT max(seq) FROM audit_log")[0][0]
    _sql(data, "DELETE FROM audit_log WHERE seq = ?", last)
    # Once accepted, the old backup entry no longer excuses a truncated log.
    assert reelhouse(data, "audit").returncode == 1


def test_accepting_a_restore_when_nothing_was_restored_is_refused(tmp_path: Path) -> None:
    _changes(tmp_path / "d", "One")
    result = reelhouse(tmp_path / "d", "audit", "--accept-restore")
    assert result.returncode == 1 and "not a restored backup" in result.stderr


def _legacy_hash(prev_hash: str, at: float, actor_id: str | None, action: str, detail: str) -> str:
    # The hash written before migration 0007 (target is NULL in these rows).
    material = json.dumps([prev_hash, repr(at), actor_id, action, None, detail], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _make_legacy_log(data: Path) -> list[str]:
    """A database as the previous version left it: revision 0006, an old-format log, no head file."""
    _changes(data, "Den")
    _sql(data, "DELETE FROM audit_log")
    (data / "audit-head.json").unlink()
    prev, hashes = "0" * 64, []
    for seq in (1, 2, 3):
        at, detail = 1_700_000_000.0 + seq, json.dumps({"n": seq})
        prev = _legacy_hash(prev, at, "u1", "settings.change", detail)
        _sql(
            data,
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, target, detail, address, "
            "prev_hash, hash) VALUES (?, ?, 'u1', 'ann', 'settings.change', NULL, ?, NULL, ?, ?)",
            seq,
            at,
            detail,
            hashes[-1] if hashes else "0" * 64,
            prev,
        )
        hashes.append(prev)
    _sql(data, "UPDATE alembic_version SET version_num = '0006'")
    return hashes


def test_migration_0007_starts_the_new_chain_with_a_checkpoint_and_rehashes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "d"
    hashes = _make_legacy_log(data)
    result = reelhouse(data, "audit")
    assert result.returncode == 0 and "intact" in result.stdout, result.stdout + result.stderr
    assert [h for (h,) in _sql(data, "SELECT hash FROM audit_log WHERE seq <= 3 ORDER BY seq")] == hashes
    action, detail = _sql(data, "SELECT action, detail FROM audit_log WHERE seq = 4")[0]
    assert action == "audit.checkpoint"
    assert json.loads(detail) == {"kind": "format", "through": 3, "hash": hashes[2]}
    _changes(data, "After")
    assert reelhouse(data, "audit").returncode == 0


def test_old_format_entries_are_still_checked_after_migration(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _make_legacy_log(data)
    assert reelhouse(data, "audit").returncode == 0
    _sql(data, "UPDATE audit_log SET detail = '{\"n\": 9}' WHERE seq = 2")
    result = reelhouse(data, "audit")
    assert result.returncode == 1 and "hash chain broken at seq 2" in result.stdout


def test_deleting_every_old_format_entry_breaks_the_chain(tmp_path: Path) -> None:
    data = tmp_path / "d"
    _make_legacy_log(data)
    assert reelhouse(data, "audit").returncode == 0
    _sql(data, "DELETE FROM audit_log WHERE seq <= 3")
    result = reelhouse(data, "audit")
    assert result.returncode == 1 and "hash chain broken at seq 4" in result.stdout
