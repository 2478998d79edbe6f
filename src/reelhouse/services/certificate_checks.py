"""Strict checks of an uploaded certificate, as a PEM chain and key or a PKCS#12 bundle, each naming its field."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

from reelhouse.errors import InvalidInput

# A server certificate with a few intermediates is 2–8 KiB; the caps leave room and stop abuse.
MAX_CHAIN_BYTES = 64 * 1024
MAX_CHAIN_CERTIFICATES = 10
MAX_KEY_BYTES = 16 * 1024
MAX_PASSPHRASE_BYTES = 1024
MIN_RSA_BITS = 2048
# Larger RSA keys make every handshake slow enough to be a denial of service on a small server.
MAX_RSA_BITS = 8192
CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}
KEY_RULE = "use an RSA key of 2048 to 8192 bits or an ECDSA key on P-256 or P-384"
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class CheckedUpload:
    chain_pem: bytes
    key_pem: bytes
    leaf: x509.Certificate


def key_problem(key: PublicKeyTypes | PrivateKeyTypes, whose: str) -> str | None:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
            return None
        return f"{whose} is an RSA key of {key.key_size} bits; {KEY_RULE}."
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name in CURVES:
            return None
        return f"{whose} is an ECDSA key on the curve {key.curve.name}; {KEY_RULE}."
    kind = type(key).__name__.removeprefix("_").removesuffix("PublicKey").removesuffix("PrivateKey")
    return f"{whose} is of the type {kind}; {KEY_RULE}."


def spki(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def passphrase_bytes(passphrase: str | None) -> bytes | None:
    secret = passphrase.encode() if passphrase else None
    if secret is not None and len(secret) > MAX_PASSPHRASE_BYTES:
        raise InvalidInput(
            "The passphrase is too long.",
            {"passphrase": f"The passphrase is over {MAX_PASSPHRASE_BYTES} bytes."},
        )
    return secret


def check_chain(chain: list[x509.Certificate], now: dt.datetime, field: str) -> None:
    """What the chain itself must be, whichever form it came in; `field` is the one to blame."""
    if len(chain) > MAX_CHAIN_CERTIFICATES:
        raise InvalidInput(
            "The certificate chain is too long.",
            {
                field: f"The chain has {len(chain)} certificates; at most {MAX_CHAIN_CERTIFICATES} are accepted."
            },
        )
    leaf = chain[0]
    if leaf.not_valid_after_utc <= now:
        raise InvalidInput(
            "The certificate has expired.",
            {field: f"The certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC."},
        )
    if leaf.not_valid_before_utc > now:
        raise InvalidInput(
            "The certificate is not valid yet.",
            {field: f"The certificate is not valid until {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."},
        )
    problem = key_problem(leaf.public_key(), "The certificate's key")
    if problem:
        raise InvalidInput("The certificate's key type is not accepted.", {field: problem})
    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    wanted = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if usage is not None and not wanted & set(usage):
        raise InvalidInput(
            "The certificate is not for servers.",
            {field: "The certificate's extended key usage does not include TLS server authentication."},
        )
    for number, (child, parent) in enumerate(itertools.pairwise(chain), start=1):
        if child.issuer != parent.subject:
            raise InvalidInput(
                "The certificate chain is out of order.",
                {
                    field: f"Certificate {number + 1} did not issue certificate {number}; put the "
                    "server certificate first, then each issuer in turn."
                },
            )


def checked_pair(chain: list[x509.Certificate], key: PrivateKeyTypes, field: str) -> CheckedUpload:
    """The key's own checks, then the pair as it will be stored: the chain in PEM, the key unencrypted."""
    problem = key_problem(key, "The private key")
    if problem:
        raise InvalidInput("The private key's type is not accepted.", {field: problem})
    if spki(key.public_key()) != spki(chain[0].public_key()):
        raise InvalidInput(
            "The private key does not match the certificate.",
            {field: "This private key does not belong to the certificate: their public keys differ."},
        )
    return CheckedUpload(
        chain_pem=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        leaf=chain[0],
    )


def _chain(text: str, now: dt.datetime) -> list[x509.Certificate]:
    raw = text.encode()
    if not raw.strip():
        raise InvalidInput(
            "The certificate is missing.",
            {"certificate": "Paste the certificate chain in PEM form, starting with the server's own."},
        )
    if len(raw) > MAX_CHAIN_BYTES:
        raise InvalidInput(
            "The certificate chain is too large.",
            {
                "certificate": f"The certificate chain is over {MAX_CHAIN_BYTES // 1024} KiB; send only the "
                "server certificate and its intermediates."
            },
        )
    if b"PRIVATE KEY-----" in raw:
        raise InvalidInput(
            "A private key was pasted as the certificate.",
            {
                "certificate": "This field holds a private key; put the key in the private key field and "
                "the certificate here."
            },
        )
    try:
        chain = x509.load_pem_x509_certificates(raw) if PEM_CERTIFICATE in raw else []
    except ValueError:
        chain = []
    if not chain:
        raise InvalidInput(
            "The certificate cannot be read.",
            {
                "certificate": "This is not a PEM certificate; it should start with "
                "-----BEGIN CERTIFICATE-----."
            },
        )
    check_chain(chain, now, "certificate")
    return chain


def _private_key(text: str, passphrase: str | None) -> PrivateKeyTypes:
    raw = text.encode()
    if not raw.strip():
        raise InvalidInput(
            "The private key is missing.",
            {"private_key": "Paste the certificate's private key in PEM form."},
        )
    if len(raw) > MAX_KEY_BYTES:
        raise InvalidInput(
            "The private key is too large.",
            {"private_key": f"The private key is over {MAX_KEY_BYTES // 1024} KiB; send only the key."},
        )
    secret = passphrase_bytes(passphrase)
    try:
        return serialization.load_pem_private_key(raw, secret)
    except TypeError:
        if secret is None:
            raise InvalidInput(
                "The private key is encrypted.",
                {"passphrase": "The private key is encrypted; enter its passphrase."},
            ) from None
        # A passphrase given for a key that is not encrypted is not needed: read the key without it.
        try:
            return serialization.load_pem_private_key(raw, None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            pass
    except (ValueError, UnsupportedAlgorithm):
        if secret is not None and b"ENCRYPTED" in raw:
            raise InvalidInput(
                "The passphrase is wrong.",
                {"passphrase": "This passphrase does not unlock the private key."},
            ) from None
    raise InvalidInput(
        "The private key cannot be read.",
        {
            "private_key": "This is not a PEM private key; it should start with -----BEGIN PRIVATE KEY----- "
            "or a similar line."
        },
    )


def check_upload(
    certificate: str, private_key: str, passphrase: str | None, now: dt.datetime
) -> CheckedUpload:
    """Every check an uploaded PEM pair must pass, with a sentence naming the field that fails."""
    chain = _chain(certificate, now)
    return checked_pair(chain, _private_key(private_key, passphrase), "private_key")
