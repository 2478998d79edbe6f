"""Watching and sharing in a real browser: play a video, invite a friend, and sign in with two-factor codes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import PASSWORD, set_up_owner

pytestmark = pytest.mark.browser


def add_library(page: Page, name: str, kind: str, folder: Path) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Type").select_option(kind)
    page.get_by_label("Folder on this server").fill(str(folder))
    page.get_by_role("button", name="Add library").click()
    expect(page.locator(f'.card:has(h2:text-is("{name}")) .scan')).to_have_attribute(
        "data-state", "done", timeout=30_000
    )


def test_owner_plays_a_video_and_time_advances(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    movies: Path,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    add_library(page, "Films", "movies", movies)
    page.get_by_role("link", name="Open Films").click()
    page.get_by_role("link", name=re.compile("Amber Fields")).click()
    page.get_by_role("link", name="Play", exact=True).click()
    video = page.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0.3; }",
        timeout=15_000,
    )
    camera.shot(page, "playing")
    expect(page.locator("#playback-method")).to_have_text(re.compile("^Direct play"))
    assert errors_seen == []


def test_friend_redeems_an_invitation_and_sees_only_the_granted_library(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    movies: Path,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    private = tmp_path / "media" / "Private"
    media_kit.video_at(private / "Secret Diary (2015)" / "Secret Diary (2015).mp4")
    owner = watch(context_factory().new_page(), errors_seen)
    set_up_owner(owner, server, camera)
    add_library(owner, "Films", "movies", movies)
    add_library(owner, "Private", "movies", private)

    owner.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
    expect(owner.get_by_role("heading", name="Invite Friend")).to_be_visible()
    invite = owner.get_by_role("form", name="Invite Friend")
    invite.get_by_label("Who is it for?").fill("Sam from the pub quiz")
    invite.get_by_label("Message for your friend (optional)").fill("Hi Sam, the films I promised!")
    invite.get_by_label("Films").check()
    invite.get_by_role("button", name="Invite Friend").click()
    link = owner.locator("#invite-link")
    expect(link).to_have_value(re.compile(r"/invite#"))
    url = link.input_value()
    expect(owner.get_by_role("list", name="Pending invitations")).to_contain_text("Sam")
    camera.shot(owner, "invite-friend")

    friend = watch(context_factory().new_page(), errors_seen)
    friend.goto(url)
    expect(friend.get_by_role("heading", name=re.compile("^You are invited to"))).to_be_visible()
    # The friend reads the message; the owner's note about them stays with the admins.
    expect(friend.get_by_text("Hi Sam, the films I promised!")).to_be_visible()
    expect(friend.get_by_text("pub quiz")).to_have_count(0)
    camera.shot(friend, "invitation")
    friend.get_by_label("Choose a username").fill("sam")
    friend.get_by_label("Choose a password", exact=True).fill("a friend's own passphrase")
    friend.get_by_label("Password again").fill("a friend's own passphrase")
    friend.get_by_role("button", name="Accept invitation").click()
    expect(friend.get_by_role("heading", name="Home")).to_be_visible()
    nav = friend.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Films")).to_be_visible()
    expect(nav.get_by_role("link", name="Private")).to_have_count(0)
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    expect(friend.get_by_text("Secret Diary")).to_have_count(0)
    camera.shot(friend, "friend-home")

    # Another item's URL, taken from the owner's view, answers like an item that does not exist.
    owner.goto(f"http://127.0.0.1:{server.port}/#/search?q=secret")
    owner.get_by_role("link", name=re.compile("Secret Diary")).click()
    expect(owner.get_by_role("heading", name="Secret Diary", level=1)).to_be_visible()
    secret_url = owner.url.split("#", 1)[1]
    friend.goto(f"http://127.0.0.1:{server.port}/#/item/AAAAAAAAAAAAAAAAAAAAAA")
    expect(friend.get_by_role("heading", name="Not found")).to_be_visible()
    unknown = friend.get_by_role("alert").inner_text()
    friend.goto(f"http://127.0.0.1:{server.port}/#{secret_url}")
    friend.reload()
    expect(friend.get_by_role("heading", name="Not found")).to_be_visible()
    expect(friend.get_by_role("alert")).to_have_text(unknown)
    expect(friend.get_by_text("Secret Diary")).to_have_count(0)
    camera.shot(friend, "friend-forbidden-item")
    friend.goto(f"http://127.0.0.1:{server.port}/#/search?q=secret")
    expect(friend.get_by_text("Nothing matches that search.")).to_be_visible()
    assert [e for e in errors_seen if "404" not in e] == []


def test_owner_enrols_two_factor_and_signs_in_with_a_code(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    page.goto(f"http://127.0.0.1:{server.port}/#/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    camera.shot(page, "2fa-enrol")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes.first).to_be_visible()
    assert codes.count() >= 5
    camera.shot(page, "2fa-recovery-codes")
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code_field = page.get_by_label("Two-factor code")
    expect(code_field).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(re.compile("authenticator app"))
    camera.shot(page, "sign-in-code")
    code_field.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator('[data-field="totp"] .error')).to_be_visible()
    # The enrolment spent this step's code (no code works twice); the next step's is within the allowed drift.
    code_field.fill(pyotp.TOTP(secret).at(int(time.time()) + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    camera.shot(page, "signed-in-with-code")
    assert errors_seen == []
