"""Privacy: nothing leaves the machine, and no user learns about another user's viewing or access."""

from __future__ import annotations

import ipaddress
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelhouse.domain.access import Role
from reelhouse.web.routes import ROUTES
from tests.harness import RunningServer
from tests.verification import media
from tests.verification.conftest import World, wait_for_scan

ROUTE_KEYS = {r.key for r in ROUTES}
# The routes these tests exercise; a rename must fail here loudly, not quietly skip the test.
USED_ROUTES = {
    ("POST", "/api/items/{item_id}/playback"),
    ("PUT", "/api/items/{item_id}/playstate"),
    ("GET", "/api/items/{item_id}/playstate"),
    ("GET", "/api/continue-watching"),
    ("GET", "/api/users"),
    ("GET", "/api/audit"),
    ("GET", "/api/invitations"),
    ("GET", "/api/settings"),
}
NETWORK_EVENTS = {
    "socket.connect",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
}


class NetworkRecorder:
    """An audit hook cannot be removed once added, so one hook records only while a recorder is on."""

    _active: NetworkRecorder | None = None
    _installed = False
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self.programs: list[list[str]] = []

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        recorder = cls._active
        if recorder is None:
            return
        if event in NETWORK_EVENTS:
            recorder.events.append((event, args))
        elif event == "subprocess.Popen":
            recorder.programs.append([str(a) for a in (args[1] or [])])

    def __enter__(self) -> NetworkRecorder:
        with self._lock:
            if not NetworkRecorder._installed:
                sys.addaudithook(NetworkRecorder._hook)
                NetworkRecorder._installed = True
            NetworkRecorder._active = self
        return self

    def __exit__(self, *_exc: object) -> None:
        NetworkRecorder._active = None

    def destinations(self) -> set[str]:
        found: set[str] = set()
        for event, args in self.events:
            if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
                address = args[1]
                if isinstance(address, tuple) and address:
                    found.add(str(address[0]))
                elif isinstance(address, str | bytes):
                    found.add(f"unix:{address!r}")
            elif event == "socket.getnameinfo":
                found.add(str(args[0][0]))
            elif args and args[0] is not None:
                host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
                found.add(host)
        return found


def _loopback(destination: str) -> bool:
    if destination.startswith("unix:") or destination in ("localhost", "localhost.", ""):
        return True
    try:
        return ipaddress.ip_address(destination.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def test_the_routes_these_tests_use_exist() -> None:
    assert USED_ROUTES <= ROUTE_KEYS, USED_ROUTES - ROUTE_KEYS


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[NetworkRecorder, RunningServer, Path]]:
    library = tmp_path / "media"
    media.movie(library / "Quiet Film (2010)" / "Quiet Film (2010).mp4")
    with NetworkRecorder() as recorder:
        server = RunningServer(tmp_path / "data")
        try:
            yield recorder, server, library
        finally:
            server.stop()


def test_setup_scan_browse_and_play_touch_only_loopback(
    recorded: tuple[NetworkRecorder, RunningServer, Path],
) -> None:
    recorder, server, library = recorded
    code = server.server.services.accounts.issue_setup_code()
    assert code is not None
    anonymous = server.anonymous()
    created = anonymous.post(
        "/api/setup", {"code": code, "username": "owner", "password": "correct horse battery"}
    )
    assert created.status == 201, created.body
    owner = server.sign_in("owner")
    library_id = owner.post(
        "/api/libraries", {"name": "Films", "kind": "movies", "paths": [str(library)]}
    ).json()["id"]
    assert wait_for_scan(owner, library_id)["added"] == 1
    item_id = owner.get(f"/api/libraries/{library_id}/items").json()["items"][0]["id"]
    for path in ("/api/libraries", f"/api/items/{item_id}", "/api/search?q=quiet", "/api/recent", "/"):
        assert owner.get(path).status == 200, path
    play = owner.post(f"/api/items/{item_id}/playback", {})
    assert play.status == 200, play.body
    streamed = owner.get(play.json()["url"])
    assert streamed.status == 200 and len(streamed.body) > 1000
    hls = owner.post(
        f"/api/items/{item_id}/playback", {"profile": {"containers": ["ts"], "video_codecs": ["h264"]}}
    )
    assert hls.status == 200, hls.body
    time.sleep(0.5)
    assert recorder.events, "the audit hook recorded nothing; the test would prove nothing"
    outside = {d for d in recorder.destinations() if not _loopback(d)}
    assert outside == set(), f"the server reached beyond loopback: {outside}"
    for argv in recorder.programs:
        assert not any("://" in a and not a.startswith(("file:", "pipe:")) for a in argv), argv


def test_a_member_cannot_see_who_else_has_access(world: World) -> None:
    for path in ("/api/users", "/api/audit", "/api/invitations", "/api/settings"):
        answer = world.member.get(path)
        assert answer.status == 403, (path, answer.status)
        assert b"admin1" not in answer.body and b"owner" not in answer.body
    for library in world.member.get("/api/libraries").json():
        assert library["roots"] is None, "folder paths are for admins"
    detail = world.member.get(f"/api/items/{world.item_ids[0]}").json()
    assert all(f.get("path") is None for f in detail["files"]), "file paths are for admins"


def test_a_user_cannot_read_another_users_watch_history(world: World, tmp_path: Path) -> None:
    world.server.create_user("member2", Role.MEMBER)
    other = world.server.sign_in("member2")
    item = world.item_ids[0]
    saved = world.member.request(
        "PUT", f"/api/items/{item}/playstate", body={"position": 1.25, "duration": 2.0}
    )
    assert saved.status in (200, 204), saved.body
    assert world.member.get(f"/api/items/{item}/playstate").json()["position"] == pytest.approx(1.25)
    theirs = other.get(f"/api/items/{item}/playstate")
    assert theirs.status in (200, 404)
    if theirs.status == 200:
        assert theirs.json()["position"] == 0 and theirs.json()["play_count"] == 0
    assert item not in other.get("/api/continue-watching").body.decode()
    assert item in world.member.get("/api/continue-watching").body.decode()
