"""Which web nodes are up, as PostgreSQL sees them (`reelhouse doctor`; docs/scaling.md).

A node in a cluster keeps one connection that does nothing but LISTEN (persistence/cluster.py), named after the
node. That connection is the registry: it exists exactly while the node's listener is connected, PostgreSQL
ends it when the node's process dies, and nothing needs writing every few seconds to keep it true. A machine
that vanished without closing its sockets stays listed until PostgreSQL's TCP keepalives notice.

psycopg is imported here only: this module is used only with a PostgreSQL database_url."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from reelhouse.persistence.cluster import CHANNEL, libpq_url

PREFIX = "reelhouse-"
CONNECT_SECONDS = 3


@dataclass(frozen=True)
class ListeningNode:
    name: str
    address: str
    since: datetime


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        libpq_url(url), autocommit=True, connect_timeout=CONNECT_SECONDS, application_name="reelhouse-doctor"
    )


def database_answers(url: str) -> str:
    """The server's version when it answers a query; raises psycopg.Error when it does not."""
    with _connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def listening_nodes(url: str) -> list[ListeningNode]:
    """Every node whose listener is connected now. Only sessions of the same database role (or a role allowed
    to read all statistics) show their last statement, so give the nodes one role, as docs/scaling.md says."""
    with _connect(url) as conn:
        rows = conn.execute(
            "SELECT application_name, coalesce(host(client_addr), 'local socket'), backend_start"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name LIKE %s AND query = %s ORDER BY application_name",
            (PREFIX + "%", f"LISTEN {CHANNEL}"),
        ).fetchall()
    return [ListeningNode(str(name)[len(PREFIX) :], str(address), since) for name, address, since in rows]
