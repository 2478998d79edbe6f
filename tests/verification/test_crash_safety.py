"""kill -9 at random moments during settings saves and scans: the database stays whole, nothing
acknowledged is lost, no batch is half applied. A full disk answers 503 with a sentence."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from tests.harness import Client, RunningServer
from tests.verification import media
from tests.verification.process import PASSWORD, ServerProcess, integrity, prepare

KILLS = 20
INVITATION_USES = 100


class SettingsWriter(threading.Thread):
    """Saves numbered batches as fast as the server takes them; remembers what was sent and acknowledged."""

    def __init__(self, client: Client, start: int) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.number = start
        self.sent = start - 1
        self.acked = start - 1
        self.stopped = threading.Event()
        self.refused: list[int] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            n = self.number
            batch = {"server_name": f"save-{n}", "invitation_days": 1 + n % 365, "max_transcodes": n % 64}
            self.sent = n
            try:
                answer = self.client.request("PATCH", "/api/settings", body={"values": batch})
            except OSError:
                return
            if answer.status != 200:
                self.refused.append(answer.status)
                return
            self.acked = n
            self.number += 1


class Redeemer(threading.Thread):
    """Redeems one invitation for guest001, guest002, ...; remembers which accounts were acknowledged.

    `budget` is how many uses this round may spend. It comes from the uses the server has stored, not from the
    acknowledged count: a redemption that committed just before a kill was never acknowledged but did take a use,
    and counting only acknowledgements would send more redemptions than the invitation allows (answered 404)."""

    def __init__(self, client: Client, code: str, start: int, acked: list[str], budget: int) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.code = code
        self.number = start
        self.acked = acked
        self.budget = budget
        self.refused: list[int] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set() and self.budget > 0:
            self.budget -= 1
            name = f"guest{self.number:03d}"
            self.number += 1
            body = {"code": self.code, "username": name, "password": PASSWORD}
            try:
                answer = self.client.post("/api/invitations/redeem", body)
            except OSError:
                return
            if answer.status != 201:
                self.refused.append(answer.status)
                return
            self.acked.append(name)


def _batch_number(values: dict[str, object]) -> int:
    """The batch the stored values come from; all three settings must agree on it."""
    name = str(values["server_name"])
    if not name.startswith("save-"):
        return 0
    n = int(name.removeprefix("save-"))
    assert values["invitation_days"] == 1 + n % 365, f"half-applied batch: {values}"
    assert values["max_transcodes"] == n % 64, f"half-applied batch: {values}"
    return n


def test_kill_9_during_settings_saves_and_redemptions_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    prepare(data)
    rng = random.Random(7)
    setup = ServerProcess(data)
    made = setup.sign_in().post(
        "/api/invitations", {"max_uses": INVITATION_USES, "days": 7, "grants": {"libraries": "all"}}
    )
    assert made.status == 201, made.body
    code = made.json()["code"]
    setup.stop()
    guests: list[str] = []
    next_number, next_guest, acknowledged = 1, 1, 0
    for round_ in range(KILLS):
        server = ServerProcess(data)
        owner = server.sign_in()
        stored = owner.get("/api/settings").json()["values"]
        assert _batch_number(stored) >= next_number - 1, f"round {round_}: an acknowledged save was lost"
        writer = SettingsWriter(owner, max(next_number, _batch_number(stored) + 1))
        used = owner.get("/api/invitations").json()[0]["uses"]
        redeemer = Redeemer(server.client(), code, next_guest, guests, INVITATION_USES - used)
        writers: list[SettingsWriter | Redeemer] = [writer, redeemer]
        for thread in writers:
            thread.start()
        time.sleep(rng.uniform(0.05, 0.8))
        server.kill()
        for thread in writers:
            thread.stopped.set()
            thread.join(30)
            assert thread.refused == [], f"round {round_}: the server refused a valid request"
        assert integrity(data) == "ok", f"round {round_}"
        # Everything acknowledged must survive; the request in flight may or may not have landed.
        acknowledged += writer.acked - next_number + 1
        next_number = writer.acked + 1
        next_guest = redeemer.number
    assert acknowledged >= KILLS, "too few saves were acknowledged for the kills to mean anything"
    final = ServerProcess(data)
    try:
        owner = final.sign_in()
        values = owner.get("/api/settings").json()["values"]
        assert _batch_number(values) >= next_number - 1
        assert len(guests) >= 5, "too few redemptions were acknowledged for the kills to mean anything"
        users = {u["username"] for u in owner.get("/api/users").json()}
        assert set(guests) <= users, f"acknowledged accounts lost: {set(guests) - users}"
        invitation = owner.get("/api/invitations").json()[0]
        made_here = {u for u in users if u.startswith("guest")}
        # No half-applied redemption: an account without its use counted, or a use without its account.
        assert invitation["uses"] == len(made_here), (invitation["uses"], sorted(made_here))
        assert (
            final.client().post("/api/auth/login", {"username": guests[-1], "password": PASSWORD}).status
            == 200
        )
    finally:
        final.stop()
    assert integrity(data) == "ok"


@pytest.mark.slow
def test_kill_9_during_scans_leaves_a_whole_database_that_rescans_cleanly(tmp_path: Path) -> None:
    data, library = tmp_path / "data", tmp_path / "media"
    prepare(data)
    template = media.movie(tmp_path / "template.mp4", seconds=1.0)
    media.copies(
        template, [library / f"Film {i:03d} ({1950 + i % 70})" / f"Film {i:03d}.mp4" for i in range(300)]
    )
    rng = random.Random(11)
    server = ServerProcess(data)
    owner = server.sign_in()
    library_id = owner.post(
        "/api/libraries", {"name": "Films", "kind": "movies", "paths": [str(library)]}
    ).json()["id"]
    for round_ in range(KILLS):
        if round_:
            server = ServerProcess(data)
            owner = server.sign_in()
            owner.post(f"/api/libraries/{library_id}/scan", {"full": round_ % 2 == 0})
        time.sleep(rng.uniform(0.05, 1.5))
        server.kill()
        assert integrity(data) == "ok", f"round {round_}"
    server = ServerProcess(data)
    try:
        owner = server.sign_in()
        owner.post(f"/api/libraries/{library_id}/scan", {"full": True})
        deadline = time.monotonic() + 120
        while owner.get(f"/api/libraries/{library_id}/scan").json()["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        page = owner.get(f"/api/libraries/{library_id}/items?limit=500").json()
        assert page["total"] == 300
        assert len({i["title"] for i in page["items"]}) == 300
    finally:
        server.stop()
    assert integrity(data) == "ok"


def test_a_full_disk_answers_503_with_a_sentence_and_the_database_stays_whole(tmp_path: Path) -> None:
    server = RunningServer(tmp_path / "data")
    try:
        owner = server.owner()
        engine = server.server.db.engine
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        from sqlalchemy import event

        def cap(dbapi_connection: object, _record: object) -> None:
            # SQLite answers SQLITE_FULL at this page count exactly as it does when the disk fills.
            dbapi_connection.execute(f"PRAGMA max_page_count={pages}")  # type: ignore[attr-defined]

        event.listen(engine, "connect", cap)
        engine.dispose()
        big = "x" * 60
        failures = []
        n = 0
        for n in range(1, 400):
            answer = owner.request(
                "PATCH", "/api/settings", body={"values": {"server_name": f"{big}{n}"[-64:]}}
            )
            if answer.status != 200:
                failures.append(answer)
                break
        assert failures, "the capped database never filled"
        full = failures[0]
        assert full.status == 503, (full.status, full.body)
        assert "full" in full.json()["message"]
        # The failed save changed nothing, in memory or on disk.
        assert owner.get("/api/settings").json()["values"]["server_name"] == f"{big}{n - 1}"[-64:]
        event.remove(engine, "connect", cap)
        engine.dispose()
        assert server.server.db.integrity_check() == "ok"
        assert owner.get("/api/me").status == 200
    finally:
        server.stop()
