"""The CLI: clear error lines and non-zero exits for bad input; verbs that do what they say."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_kit import run_verb, run_verb_process, verb_env


def reelhouse(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The verb run in this process (tests/cli_kit.py); `reelhouse_process` runs it as its own process."""
    return run_verb([*args, "--data-dir", str(data_dir)], verb_env(data_dir, extra=env), stdin)


def reelhouse_process(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_verb_process([*args, "--data-dir", str(data_dir)], verb_env(data_dir, extra=env), stdin)


def test_library_add_list_remove(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    added = reelhouse(tmp_path / "d", "library", "add", "--name", "Films", "--kind", "movies", str(media))
    assert added.returncode == 0, added.stderr
    listed = reelhouse(tmp_path / "d", "library", "list")
    assert "Films" in listed.stdout and str(media) in listed.stdout
    assert reelhouse(tmp_path / "d", "library", "remove", "Films").returncode == 0
    assert "Films" not in reelhouse(tmp_path / "d", "library", "list").stdout


def test_library_add_with_missing_folder_is_one_error_line(tmp_path: Path) -> None:
    result = reelhouse_process(
        tmp_path / "d", "library", "add", "--name", "X", "--kind", "movies", str(tmp_path / "nope")
    )
    assert result.returncode != 0
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_library_add_with_unknown_kind_fails_cleanly(tmp_path: Path) -> None:
    result = reelhouse(tmp_path / "d", "library", "add", "--name", "X", "--kind", "comics", str(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_duplicate_library_name_is_refused(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    assert (
        reelhouse(tmp_path / "d", "library", "add", "--name", "X", "--kind", "music", str(music)).returncode
        == 0
    )
    again = reelhouse(tmp_path / "d", "library", "add", "--name", "x", "--kind", "music", str(music))
    assert again.returncode != 0 and "already exists" in again.stderr


def test_a_library_folder_holding_or_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    (data / "inside").mkdir(parents=True)
    for folder in (tmp_path, data, data / "inside"):
        result = reelhouse(data, "library", "add", "--name", "X", "--kind", "music", str(folder))
        assert result.returncode != 0, folder
        assert "data folder" in result.stderr and "Traceback" not in result.stderr
    listed = reelhouse(data, "library", "list")
    assert listed.returncode == 0 and "X" not in listed.stdout


def test_unknown_environment_variable_is_one_error_line(tmp_path: Path) -> None:
    result = reelhouse_process(tmp_path / "d", "library", "list", env={"REELHOUSE_PROT": "1"})
    assert result.returncode != 0
    assert "did you mean 'port'" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_set_is_all_or_nothing_and_lists_every_problem(tmp_path: Path) -> None:
    result = reelhouse(
        tmp_path / "d", "settings", "set", "server_name=Den", "max_transcodes=lots", "nosuch=1"
    )
    assert result.returncode != 0
    assert "max_transcodes" in result.stdout and "nosuch" in result.stdout
    assert "Den" not in reelhouse(tmp_path / "d", "settings", "show").stdout
    assert reelhouse(tmp_path / "d", "settings", "set", "server_name=Den").returncode == 0
    assert "Den" in reelhouse(tmp_path / "d", "settings", "show").stdout


def test_user_create_reads_password_from_stdin_and_refuses_a_second_owner(tmp_path: Path) -> None:
    first = reelhouse(
        tmp_path / "d", "user", "create", "alice", "--owner", "--password-stdin", stdin="a long passphrase\n"
    )
    assert first.returncode == 0, first.stderr
    second = reelhouse(
        tmp_path / "d", "user", "create", "bob", "--owner", "--password-stdin", stdin="a long passphrase\n"
    )
    assert second.returncode != 0 and "owner" in second.stderr


def test_weak_password_is_refused(tmp_path: Path) -> None:
    result = reelhouse_process(tmp_path / "d", "user", "create", "alice", "--password-stdin", stdin="short\n")
    assert result.returncode != 0 and "10 characters" in result.stderr


def test_backup_writes_a_whole_database_and_settings(tmp_path: Path) -> None:
    assert reelhouse(tmp_path / "d", "settings", "set", "server_name=Den").returncode == 0
    result = reelhouse(tmp_path / "d", "backup", str(tmp_path / "bk"))
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(tmp_path / "bk" / "reelhouse.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert json.loads((tmp_path / "bk" / "settings.json").read_text())["server_name"] == "Den"


def test_doctor_reports_ffmpeg_and_database(tmp_path: Path) -> None:
    result = reelhouse(tmp_path / "d", "doctor")
    assert result.returncode == 0, result.stderr
    assert "ffmpeg" in result.stdout and "integrity" in result.stdout and "ok" in result.stdout


def test_audit_shows_changes_and_an_intact_chain(tmp_path: Path) -> None:
    reelhouse(tmp_path / "d", "settings", "set", "server_name=Den")
    result = reelhouse(tmp_path / "d", "audit")
    assert result.returncode == 0
    assert "settings.change" in result.stdout and "intact" in result.stdout


@pytest.mark.parametrize("verb", [["scan"], ["scan", "--library", "nope"]])
def test_scan_without_libraries_fails_clearly(tmp_path: Path, verb: list[str]) -> None:
    result = reelhouse(tmp_path / "d", *verb)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_the_command_line_loads_the_server_only_in_the_verbs_that_build_it() -> None:
    # Every `reelhouse` process pays for what the command line imports before its verb runs: the server's import
    # graph (the app, the database layer, SQLAlchemy) is over a second; `--help` and `worker` need none of it.
    heavy = ("reelhouse.app", "reelhouse.persistence.database", "sqlalchemy", "asyncio", "celery")
    probe = f"import sys, reelhouse.cli.main; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert loaded.stdout.strip() == "[]"
