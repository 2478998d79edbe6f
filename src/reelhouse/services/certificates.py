"""The server's TLS identity: its own CA and server certificate, or the user's, and the live SSLContext."""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import os
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reelhouse.errors import ConfigError, InvalidInput

LIFETIME_DAYS = 365
RENEW_BEFORE_DAYS = 30
# Mozilla "intermediate" (v5.7) with the DHE suites left out: ECDHE and AEAD only.
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)
# Python 3.11's ssl module sets one key-exchange group (set_ecdh_curve); OpenSSL's default list offers more
# than the profile allows (X448, P-521, FFDHE). P-256 is the profile's group every TLS client supports;
# a client that offers only an X25519 key share is asked once (HelloRetryRequest) for P-256.
GROUP = "prime256v1"

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CertificateInfo:
    source: str  # "generated" or "user"
    fingerprint_sha256: str
    subject: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime


def describe(cert: x509.Certificate, source: str) -> CertificateInfo:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(v) for v in sans.get_values_for_type(x509.DNSName))
        names += tuple(str(v) for v in sans.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateInfo(
        source=source,
        fingerprint_sha256=fingerprint(cert),
        subject=cert.subject.rfc4514_string(),
        names=names,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def intermediate_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    context.set_ecdh_curve(GROUP)
    return context


def local_addresses() -> list[str]:
    """This machine's own addresses, read from the kernel (Linux) rather than DNS, which may block or lie."""
    found: list[str] = []
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        lines = []
    for previous, line in itertools.pairwise(lines):
        if line.strip() == "/32 host LOCAL":
            candidate = previous.strip().removeprefix("|-- ").strip()
            if candidate not in found:
                found.append(candidate)
    try:
        v6 = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        v6 = []
    for row in v6:
        raw = row.split()[0]
        address = ipaddress.IPv6Address(int(raw, 16))
        if not address.is_link_local and str(address) not in found:
            found.append(str(address))
    return found


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(path.suffix + ".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        # A leftover temporary file keeps its old mode through O_CREAT, so set it again.
        os.fchmod(out.fileno(), 0o600)
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(path.with_suffix(path.suffix + ".tmp"), path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class CertificateService:
    """Files live in <data>/certificates; a user's own cert goes in its custom/ folder as cert.pem +
    key.pem or server.p12 (password, if any, in server.p12.password) and wins over the generated one."""

    def __init__(
        self,
        directory: Path,
        names: Sequence[str],
        addresses: Sequence[str],
        clock: Clock = _now,
        lifetime_days: int = LIFETIME_DAYS,
        renew_before_days: int = RENEW_BEFORE_DAYS,
    ) -> None:
        self.directory = directory
        self.custom = directory / "custom"
        self._names = tuple(dict.fromkeys(n for n in names if n))
        self._addresses = tuple(dict.fromkeys(addresses))
        self._clock = clock
        self._lifetime = dt.timedelta(days=min(lifetime_days, 366))
        self._renew_before = dt.timedelta(days=renew_before_days)
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._current: ssl.SSLContext | None = None
        self._seen: tuple[tuple[str, float, int], ...] = ()
        self.info: CertificateInfo | None = None

    # Files ------------------------------------------------------------------------------------
    def _custom_files(self) -> tuple[Path, ...]:
        candidates = (self.custom / "cert.pem", self.custom / "key.pem", self.custom / "server.p12")
        return tuple(p for p in candidates if p.is_file())

    def _stamp(self) -> tuple[tuple[str, float, int], ...]:
        files = (*self._custom_files(), self.directory / "server.pem")
        return tuple((str(p), p.stat().st_mtime, p.stat().st_size) for p in files if p.is_file())

    def _ca(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path, cert_path = self.directory / "ca.key", self.directory / "ca.pem"
        if key_path.is_file() and cert_path.is_file():
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if isinstance(key, ec.EllipticCurvePrivateKey) and cert.not_valid_after_utc > self._clock():
                return key, cert
        key = ec.generate_private_key(ec.SECP256R1())
        now = self._clock()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Reelhouse local CA")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(key_path, _key_pem(key))
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    def _issue(self) -> None:
        ca_key, ca_cert = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        now = self._clock()
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in self._names]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in self._addresses]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self._names[0])]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + self._lifetime - dt.timedelta(minutes=5))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
            serialization.Encoding.PEM
        )
        _write_private(self.directory / "server.key", _key_pem(key))
        _write_private(self.directory / "server.pem", chain)

    def _active_files(self) -> tuple[Path, Path, str]:
        """The chain and key to load, converting PKCS#12 to PEM since OpenSSL loads files."""
        if (self.custom / "cert.pem").is_file() and (self.custom / "key.pem").is_file():
            return self.custom / "cert.pem", self.custom / "key.pem", "user"
        p12 = self.custom / "server.p12"
        if p12.is_file():
            secret = self.custom / "server.p12.password"
            password = secret.read_bytes().strip() if secret.is_file() else None
            try:
                key, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), password)
            except ValueError as exc:
                raise ConfigError(f"{p12} cannot be read: {exc}") from None
            if key is None or cert is None:
                raise ConfigError(f"{p12} must hold a certificate and its private key")
            pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, *(extra or ())))
            _write_private(self.directory / "p12-chain.pem", pem)
            _write_private(
                self.directory / "p12-key.pem",
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
            return self.directory / "p12-chain.pem", self.directory / "p12-key.pem", "user"
        server = self.directory / "server.pem"
        if not server.is_file() or self._stale(x509.load_pem_x509_certificate(server.read_bytes())):
            self._issue()
        return server, self.directory / "server.key", "generated"

    def _stale(self, cert: x509.Certificate) -> bool:
        """Due for renewal, or no longer naming every host name and address the server has."""
        if cert.not_valid_after_utc - self._renew_before <= self._clock():
            return True
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return True
        named = set(sans.get_values_for_type(x509.DNSName))
        named |= {str(a) for a in sans.get_values_for_type(x509.IPAddress)}
        return not set(self._names) | set(self._addresses) <= named

    # The live context -------------------------------------------------------------------------
    def context(self) -> ssl.SSLContext:
        """The context the listener holds. Each handshake is moved to the newest loaded context by the SNI
        callback (called with or without SNI), because loading a certificate of another key type into a
        live context adds it beside the old one (OpenSSL keeps one per key type) and clients may still
        be handed the old one."""
        with self._lock:
            if self._context is None:
                self._load()
                self._context = self._current
                assert self._context is not None
                self._context.sni_callback = self._choose
            return self._context

    def _choose(
        self, connection: ssl.SSLObject | ssl.SSLSocket, _name: str | None, _ctx: ssl.SSLContext
    ) -> None:
        current = self._current
        if current is not None and connection.context is not current:
            connection.context = current

    def _load(self) -> None:
        """Load the active files into a fresh context; the one in use is kept when this fails."""
        chain, key, source = self._active_files()
        context = intermediate_context()
        try:
            context.load_cert_chain(chain, key)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"cannot load the TLS certificate {chain}: {exc}") from None
        self.info = describe(x509.load_pem_x509_certificates(chain.read_bytes())[0], source)
        self._current = context
        self._seen = self._stamp()

    def refresh(self) -> bool:
        """Reload when the user's files changed or the generated certificate is due for renewal. New
        handshakes use the new certificate at once; connections already open keep theirs."""
        with self._lock:
            if self._context is None or self.info is None:
                return False
            due = (
                self.info.source == "generated" and self.info.not_after - self._renew_before <= self._clock()
            )
            if not due and self._stamp() == self._seen:
                return False
            self._load()
            return True

    # The server's own certificate authority --------------------------------------------------------
    def authority(self) -> tuple[bytes, CertificateInfo] | None:
        """The CA that signs the generated certificate, as PEM and described: what a device installs to
        trust this server without a warning. None until the first certificate was issued."""
        try:
            pem = (self.directory / "ca.pem").read_bytes()
        except FileNotFoundError:
            return None
        cert = x509.load_pem_x509_certificate(pem)
        # Written back from the parsed certificate, so only the certificate leaves, whatever else the file holds.
        return cert.public_bytes(serialization.Encoding.PEM), describe(cert, "authority")

    # The user's own certificate -------------------------------------------------------------------
    def install(self, chain_pem: bytes, key_pem: bytes) -> CertificateInfo:
        """Make an already validated chain and key the user's certificate. OpenSSL loads them into a
        scratch context before they replace anything, so a pair it refuses never reaches the listener."""
        with self._lock:
            self.custom.mkdir(parents=True, exist_ok=True)
            os.chmod(self.custom, 0o700)
            staged = (self.custom / "cert.pem.new", self.custom / "key.pem.new")
            try:
                _write_private(staged[0], chain_pem)
                _write_private(staged[1], key_pem)
                try:
                    intermediate_context().load_cert_chain(*staged)
                except ssl.SSLError as exc:
                    raise InvalidInput(
                        f"The TLS library refused this certificate and key: {exc.reason or exc}.",
                        {"certificate": "OpenSSL cannot use this certificate with this key."},
                    ) from None
                for path in self._user_files():
                    path.unlink(missing_ok=True)
                # The key goes first: a reader that sees the new certificate must also see its key.
                os.replace(staged[1], self.custom / "key.pem")
                os.replace(staged[0], self.custom / "cert.pem")
            finally:
                for path in staged:
                    path.unlink(missing_ok=True)
            info = describe(x509.load_pem_x509_certificates(chain_pem)[0], "user")
            if self._context is not None:
                self._load()
            return info

    def revert(self) -> bool:
        """Go back to the server's own certificate; False when no user certificate was installed."""
        with self._lock:
            found = [path for path in self._user_files() if path.exists()]
            for path in found:
                path.unlink()
            if found and self._context is not None:
                self._load()
            return bool(found)

    def _user_files(self) -> tuple[Path, ...]:
        names = ("server.p12", "server.p12.password", "cert.pem", "key.pem")
        return (
            *(self.custom / n for n in names),
            self.directory / "p12-chain.pem",
            self.directory / "p12-key.pem",
        )
