"""The owner's own TLS certificate: an upload in one of its two forms, installed, reverted and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from reelhouse.domain.access import Action, Actor, can
from reelhouse.domain.certificate_names import HostCoverage, coverage
from reelhouse.errors import InvalidInput, PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.services.audit import AuditService
from reelhouse.services.certificate_checks import CheckedUpload, check_upload
from reelhouse.services.certificate_pkcs12 import check_pkcs12
from reelhouse.services.certificates import CertificateInfo, CertificateService

BOTH_FORMS = "Send either the PKCS#12 file or the PEM certificate and private key, not both."


def _given(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def check_form(
    certificate: str | None,
    private_key: str | None,
    pkcs12: str | None,
    passphrase: str | None,
    now: dt.datetime,
) -> CheckedUpload:
    """Exactly one form: a PEM chain and key, or a base64 PKCS#12 bundle; blank fields count as absent,
    as a form sends them."""
    pem = [
        name for name, value in (("certificate", certificate), ("private_key", private_key)) if _given(value)
    ]
    if _given(pkcs12) and pem:
        raise InvalidInput("Two forms of certificate were sent.", dict.fromkeys(("pkcs12", *pem), BOTH_FORMS))
    if pkcs12 is not None and _given(pkcs12):
        return check_pkcs12(pkcs12, passphrase, now)
    if not pem:
        raise InvalidInput(
            "No certificate was sent.",
            {
                "certificate": "Paste the certificate chain in PEM form, starting with the server's own.",
                "pkcs12": "Or send a PKCS#12 file (.p12 or .pfx) instead, as base64.",
            },
        )
    return check_upload(certificate or "", private_key or "", passphrase, now)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CertificateUpload:
    """Installs or removes the owner's certificate on the live listener; the audit log records which
    certificate (fingerprint, subject, dates) and never the key."""

    def __init__(
        self,
        db: Database,
        audit: AuditService,
        certificates: CertificateService,
        clock: Callable[[], dt.datetime] = _now,
        settings: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self._db = db
        self._audit = audit
        self._certificates = certificates
        self._clock = clock
        self._settings = settings

    def install(
        self,
        actor: Actor,
        *,
        certificate: str | None = None,
        private_key: str | None = None,
        pkcs12: str | None = None,
        passphrase: str | None = None,
        address: str | None = None,
    ) -> CertificateInfo:
        """Either form ends as the same PEM chain and unencrypted key, written and audited alike."""
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can change the server's certificate.")
        checked = check_form(certificate, private_key, pkcs12, passphrase, self._clock())
        detail = {"form": "pkcs12" if _given(pkcs12) else "pem"}
        with self._db.begin() as conn:
            # Installed inside the transaction: if the files cannot be written, no entry claims they were.
            info = self._certificates.install(checked.chain_pem, checked.key_pem)
            self._audit.record(
                conn, actor, "certificate.install", info.fingerprint_sha256, detail | _detail(info), address
            )
        return info

    def host_coverage(self, actor: Actor, info: CertificateInfo) -> HostCoverage | None:
        """Which of the names clients are given (public URLs, allowed hosts) the certificate leaves out.
        Those names are settings, so only someone who may read the settings is told; None otherwise."""
        if self._settings is None or not can(actor, Action.MANAGE_SETTINGS):
            return None
        return coverage(info.names, self._settings())

    def revert(self, actor: Actor, address: str | None = None) -> bool:
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can change the server's certificate.")
        with self._db.begin() as conn:
            removed = self._certificates.revert()
            if removed:
                self._audit.record(conn, actor, "certificate.revert", None, {"source": "generated"}, address)
        return removed


def _detail(info: CertificateInfo) -> dict[str, object]:
    return {
        "subject": info.subject,
        "names": list(info.names),
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
    }
