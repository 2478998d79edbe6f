"""The privacy report: whether and how the server can be reached from outside, from what it checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelhouse.domain.access import Action, Actor, can
from reelhouse.errors import PermissionDenied
from reelhouse.persistence.database import Database
from reelhouse.persistence.privacy import PrivacyRepository
from reelhouse.services.certificates import CertificateService
from reelhouse.services.settings import SettingsService


@dataclass(frozen=True)
class Listener:
    scheme: str
    address: str
    port: int


@dataclass(frozen=True)
class Fact:
    topic: str
    finding: str
    detail: dict[str, Any] = field(default_factory=dict)


def _reach(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "named host"
    if ip.is_unspecified:
        return "every interface"
    if ip.is_loopback:
        return "this machine only"
    return "private network" if ip.is_private else "public address"


class PrivacyService:
    def __init__(
        self,
        db: Database,
        repo: PrivacyRepository,
        settings: SettingsService,
        certificates: CertificateService,
        listeners: Callable[[], list[Listener]],
        port_mapping: Callable[[], str],
    ) -> None:
        self._db = db
        self._repo = repo
        self._settings = settings
        self._certificates = certificates
        self._listeners = listeners
        self._port_mapping = port_mapping

    def report(self, actor: Actor) -> list[Fact]:
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can see the privacy report.")
        values = self._settings.values
        with self._db.read() as conn:
            accounts = self._repo.remote_accounts(conn)
            invitations = self._repo.open_invitations(conn)
        listeners = self._listeners()
        outside = [item for item in listeners if _reach(item.address) != "this machine only"]
        facts = [
            Fact(
                "remote_access",
                "on: clients outside the home network are served"
                if values["remote_access"]
                else "off: clients outside the home network get a bare refusal",
                {"enabled": bool(values["remote_access"]), "lan_networks": list(values["lan_networks"])},
            ),
            Fact("port_mapping", self._port_mapping(), {"setting": bool(values["port_mapping"])}),
            Fact(
                "public_urls",
                ", ".join(values["public_urls"]) or "none are published",
                {"urls": list(values["public_urls"])},
            ),
            Fact(
                "listeners",
                "; ".join(
                    f"{item.scheme}://{item.address}:{item.port} ({_reach(item.address)})"
                    for item in listeners
                )
                or "no listener is open",
                {
                    "listeners": [item.__dict__ for item in listeners],
                    "reachable_beyond_this_machine": bool(outside),
                },
            ),
            self._tls_fact(values, listeners),
            Fact(
                "trusted_proxies",
                ", ".join(values["trusted_proxies"]) or "none: forwarded headers are ignored",
                {"proxies": list(values["trusted_proxies"])},
            ),
            Fact(
                "remote_accounts",
                f"{len(accounts)} account(s) may connect from outside"
                + ("" if values["remote_access"] else " once remote access is on"),
                {"accounts": accounts},
            ),
            Fact("open_invitations", f"{invitations} open invitation(s)", {"count": invitations}),
        ]
        return facts

    def _tls_fact(self, values: dict[str, Any], listeners: list[Listener]) -> Fact:
        mode = values["secure_connections"]
        https = [item for item in listeners if item.scheme == "https"]
        info = self._certificates.info
        if not https or info is None:
            return Fact("tls", f"secure connections '{mode}', but no HTTPS listener is open", {"mode": mode})
        return Fact(
            "tls",
            f"secure connections '{mode}'; {info.source} certificate {info.fingerprint_sha256}, "
            f"valid until {info.not_after.date().isoformat()}",
            {
                "mode": mode,
                "source": info.source,
                "fingerprint_sha256": info.fingerprint_sha256,
                "not_after": info.not_after.isoformat(),
                "names": list(info.names),
            },
        )
