"""Requiring HTTPS from the Network page: warned first, with the new address and the CA to trust, then told why
the HTTPS sign-in page asks again. And a Network page that never asks for a certificate that does not exist."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import PASSWORD, set_up_owner

pytestmark = pytest.mark.browser


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data", https=True)
    yield running
    running.stop()
    # Collect now so anything the server leaves open is reported against this test, not the next one.
    gc.collect()


def sha256(pem: bytes) -> str:
    (cert,) = x509.load_pem_x509_certificates(pem)
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def open_network(page: Page, server: RunningServer) -> None:
    page.goto(f"http://127.0.0.1:{server.port}/#/settings/network")
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()


def test_requiring_https_warns_first_and_the_https_sign_in_says_why(
    tls_server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    server = tls_server
    settings = server.server.services.settings
    page = watch(context_factory(ignore_https_errors=True, accept_downloads=True).new_page(), errors_seen)
    set_up_owner(page, server, camera)
    open_network(page, server)
    before = settings.values["secure_connections"]
    assert before != "required"
    address = f"https://127.0.0.1:{server.https_port}/"
    fingerprint = sha256((server.data_dir / "certificates" / "ca.pem").read_bytes())

    page.get_by_label(re.compile("^Required: HTTPS only")).check()
    page.get_by_role("button", name="Save Changes").click()
    dialog = page.get_by_role("dialog", name="Require secure connections?")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".move-address")).to_have_text(address)
    expect(dialog).to_contain_text("sign in again there")
    expect(dialog).to_contain_text("warn that the connection is not private")
    expect(dialog.locator(".ca-fingerprint")).to_have_text(fingerprint)
    camera.shot(page, "required-warning")
    # The link works from inside the dialog, and what it gives is the CA the fingerprint describes.
    with page.expect_download() as downloading:
        dialog.get_by_role("link", name="Download the CA certificate").click()
    download = downloading.value
    assert download.suggested_filename == "reelhouse-ca.pem"
    assert sha256(Path(download.path()).read_bytes()) == fingerprint

    # Declining, by button or by Escape, sends nothing and leaves the page where it is.
    dialog.get_by_role("button", name="Keep the current setting").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Nothing was saved.")
    page.get_by_role("button", name="Save Changes").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert settings.values["secure_connections"] == before
    assert page.url.startswith(f"http://127.0.0.1:{server.port}/")

    page.get_by_role("button", name="Save Changes").click()
    dialog.get_by_role("button", name="Require HTTPS and move").click()
    page.wait_for_url(re.compile(rf"^https://127\.0\.0\.1:{server.https_port}/#/signin"))
    assert settings.values["secure_connections"] == "required"
    expect(page.get_by_role("heading", name=re.compile("^Sign in"))).to_be_visible()
    expect(page.locator('[data-reason="moved-https"]')).to_contain_text(
        "now accepts only secure (HTTPS) connections"
    )
    camera.shot(page, "https-sign-in-says-why")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Back where the owner was, now over HTTPS.
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()
    expect(page.get_by_label(re.compile("^Required: HTTPS only"))).to_be_checked()
    assert errors_seen == []


def test_the_network_page_without_https_asks_for_no_missing_certificate(
    server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
) -> None:
    page = watch(context_factory().new_page(), errors_seen)
    set_up_owner(page, server, camera)
    refused: list[str] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    # A fresh load of the page, as when it is opened from a bookmark.
    page.goto("about:blank")
    open_network(page, server)
    certificate = page.get_by_role("region", name="Certificate")
    expect(certificate).to_contain_text("No HTTPS listener is open")
    assert refused == []

    # Required without any HTTPS listener would shut this very page out: the warning says so.
    page.get_by_label(re.compile("^Required: HTTPS only")).check()
    page.get_by_role("button", name="Save Changes").click()
    dialog = page.get_by_role("dialog", name="Require secure connections?")
    expect(dialog).to_contain_text("No HTTPS listener is open on this server")
    dialog.get_by_role("button", name="Keep the current setting").click()
    assert server.server.services.settings.values["secure_connections"] != "required"
    assert refused == []
    assert errors_seen == []
