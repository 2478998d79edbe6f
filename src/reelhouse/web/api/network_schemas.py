"""Wire shapes of the privacy report and the server certificate."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
