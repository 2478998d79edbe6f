"""This server's long-term peer key: Ed25519, 0600 in the data folder, with a self-signed certificate for the
peer listener that names nothing about the machine. Separate from the HTTPS certificate browsers see, which
may rotate; links pin this key's fingerprint, so renewing that certificate changes nothing."""

from __future__ import annotations

import datetime
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from reelhouse.domain.peers import fingerprint, server_id

_VALID_YEARS = 10


def _write_private(path: Path, data: bytes, replace: bool = False) -> None:
    """Written atomically, readable only by the server's user. Without ``replace`` a concurrent start keeps
    the first file made (link fails on an existing name)."""
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, data)
        os.fsync(handle)
        os.close(handle)
        if replace:
            os.replace(partial, path)
        else:
            try:
                os.link(partial, path)
            except FileExistsError:
                pass
    finally:
        Path(partial).unlink(missing_ok=True)


@dataclass(frozen=True)
class PeerIdentity:
    key: Ed25519PrivateKey
    key_path: Path
    cert_path: Path

    @property
    def spki(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.spki)

    @property
    def server_id(self) -> str:
        return server_id(self.fingerprint)

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def server_context(self) -> ssl.SSLContext:
        """TLS 1.3 only, presenting the peer certificate. Clients are not asked for one: requests are signed
        with the same key, which survives what a client certificate would not."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def load_identity(folder: Path) -> PeerIdentity:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    if not key_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(key_path, pem)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path} is not an Ed25519 key")
    if not cert_path.exists() or _cert_key(cert_path) != key.public_key():
        _write_private(cert_path, _self_signed(key), replace=True)
    return PeerIdentity(key, key_path, cert_path)


def install_key(identity: PeerIdentity, key: Ed25519PrivateKey) -> PeerIdentity:
    """Make ``key`` this server's peer key (a rotation): the key file first, then its certificate, each
    replaced atomically; a start between the two makes the certificate again from the key."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(identity.key_path, pem, replace=True)
    _write_private(identity.cert_path, _self_signed(key), replace=True)
    return PeerIdentity(key, identity.key_path, identity.cert_path)


def _cert_key(path: Path) -> Ed25519PublicKey | None:
    try:
        public = x509.load_pem_x509_certificate(path.read_bytes()).public_key()
    except ValueError:
        return None
    return public if isinstance(public, Ed25519PublicKey) else None


def _self_signed(key: Ed25519PrivateKey) -> bytes:
    # The name says only what it is: no host name or address, which a stranger's handshake would read.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reelhouse peer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * _VALID_YEARS))
        .sign(key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def spki_of_certificate(der: bytes) -> bytes:
    """The SubjectPublicKeyInfo of a certificate seen on a connection (DER), for its fingerprint."""
    return (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
