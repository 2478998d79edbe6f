"""An uploaded PKCS#12 bundle (.p12/.pfx) read into the same checked chain and key as a PEM upload."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from reelhouse.errors import InvalidInput
from reelhouse.services.certificate_checks import (
    MAX_CHAIN_BYTES,
    MAX_KEY_BYTES,
    CheckedUpload,
    check_chain,
    checked_pair,
    passphrase_bytes,
    spki,
)

FIELD = "pkcs12"
# Room for the largest chain and key a PEM upload may have; a router's export is a few KiB.
MAX_PKCS12_BYTES = MAX_CHAIN_BYTES + MAX_KEY_BYTES
_WHITESPACE = str.maketrans("", "", " \t\r\n")


def _bundle_bytes(text: str) -> bytes:
    packed = text.translate(_WHITESPACE)
    if not packed:
        raise InvalidInput(
            "The PKCS#12 file is missing.",
            {FIELD: "Choose the .p12 or .pfx file, sent as base64."},
        )
    # Checked on the text first, so an oversized upload is refused before it is decoded.
    if len(packed) > (MAX_PKCS12_BYTES + 2) // 3 * 4:
        raise InvalidInput(
            "The PKCS#12 file is too large.",
            {
                FIELD: f"The PKCS#12 file is over {MAX_PKCS12_BYTES // 1024} KiB; export only the server "
                "certificate, its intermediates and its key."
            },
        )
    try:
        data = base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "The PKCS#12 file is not base64.",
            {FIELD: "Send the file's bytes encoded as standard base64."},
        ) from None
    if b"-----BEGIN" in data[:1024]:
        raise InvalidInput(
            "A PEM file was sent as PKCS#12.",
            {
                FIELD: "This is a PEM file, not PKCS#12; put its certificate and key in the PEM fields instead."
            },
        )
    return data


def _looks_like_pfx(data: bytes) -> bool:
    """A PFX is a DER SEQUENCE that opens with INTEGER 3 (its version). OpenSSL answers a wrong password
    and a file that is not PKCS#12 at all with the same error, so this tells the two apart."""
    if len(data) < 5 or data[0] != 0x30:
        return False
    length_octets = data[1] - 0x80 if data[1] & 0x80 else 0
    start = 2 + length_octets
    return 0 <= length_octets <= 4 and data[start : start + 3] == b"\x02\x01\x03"


def _load(data: bytes, passphrase: str | None) -> pkcs12.PKCS12KeyAndCertificates:
    secret = passphrase_bytes(passphrase)
    # A passphrase given for a bundle that has none is not needed: try without it too, as for PEM keys.
    for attempt in (secret, None) if secret is not None else (None,):
        try:
            return pkcs12.load_pkcs12(data, attempt)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    if not _looks_like_pfx(data):
        raise InvalidInput(
            "The PKCS#12 file cannot be read.",
            {FIELD: "This is not a PKCS#12 file; export the certificate as .p12 or .pfx."},
        )
    if secret is None:
        raise InvalidInput(
            "The PKCS#12 file is protected by a passphrase.",
            {"passphrase": "The PKCS#12 file is protected; enter its passphrase."},
        )
    raise InvalidInput(
        "The passphrase is wrong.",
        {"passphrase": "This passphrase does not unlock the PKCS#12 file, or the file is damaged."},
    )


def _ordered(leaf: x509.Certificate, extras: list[x509.Certificate]) -> list[x509.Certificate]:
    """Bundles list their other certificates in no set order; follow the issuers up from the leaf and
    leave out any certificate that is not on that path."""
    chain = [leaf]
    pool = [c for c in extras if c != leaf]
    while chain[-1].issuer != chain[-1].subject:
        parent = next((c for c in pool if c.subject == chain[-1].issuer), None)
        if parent is None:
            break
        chain.append(parent)
        pool.remove(parent)
    return chain


def _leaf(bundle: pkcs12.PKCS12KeyAndCertificates, key: PrivateKeyTypes) -> x509.Certificate:
    extras = [c.certificate for c in bundle.additional_certs]
    if bundle.cert is not None:
        return bundle.cert.certificate
    # Some exporters leave the key's certificate unmarked among the others: the one with its public key.
    mine = next((c for c in extras if spki(c.public_key()) == spki(key.public_key())), None)
    if mine is not None:
        return mine
    if extras:
        raise InvalidInput(
            "The private key does not match the certificates.",
            {FIELD: "The PKCS#12 file's private key belongs to none of its certificates."},
        )
    raise InvalidInput(
        "The PKCS#12 file holds no certificate.",
        {FIELD: "The PKCS#12 file has a private key but no certificate; export it with the certificate."},
    )


def check_pkcs12(bundle_b64: str, passphrase: str | None, now: dt.datetime) -> CheckedUpload:
    """Every check a PEM upload gets, after the bundle is opened; the bundle's own faults name `pkcs12`,
    a passphrase fault names `passphrase`."""
    bundle = _load(_bundle_bytes(bundle_b64), passphrase)
    if bundle.key is None:
        raise InvalidInput(
            "The PKCS#12 file holds no private key.",
            {FIELD: "The PKCS#12 file has no private key; export it again with the private key included."},
        )
    key: PrivateKeyTypes = bundle.key
    leaf = _leaf(bundle, key)
    chain = _ordered(leaf, [c.certificate for c in bundle.additional_certs])
    check_chain(chain, now, FIELD)
    return checked_pair(chain, key, FIELD)
