"""Wire shapes of the privacy report, the server certificate and the owner's uploaded one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FactOut(BaseModel):
    topic: str
    finding: str
    detail: dict[str, Any]


class PrivacyOut(BaseModel):
    facts: list[FactOut]


class HostCheckOut(BaseModel):
    """Whether the certificate names every host clients are given; a warning, never a refusal."""

    covers_all: bool = Field(description="True when the certificate names every name checked.")
    checked: list[str] = Field(description="The hosts of the public URLs, then the allowed hosts.")
    uncovered: list[str] = Field(description="The checked names the certificate does not name.")
    warning: str | None = Field(description="A sentence for people when some name is not covered.")


class CertificateOut(BaseModel):
    source: str
    fingerprint_sha256: str
    subject: str
    names: list[str]
    not_before: str
    not_after: str
    host_check: HostCheckOut | None = Field(
        default=None, description="Only for those who may read the settings; null for everyone else."
    )


class AuthorityOut(BaseModel):
    """The server's own certificate authority: install it on a device and browsers trust the certificates
    this server issues itself."""

    fingerprint_sha256: str = Field(description="Compare with what the device shows when installing it.")
    subject: str
    not_after: str
    download: str = Field(description="Where the CA certificate is downloaded as PEM, for signed-in users.")


class TlsOut(BaseModel):
    """Whether HTTPS is served at all, asked before anything about its certificate."""

    https_port: int | None = Field(description="The HTTPS listener's port; null when none is open.")
    certificate_source: str | None = Field(
        description="`generated` or `user` for the certificate in use; null when no HTTPS listener is open."
    )
    authority: AuthorityOut | None = Field(
        description="The server's own CA; null until it has issued a certificate."
    )


class CertificateIn(BaseModel):
    """One of two forms: PEM text as pasted or read from files, or a PKCS#12 file as base64. The service
    checks sizes, contents and that exactly one form was sent, field by field."""

    # Exactly one form, said in the schema too, for clients generated from it.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["certificate", "private_key"]}, {"required": ["pkcs12"]}]}
    )

    certificate: str | None = Field(
        default=None, description="The certificate chain in PEM: the server's certificate first."
    )
    private_key: str | None = Field(
        default=None, description="The certificate's private key in PEM; never stored encrypted."
    )
    pkcs12: str | None = Field(
        default=None,
        description="Instead of the two PEM fields: a PKCS#12 file (.p12 or .pfx) holding the certificate, "
        "its chain and its private key, encoded as base64.",
    )
    passphrase: str | None = Field(
        default=None, description="Only when the private key or the PKCS#12 file is protected by one."
    )
