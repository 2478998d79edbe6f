"""Who is asking from where: classify a peer as local, LAN or remote, and the network gate's decision."""

from __future__ import annotations

import enum
import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reelhouse.domain.settings import FilterMode, SecureConnections

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Zone(enum.StrEnum):
    LOCAL = "local"
    LAN = "lan"
    REMOTE = "remote"


class Verdict(enum.StrEnum):
    ALLOW = "allow"
    REMOTE_ACCESS_OFF = "remote_access_off"
    FILTERED = "filtered"
    UNKNOWN_HOST = "unknown_host"
    REDIRECT_HTTPS = "redirect_https"
    PLAIN_HTTP_REFUSED = "plain_http_refused"


@functools.lru_cache(maxsize=4096)
def parse_address(text: str | None) -> Address | None:
    """An address as a socket or a header gives it; IPv4-mapped IPv6 becomes plain IPv4, zone ids go."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        # "1.2.3.4:5678" as some proxies write it; a bare IPv6 address has more than one colon.
        candidate = candidate.split(":", 1)[0]
    candidate = candidate.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _networks(entries: Iterable[str]) -> tuple[tuple[Network, ...], tuple[Network, ...]]:
    included: list[Network] = []
    excluded: list[Network] = []
    for entry in entries:
        target = excluded if entry.startswith("!") else included
        target.append(ipaddress.ip_network(entry.removeprefix("!"), strict=False))
    return tuple(included), tuple(excluded)


def _within(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


@dataclass(frozen=True)
class NetworkPolicy:
    """The gate's view of the runtime settings, parsed once per change rather than per request."""

    remote_access: bool = False
    lan: tuple[Network, ...] = ()
    lan_excluded: tuple[Network, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    filter_mode: FilterMode = FilterMode.OFF
    ip_filter: tuple[Network, ...] = ()
    secure: SecureConnections = SecureConnections.PREFERRED
    hosts: frozenset[str] = frozenset()
    host_patterns: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, values: Mapping[str, Any], machine_names: Iterable[str] = ()) -> NetworkPolicy:
        lan, lan_excluded = _networks(values["lan_networks"])
        proxies, _ = _networks(values["trusted_proxies"])
        ip_filter, _ = _networks(values["remote_ip_filter"])
        names = {n.lower().rstrip(".") for n in machine_names if n}
        names.add("localhost")
        for url in values["public_urls"]:
            host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
            names.add(strip_port(host))
        patterns: list[str] = []
        for host in values["allowed_hosts"]:
            if host.startswith("*."):
                patterns.append(host[1:])
            else:
                names.add(strip_port(host))
        return cls(
            remote_access=bool(values["remote_access"]),
            lan=lan,
            lan_excluded=lan_excluded,
            trusted_proxies=proxies,
            filter_mode=FilterMode(values["remote_ip_filter_mode"]),
            ip_filter=ip_filter,
            secure=SecureConnections(values["secure_connections"]),
            hosts=frozenset(names),
            host_patterns=tuple(patterns),
        )

    def zone_of(self, address: Address) -> Zone:
        if _within(address, self.lan_excluded) or not _within(address, self.lan):
            return Zone.REMOTE
        return Zone.LOCAL if address.is_loopback else Zone.LAN

    def trusts(self, address: Address | None) -> bool:
        return address is not None and _within(address, self.trusted_proxies)


@dataclass(frozen=True)
class Peer:
    """The real client as far as the server can tell, and whether a trusted proxy vouched for TLS."""

    address: Address | None
    zone: Zone
    via_proxy: bool = False

    @property
    def text(self) -> str | None:
        return None if self.address is None else str(self.address)


def classify(peer: str | None, forwarded_for: str | None, policy: NetworkPolicy) -> Peer:
    """X-Forwarded-For counts only when the socket peer is a trusted proxy; then the right-most hop
    that is not itself a trusted proxy is the client, since everything left of it is client-written."""
    address = parse_address(peer)
    if address is None:
        return Peer(None, Zone.REMOTE)
    if not forwarded_for or not policy.trusts(address):
        return Peer(address, policy.zone_of(address))
    hops = [h for h in (part.strip() for part in forwarded_for.split(",")) if h]
    client = address
    for hop in reversed(hops):
        parsed = parse_address(hop)
        if parsed is None:
            # A garbled hop after the proxies: nobody vouches for the client, so fail closed.
            return Peer(None, Zone.REMOTE, via_proxy=True)
        client = parsed
        if not policy.trusts(parsed):
            break
    return Peer(client, policy.zone_of(client), via_proxy=True)


def strip_port(host: str) -> str:
    """A Host header's or allowed-hosts entry's name: lower case, no port, no brackets, no final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host_header: str | None, policy: NetworkPolicy) -> bool:
    """Against DNS rebinding: a browser sends the name it resolved, so only names we are known by pass."""
    if not host_header:
        return True
    host = strip_port(host_header)
    if parse_address(host) is not None:
        return True
    if host in policy.hosts:
        return True
    return any(host.endswith(suffix) and len(host) > len(suffix) for suffix in policy.host_patterns)


def filter_allows(address: Address | None, policy: NetworkPolicy) -> bool:
    if policy.filter_mode is FilterMode.OFF:
        return True
    if address is None:
        return False
    listed = _within(address, policy.ip_filter)
    return listed if policy.filter_mode is FilterMode.ALLOW else not listed


def decide(peer: Peer, policy: NetworkPolicy, *, host: str | None, tls: bool, page_request: bool) -> Verdict:
    """The gate's order: remote access, IP filter, Host allow-list, then the secure-connections rule."""
    remote = peer.zone is Zone.REMOTE
    if remote and not policy.remote_access:
        return Verdict.REMOTE_ACCESS_OFF
    if remote and not filter_allows(peer.address, policy):
        return Verdict.FILTERED
    if not host_allowed(host, policy):
        return Verdict.UNKNOWN_HOST
    if tls or policy.secure is SecureConnections.DISABLED:
        return Verdict.ALLOW
    if policy.secure is SecureConnections.REQUIRED or remote:
        return Verdict.REDIRECT_HTTPS if page_request else Verdict.PLAIN_HTTP_REFUSED
    return Verdict.ALLOW
