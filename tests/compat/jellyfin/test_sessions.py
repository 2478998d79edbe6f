"""Sessions: an app's capabilities are accepted, and /Sessions lists the caller's own session only."""

from __future__ import annotations

from collections.abc import Callable

from reelhouse.domain.access import Role
from tests.compat.jellyfin.conftest import jellyfin_client
from tests.harness import RunningServer


def test_capabilities_are_accepted_from_a_signed_in_app_only(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("alice")
    app = jellyfin_client(running, jellyfin_token(running, "alice"))
    body = {"PlayableMediaTypes": ["Video", "Audio"], "SupportedCommands": [], "SupportsMediaControl": False}
    assert app.post("/jellyfin/Sessions/Capabilities/Full", body).status == 204
    assert app.post("/jellyfin/sessions/capabilities?playableMediaTypes=Video", None).status == 204
    assert jellyfin_client(running).post("/jellyfin/Sessions/Capabilities/Full", body).status == 401


def test_sessions_lists_only_the_callers_own_even_for_an_admin(
    running: RunningServer, jellyfin_token: Callable[..., str]
) -> None:
    running.create_user("owner", Role.OWNER)
    running.create_user("alice")
    jellyfin_client(
        running, jellyfin_token(running, "alice", device_id="alice-phone"), device_id="alice-phone"
    )
    owner = jellyfin_client(
        running, jellyfin_token(running, "owner", device_id="owner-tv"), device_id="owner-tv"
    )
    listed = owner.get("/jellyfin/Sessions").json()
    assert [(s["UserName"], s["DeviceId"]) for s in listed] == [("owner", "owner-tv")]
    assert listed[0]["SupportsRemoteControl"] is False and listed[0]["LastActivityDate"].endswith("Z")
