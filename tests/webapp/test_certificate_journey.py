"""The owner uploads their own certificate on the Network page, sees it served, then goes back to the server's own."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.harness import RunningServer
from tests.network.conftest import peer_certificate
from tests.network.test_certificate_upload import colons, make_pair
from tests.webapp.conftest import Camera, watch
from tests.webapp.test_owner_journey import PASSWORD, set_up_owner

pytestmark = pytest.mark.browser


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data", https=True)
    yield running
    running.stop()
    # Collect now so a socket the server left open is reported against this test, not the next one.
    gc.collect()


def test_owner_uploads_a_certificate_from_the_network_page_and_reverts_it(
    tls_server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    server = tls_server
    own = server.server.services.certificates.info  # type: ignore[union-attr]
    assert own is not None
    page = watch(context_factory(ignore_https_errors=True).new_page(), errors_seen)
    set_up_owner(page, server, camera)
    # Over HTTPS, so the page itself rides on the certificate it replaces; the HTTP cookie stays behind.
    page.goto(f"https://127.0.0.1:{server.https_port}/#/settings/network")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()
    certificate = page.locator(".cert")
    expect(certificate).to_contain_text(own.fingerprint_sha256)
    expect(page.get_by_role("button", name="Use the server's own certificate")).to_have_count(0)

    pair, stranger = make_pair("media.example"), make_pair("other.example")
    form = page.get_by_role("form", name="Upload your own certificate")
    form.get_by_label("Certificate chain (PEM)", exact=True).fill(pair.cert_pem)
    form.get_by_label("Private key (PEM)", exact=True).fill(stranger.key_pem())
    form.get_by_role("button", name="Upload certificate").click()
    key_error = form.locator('[data-field="private_key"] .error')
    expect(key_error).to_have_text(
        "This private key does not belong to the certificate: their public keys differ."
    )
    expect(form.get_by_label("Private key (PEM)", exact=True)).to_have_attribute("aria-invalid", "true")
    camera.shot(page, "certificate-refused")
    assert peer_certificate(server) != pair.der

    # The certificate from a file through the picker, the key pasted, as an owner would.
    cert_file = tmp_path / "fullchain.pem"
    cert_file.write_text(pair.cert_pem)
    form.get_by_label("Or choose a file for the certificate chain (PEM)").set_input_files(str(cert_file))
    expect(form.get_by_label("Certificate chain (PEM)", exact=True)).to_have_value(pair.cert_pem)
    form.get_by_label("Private key (PEM)", exact=True).fill(pair.key_pem())
    form.get_by_role("button", name="Upload certificate").click()
    expect(certificate).to_contain_text(colons(pair.fingerprint))
    expect(certificate).to_contain_text("Your own certificate")
    expect(page.get_by_role("status")).to_have_text(re.compile(re.escape(colons(pair.fingerprint))))
    camera.shot(page, "certificate-uploaded")
    assert peer_certificate(server) == pair.der

    page.get_by_role("button", name="Use the server's own certificate").click()
    expect(certificate).to_contain_text(own.fingerprint_sha256)
    expect(page.get_by_role("status")).to_have_text("The server's own certificate is in use again.")
    camera.shot(page, "certificate-reverted")
    assert peer_certificate(server) != pair.der
    assert errors_seen == []
