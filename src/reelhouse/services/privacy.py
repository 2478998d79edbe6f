"""The privacy report: whether and how the server can be reached from outside, from what it checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelhouse.config import DEFAULT_HTTPS_PORT
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
        port_forwarded: Callable[[], bool] = lambda: False,
    ) -> None:
        self._db = db
        self._repo = repo
        self._settings = settings
        self._certificates = certificates
        self._listeners = listeners
        self._port_mapping = port_mapping
        self._port_forwarded = port_forwarded

    def report(self, actor: Actor) -> list[Fact]:
        if not can(actor, Action.MANAGE_SETTINGS):
            raise PermissionDenied("Only admins can see the privacy report.")
        values = self._settings.values
        with self._db.read() as conn:
            accounts = self._repo.remote_accounts(conn)
            home_only = self._repo.home_only_accounts(conn)
            invitations = self._repo.open_invitations(conn)
        listeners = self._listeners()
        outside = [item for item in listeners if _reach(item.address) != "this machine only"]
        no_https = bool(listeners) and not any(item.scheme == "https" for item in listeners)
        if not values["remote_access"]:
            remote = "off: clients outside the home network get a bare refusal"
        elif no_https:
            remote = (
                "on, but no HTTPS listener is open, so clients outside the home network are still refused"
            )
        else:
            remote = "on: clients outside the home network may connect over HTTPS"
        facts = [
            friend_access(
                values,
                listeners,
                forwarded=self._port_forwarded(),
                router=self._port_mapping(),
                home_only=[str(a["username"]) for a in home_only],
            ),
            Fact(
                "remote_access",
                remote,
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
                f"{len(accounts)} {'account' if len(accounts) == 1 else 'accounts'} may connect from outside"
                + ("" if values["remote_access"] else " once remote access is on"),
                {"accounts": accounts},
            ),
            Fact(
                "open_invitations",
                f"{invitations} open {'invitation' if invitations == 1 else 'invitations'}",
                {"count": invitations},
            ),
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


def friend_access(
    values: dict[str, Any], listeners: list[Listener], *, forwarded: bool, router: str, home_only: list[str]
) -> Fact:
    """What still stops a friend outside the home network from connecting: one sentence per obstacle, each
    saying what to do about it. The server cannot see the router or a reverse proxy, so the port forward
    sentence says so instead of claiming the forward is missing."""
    blockers: list[tuple[str, str]] = []
    https = [item for item in listeners if item.scheme == "https"]
    port = https[0].port if https else DEFAULT_HTTPS_PORT
    proxied = bool(values["trusted_proxies"])
    if not values["remote_access"]:
        blockers.append(
            (
                "remote_access",
                "Remote Access is off, so everyone outside the home network is refused: turn on "
                "'Enable remote access' on the Remote Access page.",
            )
        )
    if not listeners:
        blockers.append(
            (
                "not_running",
                "The server is not running, so nobody can connect: start it with 'reelhouse serve' "
                "(or ./scripts/serve).",
            )
        )
    elif not https and not proxied:
        blockers.append(
            (
                "https_listener",
                "No HTTPS listener is open, and friends outside are only ever served over HTTPS: restart the "
                f"server with an HTTPS port (the https_port setting, {DEFAULT_HTTPS_PORT} unless turned off).",
            )
        )
    elif https and all(_reach(item.address) == "this machine only" for item in https) and not proxied:
        blockers.append(
            (
                "https_listener",
                f"The HTTPS listener accepts connections from this machine only ({https[0].address}): "
                "restart the server with host 0.0.0.0 so that other machines can reach it.",
            )
        )
    if not values["public_urls"]:
        blockers.append(
            (
                "public_url",
                "No public URL is set, so a friend has no address to reach from outside and invitation links "
                f"carry a home-network one: add the address friends use (such as https://your-name.example:{port}) "
                "to Public URLs on the General page.",
            )
        )
    if not forwarded and not proxied:
        how = (
            f"the router has not confirmed a forward ({router}): check that UPnP is on in the router, or"
            if values["port_mapping"]
            else "turn on 'Ask the router to forward a port (UPnP)' on the Remote Access page, or"
        )
        blockers.append(
            (
                "port_forward",
                f"No port forward to HTTPS port {port} is known: {how} forward TCP port {port} on the router "
                "to this machine by hand (if you already did, this line is only a reminder).",
            )
        )
    if home_only:
        count = len(home_only)
        who = f"{count} account{'' if count == 1 else 's'} ({', '.join(home_only)})"
        blockers.append(
            (
                "remote_permission",
                f"{who} may not connect from outside: tick 'May connect from outside the home network' for "
                "each friend under Users & Sharing.",
            )
        )
    if blockers:
        finding = " ".join(sentence for _, sentence in blockers)
    else:
        finding = (
            f"nothing on this server stops a friend from connecting: they open {values['public_urls'][0]} "
            "and sign in with the account their invitation made."
        )
    return Fact(
        "friend_access",
        finding,
        {"ready": not blockers, "blockers": [{"check": c, "sentence": t} for c, t in blockers]},
    )
