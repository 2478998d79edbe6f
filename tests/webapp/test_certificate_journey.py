"""The owner uploads their own certificate on the Network page, sees it served, then goes back to the server's own."""

from __future__ import annotations

import base64
import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import RunningServer
from tests.network.conftest import configure, peer_certificate
from tests.network.test_certificate_pkcs12 import bundle
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


def sign_in_over_https(page: Page, server: RunningServer, camera: Camera) -> None:
    set_up_owner(page, server, camera)
    # Over HTTPS, so the page itself rides on the certificate it replaces; the HTTP cookie stays behind.
    page.goto(f"https://127.0.0.1:{server.https_port}/#/settings/network")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible()


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
    sign_in_over_https(page, server, camera)
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


def test_owner_uploads_a_pkcs12_file_and_is_told_which_name_it_misses(
    tls_server: RunningServer,
    context_factory: Callable[..., BrowserContext],
    camera: Camera,
    errors_seen: list[str],
    tmp_path: Path,
) -> None:
    server = tls_server
    configure(server, public_urls=["https://reelhouse.example.net"])
    page = watch(context_factory(ignore_https_errors=True).new_page(), errors_seen)
    sign_in_over_https(page, server, camera)
    certificate = page.locator("#h-cert").locator("xpath=..")
    missing = "This certificate does not name reelhouse.example.net, so browsers will warn when you connect by that name."
    # The server's own certificate names the machine, not the public URL: the page says so in words.
    expect(certificate.locator(".cert-warning")).to_have_text(missing)

    pair = make_pair("media.example")
    p12 = tmp_path / "router-export.pfx"
    p12.write_bytes(base64.b64decode(bundle(pair, pair, passphrase="from the router")))
    form = page.get_by_role("form", name="Upload your own certificate")
    # Chosen from the keyboard: the format is a pair of labelled radios.
    form.get_by_label("Certificate chain (PEM)", exact=True).focus()
    form.get_by_label("PEM files: a certificate chain and a private key").focus()
    page.keyboard.press("ArrowDown")
    expect(form.get_by_label("A PKCS#12 file (.p12 or .pfx)", exact=False)).to_be_checked()
    expect(form.get_by_label("Certificate chain (PEM)", exact=True)).to_be_hidden()
    form.get_by_label("PKCS#12 file (.p12 or .pfx)", exact=True).set_input_files(str(p12))
    form.get_by_label("Passphrase", exact=True).fill("not the one")
    form.get_by_label("Passphrase", exact=True).press("Enter")
    expect(form.locator('[data-field="passphrase"] .error')).to_have_text(
        "This passphrase does not unlock the PKCS#12 file, or the file is damaged."
    )
    expect(form.get_by_label("Passphrase", exact=True)).to_have_attribute("aria-invalid", "true")
    camera.shot(page, "certificate-pkcs12-refused")
    assert peer_certificate(server) != pair.der

    form.get_by_label("Passphrase", exact=True).fill("from the router")
    form.get_by_role("button", name="Upload certificate").click()
    expect(certificate).to_contain_text(colons(pair.fingerprint))
    expect(page.get_by_role("status")).to_have_text(re.compile(re.escape(missing)))
    # Installed all the same: the warning is advice, not a refusal.
    expect(certificate.locator(".cert-warning")).to_have_text(missing)
    camera.shot(page, "certificate-pkcs12-uploaded")
    assert peer_certificate(server) == pair.der
    assert errors_seen == []
