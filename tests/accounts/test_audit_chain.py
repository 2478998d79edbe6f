"""The audit chain covers every stored field, its start (checkpoints) and its end (the head file), over the API."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reelhouse.domain.access import system_actor
from reelhouse.persistence.audit import CHECKPOINT, row_digest
from tests.accounts.conftest import sql
from tests.harness import RunningServer
from tests.postgres import database_env, exec_sql, raw_connection


def _grow(running: RunningServer, count: int = 5) -> None:
    """A log of `count` entries with names, targets and addresses, made through the API."""
    owner = running.owner()
    for n in range(count - 1):
        assert owner.request("PATCH", "/api/settings", {"values": {"server_name": f"Den {n}"}}).status == 200
    # The head file is written on a thread after each commit; the tests read it as a process would later.
    running.server.services.audit.flush_head()


def _chain(running: RunningServer) -> dict[str, Any]:
    answer = running.owner().get("/api/audit?limit=1")
    assert answer.status == 200, answer.body
    chain: dict[str, Any] = answer.json()["chain"]
    return chain


def _chain_now(running: RunningServer) -> dict[str, Any]:
    # Signing in writes audit entries of its own; read the check without adding to the log.
    report = running.server.services.audit.verify()
    return {"state": report.state, "seq": report.seq, "reason": report.reason}


def _rehash(data_dir: Path, from_seq: int) -> None:
    """What an attacker who read the code does after an edit: recompute every hash from there on."""
    with raw_connection(data_dir) as conn:
        rows = list(conn.exec_driver_sql("SELECT * FROM audit_log ORDER BY seq").mappings())
        prev_hash = None
        for row in rows:
            fields = dict(row)
            if fields["seq"] >= from_seq:
                if prev_hash is not None:
                    fields["prev_hash"] = prev_hash
                fields["hash"] = row_digest(type("Row", (), fields))
                exec_sql(
                    conn,
                    "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
                    fields["prev_hash"],
                    fields["hash"],
                    fields["seq"],
                )
            prev_hash = fields["hash"]


def _last_seq(data_dir: Path) -> int:
    return int(sql(data_dir, "SELECT max(seq) FROM audit_log")[0][0])


REWRITES = {
    # A different first character whatever the random id starts with (a fixed 'f' left one id in 16 unchanged).
    "actor_id": "(CASE WHEN substr(actor_id, 1, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(actor_id, 2)",
    "actor_name": "'mallory'",
    "address": "'10.9.9.9'",
    "at": "at + 1",
    "action": "'settings.read'",
    "target": "'nothing'",
    "detail": "'{}'",
    "prev_hash": "'" + "f" * 64 + "'",
}


@pytest.mark.parametrize("column", sorted(REWRITES))
def test_a_rewritten_field_breaks_the_chain_at_that_entry(running: RunningServer, column: str) -> None:
    _grow(running)
    sql(running.data_dir, f"UPDATE audit_log SET {column} = {REWRITES[column]} WHERE seq = 3")
    chain = _chain(running)
    assert (chain["state"], chain["seq"]) == ("broken", 3)
    # A changed previous hash no longer links to the entry before; any other field no longer matches.
    assert ("does not follow entry 2" if column == "prev_hash" else "the entry was changed") in chain[
        "reason"
    ]


def test_a_rewritten_seq_breaks_the_chain(running: RunningServer) -> None:
    _grow(running)
    last = _last_seq(running.data_dir)
    sql(running.data_dir, "UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", last)
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == last + 1


@pytest.mark.parametrize("column", sorted(set(REWRITES) - {"prev_hash"}))
def test_a_rewritten_and_rehashed_field_is_caught_by_the_recorded_head(
    running: RunningServer, column: str
) -> None:
    _grow(running)
    last = _last_seq(running.data_dir)
    sql(running.data_dir, f"UPDATE audit_log SET {column} = {REWRITES[column]} WHERE seq = 3")
    _rehash(running.data_dir, 3)
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == last
    assert "not the one recorded as the head" in chain["reason"]


def test_a_deleted_first_entry_breaks_the_chain(running: RunningServer) -> None:
    _grow(running)
    sql(running.data_dir, "DELETE FROM audit_log WHERE seq = 1")
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == 2
    assert "no checkpoint" in chain["reason"]


def test_a_deleted_middle_entry_breaks_the_chain_even_when_rehashed(running: RunningServer) -> None:
    _grow(running)
    sql(running.data_dir, "DELETE FROM audit_log WHERE seq = 3")
    _rehash(running.data_dir, 4)
    chain = _chain_now(running)
    assert chain == {"state": "broken", "seq": 4, "reason": "entries 3 to 3 are missing"}


def test_a_deleted_last_entry_is_caught_by_the_recorded_head(running: RunningServer) -> None:
    _grow(running)
    last = _last_seq(running.data_dir)
    sql(running.data_dir, "DELETE FROM audit_log WHERE seq = ?", last)
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == last
    assert f"entries {last} to {last} are missing" in chain["reason"]


def test_a_reordered_pair_is_caught_even_when_rehashed(running: RunningServer) -> None:
    _grow(running)
    last = _last_seq(running.data_dir)
    columns = "at, actor_id, actor_name, action, target, detail, address"
    sql(running.data_dir, f"CREATE TABLE swap AS SELECT seq, {columns} FROM audit_log WHERE seq IN (2, 3)")
    for here, there in ((2, 3), (3, 2)):
        assignments = ", ".join(
            f"{c} = (SELECT {c} FROM swap WHERE seq = {there})" for c in columns.split(", ")
        )
        sql(running.data_dir, f"UPDATE audit_log SET {assignments} WHERE seq = {here}")
    _rehash(running.data_dir, 2)
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == last


def test_a_pruned_log_starts_at_a_checkpoint_and_is_intact(running: RunningServer) -> None:
    _grow(running)
    pruned_through = _last_seq(running.data_dir)
    pruned_hash = sql(running.data_dir, "SELECT hash FROM audit_log WHERE seq = ?", pruned_through)[0][0]
    sql(running.data_dir, "UPDATE audit_log SET at = ?", time.time() - 40 * 86400)
    running.server.services.audit.prune(30)
    rows = sql(running.data_dir, "SELECT seq, action, detail FROM audit_log ORDER BY seq")
    assert [(seq, action) for seq, action, _ in rows] == [(pruned_through + 1, CHECKPOINT)]
    assert json.loads(rows[0][2]) == {"kind": "pruned", "through": pruned_through, "hash": pruned_hash}
    _grow(running, 3)
    assert _chain(running) == {"state": "intact", "seq": None, "reason": None}


def test_a_pruned_log_missing_its_oldest_kept_entry_is_broken(running: RunningServer) -> None:
    _grow(running)
    sql(running.data_dir, "UPDATE audit_log SET at = ? WHERE seq <= 2", time.time() - 40 * 86400)
    running.server.services.audit.prune(30)
    sql(running.data_dir, "DELETE FROM audit_log WHERE seq = 3")
    chain = _chain_now(running)
    assert chain["state"] == "broken" and chain["seq"] == 4
    assert "no checkpoint says the entries before it were pruned" in chain["reason"]


def test_the_head_is_a_private_file_that_follows_each_commit(running: RunningServer) -> None:
    _grow(running)
    head = running.data_dir / "audit-head.json"
    assert stat.S_IMODE(head.stat().st_mode) == 0o600
    last = _last_seq(running.data_dir)
    last_hash = sql(running.data_dir, "SELECT hash FROM audit_log WHERE seq = ?", last)[0][0]
    assert json.loads(head.read_text()) == {"seq": last, "hash": last_hash}


def test_a_rolled_back_entry_does_not_move_the_head(running: RunningServer) -> None:
    _grow(running)
    head = running.data_dir / "audit-head.json"
    before = head.read_text()
    with pytest.raises(RuntimeError), running.server.db.begin() as conn:
        running.server.services.audit.record(conn, system_actor(), "test.rolled_back")
        raise RuntimeError("the change failed")
    assert head.read_text() == before
    assert _chain_now(running)["state"] == "intact"


def test_a_head_left_behind_by_a_dead_writer_is_accepted_and_caught_up(running: RunningServer) -> None:
    _grow(running)
    head = running.data_dir / "audit-head.json"
    behind = sql(running.data_dir, "SELECT seq, hash FROM audit_log WHERE seq = 2")[0]
    head.write_text(json.dumps({"seq": behind[0], "hash": behind[1]}))
    assert _chain_now(running)["state"] == "intact"
    _grow(running, 2)
    assert json.loads(head.read_text())["seq"] == _last_seq(running.data_dir)


def test_a_head_the_database_lost_is_not_overwritten_by_the_next_entry(running: RunningServer) -> None:
    _grow(running)
    last = _last_seq(running.data_dir)
    sql(running.data_dir, "DELETE FROM audit_log WHERE seq >= ?", last - 1)
    _grow(running, 4)
    assert json.loads((running.data_dir / "audit-head.json").read_text())["seq"] == last
    assert _chain_now(running)["state"] == "broken"


def test_writers_in_other_processes_keep_the_head_on_the_chain(running: RunningServer) -> None:
    _grow(running, 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELHOUSE_")}
    env.update({"REELHOUSE_DEMO_LIBRARY": "false", "XDG_CONFIG_HOME": str(running.data_dir / "xdg")})
    env.update(database_env())
    command = [sys.executable, "-m", "reelhouse.cli.main", "settings", "set"]
    writers = [
        subprocess.Popen(
            [*command, f"server_name=CLI {n}", "--data-dir", str(running.data_dir)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(4)
    ]
    _grow(running, 6)
    assert [w.wait(120) for w in writers] == [0, 0, 0, 0]
    assert _chain_now(running) == {"state": "intact", "seq": None, "reason": None}
    head = json.loads((running.data_dir / "audit-head.json").read_text())
    assert head["seq"] == _last_seq(running.data_dir)
