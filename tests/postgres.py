"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary data folder, loopback only.

The server runs as the `postgres` user when the tests run as root (initdb refuses root), listens on a free
port of 127.0.0.1 with a random password, and writes nothing durably (fsync off): it is gone after the
session. Each test gets its own database, copied from a migrated template, which takes a few milliseconds.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, create_engine

from reelhouse.persistence.database import Database, postgres_url

USER = "reelhouse"
TEMPLATE = "reelhouse_migrated"


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL's server binaries are missing (no /usr/lib/postgresql/*/bin/initdb): the tests run the "
            "persistence suites against PostgreSQL too. Install Debian's `postgresql` package "
            "(scripts/bootstrap.sh does it: `apt-get install postgresql`)."
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL instance; `start()` it, hand out databases, `stop()` it."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="reelhouse-pg-"))
        self.data = self.root / "data"
        self._counter = 0
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root; the folder must belong to the server's user.
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
            **self._as,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")

    def start(self) -> None:
        secret = self.root / "pw"
        secret.write_text(self.password)
        if self._as:
            os.chown(secret, self._as["user"], self._as["group"])
        secret.chmod(0o600)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={secret}",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        secret.unlink()
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            # Throwaway: nothing needs to survive a crash, and the socket folder is the server's own.
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.data}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 32MB\n"
            )
        for attempt in range(5):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30",
                    "-o", f"-p {self.port}", "start",
                )  # fmt: skip
                break
            except RuntimeError:
                if attempt == 4:
                    raise RuntimeError(f"PostgreSQL did not start: {self.log()}") from None
        self.create(TEMPLATE)
        migrated = Database(self.url(TEMPLATE))
        try:
            migrated.migrate()
        finally:
            migrated.close()

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def create(self, name: str, template: str | None = None) -> str:
        with self._admin() as admin:
            if template is None:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
        return self.url(name)

    def fresh(self, migrated: bool) -> tuple[str, str]:
        """A new database's name and URL: a copy of the migrated template, or empty."""
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        return name, self.create(name, TEMPLATE if migrated else None)

    def drop(self, name: str) -> None:
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# The database the running test uses when the suite runs with `--database=postgresql`: RunningServer, the
# `db` fixture and the CLI helpers read it, so one test body runs against either database.
_chosen: list[str] = []


def chosen_database_url() -> str | None:
    return _chosen[-1] if _chosen else None


def choose(url: str | None) -> None:
    _chosen.clear()
    if url is not None:
        _chosen.append(url)


def database_env() -> dict[str, str]:
    """The environment that points a `reelhouse` subprocess at the chosen database (none for SQLite)."""
    chosen = chosen_database_url()
    return {} if chosen is None else {"REELHOUSE_DATABASE_URL": chosen}


@contextmanager
def raw_connection(data_dir: Path) -> Iterator[Connection]:
    """A transaction on the server's database behind its back: the data folder's SQLite file, or the chosen
    PostgreSQL database. Statements use `?` placeholders on both (exec_sql)."""
    chosen = chosen_database_url()
    engine = create_engine(postgres_url(chosen) if chosen else f"sqlite:///{data_dir / 'reelhouse.db'}")
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def exec_sql(conn: Connection, statement: str, *params: Any) -> Any:
    if conn.dialect.name == "postgresql":
        statement = statement.replace("%", "%%").replace("?", "%s")
    return conn.exec_driver_sql(statement, tuple(params))
