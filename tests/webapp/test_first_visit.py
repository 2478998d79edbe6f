"""A newcomer's first minutes in Chromium: a quiet console before sign-in, a favicon, a setup form that names
every problem at once, and a two-factor code asked for only from accounts that have two-factor on."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from reelhouse.domain.access import Role
from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch

pytestmark = pytest.mark.browser
PASSWORD = "a keyboard passphrase"


def _refusals(page: Page) -> list[str]:
    """Every answer of 400 or above the page receives: each is a red line in the browser's console."""
    seen: list[str] = []

    def note(response: Response) -> None:
        if response.status >= 400:
            seen.append(f"{response.status} {response.url}")

    page.on("response", note)
    return seen


def test_a_signed_out_visit_asks_once_and_meets_no_refusal(
    server: RunningServer, context_factory: Callable[..., BrowserContext], errors_seen: list[str]
) -> None:
    server.create_user("owner", Role.OWNER, password=PASSWORD)
    page = watch(context_factory().new_page(), errors_seen)
    refusals = _refusals(page)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"http://127.0.0.1:{server.port}/")
    expect(page.get_by_role("heading", name="Sign in to Reelhouse")).to_be_visible()
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None and page.request.get(f"http://127.0.0.1:{server.port}{icon}").ok
    assert refusals == []
    # The sign-in page also asks which home servers it may offer "Sign in with" for (public, answered 200).
    assert [u for u in asked if "/api/" in u and "/api/auth/profiles" not in u] == [
        f"http://127.0.0.1:{server.port}/api/session",
        f"http://127.0.0.1:{server.port}/api/auth/home",
    ]
    assert errors_seen == []


def test_the_setup_form_names_every_problem_at_once(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/")
    expect(page.get_by_role("heading", name="Set up Reelhouse")).to_be_visible()
    page.get_by_label("Setup code").fill("0000-0000-0000-0000")
    page.get_by_label("Your username").fill("owner")
    page.get_by_label("Password", exact=True).fill("reelhouse")
    page.get_by_label("Password again").fill("reelhous")
    page.get_by_role("button", name="Create owner").click()
    password = page.locator("[data-field=password] .error")
    expect(password).to_contain_text("at least 10 characters")
    expect(password).to_contain_text("too easy to guess")
    expect(page.locator("[data-field=password_again] .error")).to_have_text(
        "Password again does not match the password."
    )
    camera.shot(page, "setup-problems")
    assert server.server.services.accounts.needs_setup()
    assert errors_seen == []


def _enrol(server: RunningServer, username: str) -> str:
    client = server.sign_in(username, PASSWORD)
    secret = str(client.post("/api/account/2fa").json()["secret"])
    confirmed = client.post("/api/account/2fa/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status == 200, confirmed.body
    return secret


def test_a_code_is_asked_for_only_after_the_password_of_an_account_with_two_factor(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    server.create_user("owner", Role.OWNER, password=PASSWORD)
    server.create_user("tess", Role.MEMBER, password=PASSWORD)
    secret = _enrol(server, "tess")
    page = watch(context_factory().new_page(), errors_seen)
    page.goto(f"http://127.0.0.1:{server.port}/#/signin")
    code = page.get_by_label("Two-factor code")
    expect(page.get_by_label("Password")).to_be_visible()
    expect(code).to_be_hidden()
    camera.shot(page, "sign-in-first-step")

    # A wrong password tells nothing about two-factor: the same refusal as for any account, and no code field.
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password").fill("not the passphrase")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("That username and password do not match.")
    expect(code).to_be_hidden()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(alert).to_have_text(re.compile("code from your authenticator app"))
    expect(code).to_be_visible()
    expect(code).to_be_focused()
    camera.shot(page, "sign-in-second-step")
    code.fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    assert errors_seen == []
