"""Whether a certificate names the hosts clients are given, matched the way browsers match them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reelhouse.domain.network import strip_port


@dataclass(frozen=True)
class HostCoverage:
    checked: tuple[str, ...]
    uncovered: tuple[str, ...]

    @property
    def covers_all(self) -> bool:
        return not self.uncovered

    @property
    def warning(self) -> str | None:
        if not self.uncovered:
            return None
        if len(self.uncovered) == 1:
            return (
                f"This certificate does not name {self.uncovered[0]}, so browsers will warn when you "
                "connect by that name."
            )
        listed = ", ".join(self.uncovered[:-1]) + f" and {self.uncovered[-1]}"
        return (
            f"This certificate does not name {listed}, so browsers will warn when you connect by those names."
        )


def client_names(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The names clients are told to use: the hosts of the public URLs, then the allowed hosts. The
    machine's own names are left out: the server's own certificate names them, and a certificate for a
    public domain is not expected to."""
    names: list[str] = []
    for url in values["public_urls"]:
        host = urlsplit(url).hostname
        if host:
            names.append(host.rstrip("."))
    names += [strip_port(host) for host in values["allowed_hosts"]]
    return tuple(dict.fromkeys(n for n in names if n))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _dns_matches(pattern: str, host: str) -> bool:
    """RFC 6125 as browsers apply it: a wildcard is the whole left-most label and stands for exactly one
    label, so *.example.net names a.example.net but neither example.net nor a.b.example.net."""
    pattern = pattern.lower().rstrip(".")
    if pattern == host:
        return True
    if not pattern.startswith("*.") or host.startswith("*."):
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == pattern[2:] and "*" not in rest


def covers(cert_names: Iterable[str], host: str) -> bool:
    """cert_names are the certificate's subject alternative names, DNS names and IP addresses as text;
    the common name is not consulted, as browsers no longer do."""
    names = tuple(cert_names)
    address = _address(host)
    if address is not None:
        return any(_address(name) == address for name in names)
    # An allowed-hosts pattern such as *.example.net is covered only by the same wildcard.
    return any(_dns_matches(name, host) for name in names if _address(name) is None)


def coverage(cert_names: Iterable[str], values: Mapping[str, Any]) -> HostCoverage:
    names = tuple(cert_names)
    checked = client_names(values)
    return HostCoverage(checked, tuple(host for host in checked if not covers(names, host)))
