"""Uploading your own certificate as a PKCS#12 file (.p12/.pfx): opened, checked, stored and served as PEM."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from reelhouse.errors import InvalidInput
from reelhouse.services.certificate_pkcs12 import check_pkcs12
from reelhouse.services.certificate_upload import check_form
from tests.harness import Answer, RunningServer
from tests.network.conftest import peer_certificate
from tests.network.test_certificate_upload import NOW, Pair, colons, make_pair

PASSPHRASE = "correct horse 7"


def bundle(
    key: Pair | None,
    cert: Pair | None,
    extra: tuple[Pair, ...] = (),
    passphrase: str | None = PASSPHRASE,
    encryption: serialization.KeySerializationEncryption | None = None,
) -> str:
    """A .p12 as an exporter writes it, base64 as the page sends it."""
    chosen = encryption or (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    raw = pkcs12.serialize_key_and_certificates(
        b"reelhouse",
        key.key if key else None,  # type: ignore[arg-type]
        cert.cert if cert else None,
        [p.cert for p in extra] or None,
        chosen,
    )
    return base64.b64encode(raw).decode()


def put(server: RunningServer, body: dict[str, str]) -> Answer:
    return server.owner().request("PUT", "/api/certificate", body=body)


def refusal(text: str, passphrase: str | None = PASSPHRASE) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_pkcs12(text, passphrase, NOW)
    return caught.value


# Through the server ------------------------------------------------------------------------------
def test_a_pkcs12_upload_is_served_from_the_next_handshake(tls_server: RunningServer) -> None:
    before = peer_certificate(tls_server)
    ca = make_pair("Example CA")
    leaf = make_pair("media.example", issuer=ca)
    answer = put(tls_server, {"pkcs12": bundle(leaf, leaf, (ca,)), "passphrase": PASSPHRASE})
    assert answer.status == 200, answer.body
    assert answer.json()["source"] == "user"
    assert answer.json()["fingerprint_sha256"] == colons(leaf.fingerprint)
    assert peer_certificate(tls_server) == leaf.der != before
    assert tls_server.owner().get("/api/certificate").json()["fingerprint_sha256"] == colons(leaf.fingerprint)


def test_a_pkcs12_upload_is_stored_as_the_pem_chain_and_an_unencrypted_key(tls_server: RunningServer) -> None:
    ca = make_pair("Example CA")
    leaf = make_pair("media.example", issuer=ca)
    assert put(tls_server, {"pkcs12": bundle(leaf, leaf, (ca,)), "passphrase": PASSPHRASE}).status == 200
    custom = tls_server.data_dir / "certificates" / "custom"
    assert x509.load_pem_x509_certificates((custom / "cert.pem").read_bytes()) == [leaf.cert, ca.cert]
    stored = serialization.load_pem_private_key((custom / "key.pem").read_bytes(), None)
    assert stored.public_key() == leaf.key.public_key()
    assert stat.S_IMODE((custom / "key.pem").stat().st_mode) == 0o600
    # Stored as PEM only, so a restart needs no passphrase and the folder's PKCS#12 slot stays empty.
    assert sorted(p.name for p in custom.iterdir()) == ["cert.pem", "key.pem"]


def test_a_pkcs12_upload_is_audited_by_fingerprint_and_form(tls_server: RunningServer) -> None:
    leaf = make_pair()
    assert put(tls_server, {"pkcs12": bundle(leaf, leaf), "passphrase": PASSPHRASE}).status == 200
    entries = tls_server.owner().get("/api/audit?action=certificate.install").json()["entries"]
    assert [e["target"] for e in entries] == [colons(leaf.fingerprint)]
    assert json.loads(entries[0]["detail"])["form"] == "pkcs12"


def test_no_key_material_or_passphrase_reaches_the_database_or_the_logs(
    tls_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    leaf = make_pair(key=rsa.generate_private_key(65537, 2048))
    assert put(tls_server, {"pkcs12": bundle(leaf, leaf), "passphrase": PASSPHRASE}).status == 200
    private = leaf.key.private_numbers()  # type: ignore[union-attr]
    der = leaf.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    secrets = [
        der[-48:],
        private.p.to_bytes(128, "big")[:32],  # type: ignore[attr-defined]
        "".join(leaf.key_pem().splitlines()[1:-1])[:40].encode(),
        PASSPHRASE.encode(),
    ]
    database = b"".join(p.read_bytes() for p in tls_server.data_dir.glob("*.db*"))
    logged = caplog.text.encode() + tls_server.owner().get("/api/audit").body
    for secret in secrets:
        assert secret not in database
        assert secret not in logged


def test_a_wrong_passphrase_is_refused_over_the_api_naming_the_passphrase(tls_server: RunningServer) -> None:
    before = peer_certificate(tls_server)
    leaf = make_pair()
    answer = put(tls_server, {"pkcs12": bundle(leaf, leaf), "passphrase": "not it"})
    assert answer.status == 422
    assert answer.json()["fields"] == {
        "passphrase": "This passphrase does not unlock the PKCS#12 file, or the file is damaged."
    }
    assert peer_certificate(tls_server) == before


def test_sending_both_forms_is_refused_naming_each_field(tls_server: RunningServer) -> None:
    leaf = make_pair()
    answer = put(
        tls_server,
        {"pkcs12": bundle(leaf, leaf), "certificate": leaf.cert_pem, "private_key": leaf.key_pem()},
    )
    assert answer.status == 422
    message = "Send either the PKCS#12 file or the PEM certificate and private key, not both."
    assert answer.json()["fields"] == {"pkcs12": message, "certificate": message, "private_key": message}


def test_sending_neither_form_is_refused_naming_both(tls_server: RunningServer) -> None:
    answer = put(tls_server, {"passphrase": PASSPHRASE})
    assert answer.status == 422
    assert set(answer.json()["fields"]) == {"certificate", "pkcs12"}


# Each refusal is a sentence naming its field --------------------------------------------------------
def test_a_missing_passphrase_is_asked_for() -> None:
    leaf = make_pair()
    assert refusal(bundle(leaf, leaf), None).fields == {
        "passphrase": "The PKCS#12 file is protected; enter its passphrase."
    }


def test_a_bundle_without_a_private_key_is_refused() -> None:
    leaf = make_pair()
    assert refusal(bundle(None, leaf)).fields == {
        "pkcs12": "The PKCS#12 file has no private key; export it again with the private key included."
    }


def test_a_bundle_without_a_certificate_is_refused() -> None:
    assert refusal(bundle(make_pair(), None)).fields == {
        "pkcs12": "The PKCS#12 file has a private key but no certificate; export it with the certificate."
    }


def test_a_key_belonging_to_none_of_the_certificates_is_refused() -> None:
    assert refusal(bundle(make_pair(), None, (make_pair(),))).fields == {
        "pkcs12": "The PKCS#12 file's private key belongs to none of its certificates."
    }


def test_a_weak_key_is_refused() -> None:
    weak = make_pair(key=rsa.generate_private_key(65537, 1024))
    message = refusal(bundle(weak, weak)).fields["pkcs12"]
    assert message.startswith("The certificate's key is an RSA key of 1024 bits;")


def test_an_expired_certificate_is_refused() -> None:
    old = make_pair(not_before=NOW - dt.timedelta(days=100), not_after=NOW - dt.timedelta(days=1))
    assert refusal(bundle(old, old)).fields["pkcs12"].startswith("The certificate expired on ")


def test_a_client_only_certificate_is_refused() -> None:
    client = make_pair(usage=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    assert "TLS server authentication" in refusal(bundle(client, client)).fields["pkcs12"]


def test_bytes_that_are_not_pkcs12_are_refused() -> None:
    junk = base64.b64encode(os.urandom(600)).decode()
    assert refusal(junk).fields == {
        "pkcs12": "This is not a PKCS#12 file; export the certificate as .p12 or .pfx."
    }


def test_text_that_is_not_base64_is_refused() -> None:
    assert refusal("this is not base64!").fields == {
        "pkcs12": "Send the file's bytes encoded as standard base64."
    }


def test_a_pem_file_sent_as_pkcs12_is_pointed_to_the_pem_fields() -> None:
    leaf = make_pair()
    text = base64.b64encode(leaf.cert_pem.encode()).decode()
    assert "This is a PEM file, not PKCS#12" in refusal(text).fields["pkcs12"]


def test_an_oversized_bundle_is_refused_before_it_is_decoded() -> None:
    assert "over 80 KiB" in refusal("A" * 200_000).fields["pkcs12"]


def test_an_empty_bundle_is_the_missing_file() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_form(None, None, "  ", None, NOW)
    assert set(caught.value.fields) == {"certificate", "pkcs12"}


# What is accepted -----------------------------------------------------------------------------
def test_a_chain_in_any_order_is_put_in_issuing_order_and_strangers_are_left_out() -> None:
    root = make_pair("Example Root")
    intermediate = make_pair("Example Intermediate", issuer=root)
    leaf = make_pair("media.example", issuer=intermediate)
    stranger = make_pair("Unrelated CA")
    checked = check_pkcs12(bundle(leaf, leaf, (root, stranger, intermediate)), PASSPHRASE, NOW)
    assert x509.load_pem_x509_certificates(checked.chain_pem) == [leaf.cert, intermediate.cert, root.cert]


def test_the_keys_certificate_unmarked_among_the_others_is_found() -> None:
    ca = make_pair("Example CA")
    leaf = make_pair("media.example", issuer=ca)
    checked = check_pkcs12(bundle(leaf, None, (ca, leaf)), PASSPHRASE, NOW)
    assert checked.leaf == leaf.cert
    assert x509.load_pem_x509_certificates(checked.chain_pem) == [leaf.cert, ca.cert]


def test_a_bundle_without_a_passphrase_is_read_even_when_one_is_given() -> None:
    leaf = make_pair()
    assert check_pkcs12(bundle(leaf, leaf, passphrase=None), "unneeded", NOW).leaf == leaf.cert


def test_a_legacy_triple_des_export_is_read() -> None:
    # Older routers and Windows write PKCS#12 with 3DES and SHA-1; those files must still open.
    legacy = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(PASSPHRASE.encode())
    )
    leaf = make_pair(key=ec.generate_private_key(ec.SECP384R1()))
    assert check_pkcs12(bundle(leaf, leaf, encryption=legacy), PASSPHRASE, NOW).leaf == leaf.cert


def test_base64_wrapped_over_lines_is_read() -> None:
    leaf = make_pair()
    text = bundle(leaf, leaf)
    wrapped = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    assert check_pkcs12(wrapped, PASSPHRASE, NOW).leaf == leaf.cert
