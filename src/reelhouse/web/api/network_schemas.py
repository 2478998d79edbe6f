"""Wire shapes of the privacy report, the server certificate and the owner's uploaded one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FactOut(BaseModel):
    topic: str
    finding: str
    detail: dict[str, Any]


class PrivacyOut(BaseModel):
    facts: list[FactOut]


class CertificateOut(BaseModel):
    source: str
    fingerprint_sha256: str
    subject: str
    names: list[str]
    not_before: str
    not_after: str


class CertificateIn(BaseModel):
    """PEM text as pasted or read from files; the service checks sizes and contents field by field."""

    certificate: str = Field(description="The certificate chain in PEM: the server's certificate first.")
    private_key: str = Field(description="The certificate's private key in PEM; never stored encrypted.")
    passphrase: str | None = Field(default=None, description="Only when the private key is encrypted.")
