"""The grants editor in a real browser: the owner narrows a member's permissions and the member sees the change."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_player_journey import scanned, signed_in

pytestmark = pytest.mark.browser


def member_page(
    server: RunningServer, context_factory: Callable[..., BrowserContext], errors: list[str]
) -> Page:
    server.create_user("alice")
    context = context_factory()
    token = server.sign_in("alice").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    return watch(context.new_page(), errors)


def test_owner_narrows_a_members_libraries_and_rating_and_the_member_sees_only_those(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    films = [
        ("Films", "Blue Coast (2010)", "R"),
        ("Films", "Little Boat (2012)", "G"),
        ("Private", "Secret Diary (2015)", ""),
    ]
    for library, title, rating in films:
        folder = tmp_path / "media" / library / title
        media_kit.video_at(folder / f"{title}.mp4")
        (folder / f"{title}.nfo").write_text(
            f"<movie><title>{title[:-7]}</title><mpaa>{rating}</mpaa></movie>"
        )
    for library in ("Films", "Private"):
        scanned(server, library, "movies", tmp_path / "media" / library)
    owner = signed_in(server, context_factory, errors_seen)
    member = member_page(server, context_factory, errors_seen)
    member.goto(f"http://127.0.0.1:{server.port}/")
    nav = member.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Private")).to_be_visible()

    owner.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text="alice")
    expect(row).to_contain_text("All libraries")
    row.get_by_role("button", name="Edit").click()
    editor = owner.get_by_role("form", name="Permissions of alice")
    editor.get_by_label("Films").check()
    expect(editor.get_by_label("Only these:")).to_be_checked()
    editor.get_by_label("May download files").check()
    editor.get_by_label("Highest content rating").select_option(label="PG, TV-PG (10+)")
    bitrate = editor.get_by_label("Bitrate limit (kbit/s)")
    bitrate.fill("-5")
    editor.get_by_role("button", name="Save Changes").click()
    error = editor.locator('[data-field="max_bitrate_kbps"] .error')
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"^Bitrate limit \(kbit/s\) .+\.$"))
    expect(bitrate).to_have_attribute("aria-invalid", "true")
    expect(bitrate).to_be_focused()
    camera.shot(owner, "grants-error")
    # Nothing of the rejected batch was saved: alice still sees every library.
    member.reload()
    expect(nav.get_by_role("link", name="Private")).to_be_visible()

    bitrate.fill("4000")
    editor.get_by_role("button", name="Save Changes").click()
    expect(owner.get_by_role("status")).to_have_text("Changes to alice saved.")
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text="alice")
    expect(row).to_contain_text("Films ·")
    row.get_by_role("button", name="Edit").click()
    expect(editor.get_by_label("Highest content rating")).to_have_value("10")
    expect(editor.get_by_label("Films")).to_be_checked()
    camera.shot(owner, "grants-saved")
    users = server.sign_in("owner").get("/api/users").json()
    grants = next(u for u in users if u["username"] == "alice")["grants"]
    assert grants["may_download"] is True
    assert grants["max_bitrate_kbps"] == 4000
    assert grants["max_rating"] == {"movies": 10, "shows": 10, "home_videos": 10}

    member.reload()
    expect(nav.get_by_role("link", name="Films")).to_be_visible()
    expect(nav.get_by_role("link", name="Private")).to_have_count(0)
    # Private is not granted, and Blue Coast is rated above PG; Little Boat (G) is still there.
    for hidden in ("secret", "blue"):
        member.goto(f"http://127.0.0.1:{server.port}/#/search?q={hidden}")
        expect(member.get_by_text("Nothing matches that search.")).to_be_visible()
    member.goto(f"http://127.0.0.1:{server.port}/#/search?q=little")
    expect(member.get_by_role("list", name="Search results")).to_contain_text("Little Boat")
    camera.shot(member, "member-after")
    assert errors_seen == []


# The owner's browser runs in a zone far from UTC, so a date typed there is not the same day on the server.
OWNER_ZONE = "Pacific/Auckland"


def owner_page_in_zone(
    server: RunningServer, context_factory: Callable[..., BrowserContext], errors: list[str]
) -> Page:
    server.create_user("owner", Role.OWNER)
    context = context_factory(timezone_id=OWNER_ZONE, locale="en-US")
    token = server.sign_in("owner").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    return watch(context.new_page(), errors)


def labelled_films(server: RunningServer, media_kit: MediaKit, tmp_path: Path) -> None:
    films = [
        ("Little Boat (2012)", ["kids", "family"]),
        ("Blue Coast (2010)", ["family", "horror"]),
        ("Plain Road (2011)", []),
    ]
    root = tmp_path / "media" / "Films"
    for title, tags in films:
        folder = root / title
        media_kit.video_at(folder / f"{title}.mp4")
        labels = "".join(f"<tag>{tag}</tag>" for tag in tags)
        (folder / f"{title}.nfo").write_text(f"<movie><title>{title[:-7]}</title>{labels}</movie>")
    scanned(server, "Films", "movies", root)


def open_editor(owner: Page, server: RunningServer, name: str) -> Locator:
    page = f"http://127.0.0.1:{server.port}/#/settings/users"
    # A goto to the URL already shown changes nothing; reload so the editor reads the stored grants afresh.
    if owner.url == page:
        owner.reload()
    else:
        owner.goto(page)
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text=name)
    row.get_by_role("button", name="Edit").click()
    return owner.get_by_role("form", name=f"Permissions of {name}")


def grants_of(server: RunningServer, name: str) -> dict[str, object]:
    users = server.sign_in("owner").get("/api/users").json()
    found: dict[str, object] = next(u for u in users if u["username"] == name)["grants"]
    return found


def test_owner_sets_labels_a_stream_limit_and_an_end_date_and_a_blocked_label_hides_a_title(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    labelled_films(server, media_kit, tmp_path)
    owner = owner_page_in_zone(server, context_factory, errors_seen)
    member = member_page(server, context_factory, errors_seen)
    member.goto(f"http://127.0.0.1:{server.port}/#/search?q=coast")
    expect(member.get_by_role("list", name="Search results")).to_contain_text("Blue Coast")

    editor = open_editor(owner, server, "alice")
    allowed = editor.get_by_label("Show only titles with these labels")
    # The labels the catalogue holds are listed, so the owner types real ones.
    expect(allowed).to_have_accessible_description(
        re.compile(r"Labels on titles in your libraries: family, horror, kids\.")
    )
    allowed.fill("family")
    editor.get_by_label("Hide titles with these labels").fill(" horror ,horror")
    editor.get_by_label("Streams at the same time").fill("2")
    last_day = (datetime.now(ZoneInfo(OWNER_ZONE)).date() + timedelta(days=30)).isoformat()
    end = editor.get_by_label("Account ends after")
    expect(end).to_have_accessible_description(re.compile(OWNER_ZONE))
    end.fill(last_day)
    camera.shot(owner, "labels-filled")
    editor.get_by_role("button", name="Save Changes").click()
    expect(owner.get_by_role("status")).to_have_text("Changes to alice saved.")

    grants = grants_of(server, "alice")
    assert grants["allowed_labels"] == ["family"]
    assert grants["blocked_labels"] == ["horror"]
    assert grants["max_streams"] == 2
    # The last day is a whole day in the owner's zone: the account ends at the midnight after it, there.
    ends = datetime.combine(date.fromisoformat(last_day) + timedelta(days=1), time(), ZoneInfo(OWNER_ZONE))
    assert grants["expires_at"] == ends.timestamp()

    owner.reload()
    row = owner.get_by_role("list", name="Users").get_by_role("listitem").filter(has_text="alice")
    shown = date.fromisoformat(last_day).strftime("%-m/%-d/%Y")
    expect(row).to_contain_text(f" · until the end of {shown} · ")
    editor = open_editor(owner, server, "alice")
    expect(editor.get_by_label("Show only titles with these labels")).to_have_value("family")
    expect(editor.get_by_label("Hide titles with these labels")).to_have_value("horror")
    expect(editor.get_by_label("Streams at the same time")).to_have_value("2")
    expect(editor.get_by_label("Account ends after")).to_have_value(last_day)
    camera.shot(owner, "labels-reloaded")

    # An end time set through the API at 17:00 shows as its day, and saving without touching it keeps it.
    admin = server.sign_in("owner")
    alice = next(u for u in admin.get("/api/users").json() if u["username"] == "alice")
    odd = (ends - timedelta(hours=7)).timestamp()
    changed = admin.request("PATCH", f"/api/users/{alice['id']}", body={"grants": {"expires_at": odd}})
    assert changed.status == 200
    editor = open_editor(owner, server, "alice")
    expect(editor.get_by_label("Account ends after")).to_have_value(last_day)
    expect(editor.get_by_label("Account ends after")).to_have_accessible_description(
        re.compile(r"5:00:00 PM")
    )
    editor.get_by_label("May download files").check()
    editor.get_by_role("button", name="Save Changes").click()
    expect(owner.get_by_role("status")).to_have_text("Changes to alice saved.")
    assert grants_of(server, "alice")["expires_at"] == odd

    # Blue Coast carries the blocked label; Plain Road carries none of the allowed ones.
    for hidden in ("blue", "plain"):
        member.goto(f"http://127.0.0.1:{server.port}/#/search?q={hidden}")
        expect(member.get_by_text("Nothing matches that search.")).to_be_visible()
    member.goto(f"http://127.0.0.1:{server.port}/#/search?q=little")
    expect(member.get_by_role("list", name="Search results")).to_contain_text("Little Boat")
    camera.shot(member, "member-labels")
    assert errors_seen == []


def test_a_negative_stream_limit_or_a_past_end_date_is_explained_beside_its_field_and_nothing_is_saved(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    owner = owner_page_in_zone(server, context_factory, errors_seen)
    server.create_user("alice")
    before = grants_of(server, "alice")
    editor = open_editor(owner, server, "alice")
    editor.get_by_label("Hide titles with these labels").fill("horror")
    streams = editor.get_by_label("Streams at the same time")
    streams.fill("-1")
    editor.get_by_role("button", name="Save Changes").click()
    error = editor.locator('[data-field="max_streams"] .error')
    expect(error).to_have_text(re.compile(r"^Streams at the same time .+ 0\.$"))
    expect(streams).to_have_attribute("aria-invalid", "true")
    expect(streams).to_be_focused()
    camera.shot(owner, "streams-error")
    assert grants_of(server, "alice") == before

    streams.fill("1")
    yesterday = (datetime.now(ZoneInfo(OWNER_ZONE)).date() - timedelta(days=1)).isoformat()
    end = editor.get_by_label("Account ends after")
    end.fill(yesterday)
    editor.get_by_role("button", name="Save Changes").click()
    error = editor.locator('[data-field="expires_at"] .error')
    expect(error).to_have_text(re.compile(r"^That day has passed; .+\.$"))
    expect(end).to_be_focused()
    expect(editor.locator('[data-field="max_streams"] .error')).to_be_hidden()
    camera.shot(owner, "end-date-error")
    assert grants_of(server, "alice") == before
    assert errors_seen == []


def test_invite_friend_carries_labels_a_stream_limit_and_an_end_date(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    media_kit: MediaKit,
    tmp_path: Path,
    errors_seen: list[str],
) -> None:
    labelled_films(server, media_kit, tmp_path)
    owner = owner_page_in_zone(server, context_factory, errors_seen)
    owner.goto(f"http://127.0.0.1:{server.port}/#/settings/users")
    form = owner.get_by_role("form", name="Invite Friend")
    form.get_by_label("Who is it for?").fill("Bea")
    form.get_by_label("Films").check()
    form.get_by_label("Hide titles with these labels").fill("horror, kids")
    form.get_by_label("Streams at the same time").fill("1")
    last_day = (datetime.now(ZoneInfo(OWNER_ZONE)).date() + timedelta(days=7)).isoformat()
    form.get_by_label("Account ends after").fill(last_day)
    form.get_by_role("button", name="Invite Friend").click()
    expect(owner.locator("#invite-link")).to_be_visible()
    camera.shot(owner, "invite-with-labels")
    # The form starts over with its first values, not with every box cleared.
    expect(form.get_by_label("May have videos converted for their device")).to_be_checked()
    expect(form.get_by_label("Hide titles with these labels")).to_have_value("")

    invitation = server.sign_in("owner").get("/api/invitations").json()[0]
    ends = datetime.combine(date.fromisoformat(last_day) + timedelta(days=1), time(), ZoneInfo(OWNER_ZONE))
    assert invitation["grants"]["blocked_labels"] == ["horror", "kids"]
    assert invitation["grants"]["max_streams"] == 1
    assert invitation["grants"]["expires_at"] == ends.timestamp()
    assert errors_seen == []


def test_rating_caps_that_differ_by_kind_are_kept_when_the_owner_saves_something_else(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    errors_seen: list[str],
) -> None:
    owner = owner_page_in_zone(server, context_factory, errors_seen)
    alice_id = server.create_user("alice")
    caps = {"movies": 17, "shows": 10}
    admin = server.sign_in("owner")
    assert (
        admin.request("PATCH", f"/api/users/{alice_id}", body={"grants": {"max_rating": caps}}).status == 200
    )
    editor = open_editor(owner, server, "alice")
    rating = editor.get_by_label("Highest content rating")
    expect(rating).to_have_value("keep")
    expect(rating.locator("option:checked")).to_have_text("Keep as set now (films R, TV-MA; shows PG, TV-PG)")
    editor.get_by_label("May download files").check()
    editor.get_by_role("button", name="Save Changes").click()
    expect(owner.get_by_role("status")).to_have_text("Changes to alice saved.")
    grants = grants_of(server, "alice")
    assert grants["max_rating"] == caps
    assert grants["may_download"] is True
    assert errors_seen == []
