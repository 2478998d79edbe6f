"""What the receiving server keeps in the audit entry of a change a linked server made over its link."""

from __future__ import annotations

from typing import Any


def traced(detail: dict[str, Any], body: dict[str, Any], evidence: dict[str, str] | None) -> dict[str, Any]:
    """``detail`` with the sender's request id (so both servers' entries name the same change) and the signed
    request as received (so the change can be proved later with the sender's public key alone)."""
    request_id = body.get("request_id")
    if isinstance(request_id, str) and 8 <= len(request_id) <= 64:
        detail["request_id"] = request_id
    return detail if evidence is None else {**detail, "signed_request": evidence}
