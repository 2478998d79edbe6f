"""The Account page's Music apps section: a person makes a key for a Subsonic app, types the address and key it
shows into the app (py-opensonic here), sees the app listed, and revokes it; an app password works the same way
for the older apps (py-sonic, token auth)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import libopensonic
import libsonic
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from reelhouse.domain.access import Role, system_actor
from tests.harness import RunningServer
from tests.mediagen import MediaKit
from tests.webapp.conftest import Camera, watch


def _artists(address: str, key: str) -> list[str]:
    parts = urlsplit(address)

    async def go() -> list[str]:
        conn = libopensonic.AsyncConnection(
            f"{parts.scheme}://{parts.hostname}", api_key=key, port=parts.port
        )
        try:
            found = await conn.get_artists()
            return [a.name for index in found.index or [] for a in index.artist or []]
        finally:
            await conn.cleanup()

    # Playwright's sync API keeps an event loop on this thread: the app's own loop runs on another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def _create(page: Page, name: str, kind: str) -> tuple[str, str]:
    page.get_by_label("App name").fill(name)
    page.get_by_label("An app password" if kind == "password" else "An app key").check()
    page.get_by_role("button", name="Create", exact=True).click()
    secret = page.locator("[data-copy=secret]")
    expect(secret).to_be_focused()
    return page.locator("[data-copy=address]").inner_text(), secret.inner_text()


def test_a_key_made_on_the_account_page_signs_a_music_app_in_until_revoked(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    media_kit: MediaKit,
    tmp_path: Path,
) -> None:
    music = tmp_path / "music"
    media_kit.audio_at(music / "Ana" / "Blue" / "01 First.mp3", title="First", artist="Ana", album="Blue")
    services = server.server.services
    library = services.libraries.add(system_actor(), "Music", "music", [str(music)])
    server.server.scanner.scan(library)
    server.create_user("owner", Role.OWNER)
    context = context_factory()
    token = server.sign_in("owner").token
    context.add_cookies([{"name": "reelhouse", "value": token, "url": f"http://127.0.0.1:{server.port}"}])
    page = watch(context.new_page(), errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/#/account")
    section = page.get_by_role("region", name="Music apps")
    expect(section.get_by_text("No music app has a key")).to_be_visible()

    address, key = _create(page, "Symfonium on my phone", "key")
    # The address to type is the server's alone: the apps add /rest themselves.
    assert address == f"http://127.0.0.1:{server.port}"
    camera.shot(page, "music-app-key-shown")
    assert _artists(address, key) == ["Ana"]
    expect(section.get_by_role("row", name="Symfonium on my phone")).to_contain_text("App key")

    _address, password = _create(page, "DSub", "password")
    expect(page.locator("[data-copy=username]")).to_have_text("owner")
    old_app = libsonic.Connection("http://127.0.0.1", "owner", password, port=server.port)
    assert old_app.ping()

    page.reload()
    # Listed with the account's other sessions too, where they can be revoked as well.
    sessions = page.get_by_role("region", name="Sessions, devices and API tokens")
    expect(sessions.get_by_text("Symfonium on my phone")).to_be_visible()
    section = page.get_by_role("region", name="Music apps")
    section.get_by_role("button", name="Revoke Symfonium on my phone").click()
    expect(page.get_by_text("Symfonium on my phone can no longer sign in.")).to_be_visible()
    expect(section.get_by_role("row", name="Symfonium on my phone")).to_have_count(0)
    camera.shot(page, "music-app-revoked")
    with pytest.raises(libopensonic.errors.SonicError):
        _artists(address, key)
    assert old_app.ping()
    assert errors_seen == []
