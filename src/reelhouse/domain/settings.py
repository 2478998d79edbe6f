"""The registry of runtime settings: name, type, default, help and validation, in one table."""

from __future__ import annotations

import enum
import ipaddress
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reelhouse.domain.ids import looks_like_id
from reelhouse.errors import InvalidInput


class SecureConnections(enum.StrEnum):
    REQUIRED = "required"
    PREFERRED = "preferred"
    DISABLED = "disabled"


class GpuPolicy(enum.StrEnum):
    """Where a web node sends its HLS jobs when it has transcode workers (docs/scaling.md)."""

    OFF = "off"
    PREFER = "prefer"
    REQUIRE = "require"


class FilterMode(enum.StrEnum):
    OFF = "off"
    ALLOW = "allow"
    DENY = "deny"


DEFAULT_LAN = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
        return value.lower() in ("true", "on", "yes", "1")
    raise ValueError("must be true or false")


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _text(max_len: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        text = value.strip()
        if not text or len(text) > max_len or any(ord(c) < 32 for c in text):
            raise ValueError(f"must be 1 to {max_len} printable characters")
        return text

    return parse


def _enum(kind: type[enum.StrEnum]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        try:
            return kind(str(value)).value
        except ValueError:
            raise ValueError(f"must be one of {', '.join(m.value for m in kind)}") from None

    return parse


def _list_of(item: Callable[[str], str]) -> Callable[[Any], tuple[str, ...]]:
    def parse(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError("is not a valid list") from None
            else:
                value = [part for part in text.replace("\n", ",").split(",") if part.strip()]
        if not isinstance(value, list | tuple) or len(value) > 256:
            raise ValueError("must be a list of at most 256 entries")
        out: list[str] = []
        for entry in value:
            if not isinstance(entry, str):
                raise ValueError("entries must be text")
            normalised = item(entry.strip())
            if normalised not in out:
                out.append(normalised)
        return tuple(out)

    return parse


def _network(entry: str) -> str:
    negate = entry.startswith("!")
    try:
        net = ipaddress.ip_network(entry.removeprefix("!"), strict=False)
    except ValueError:
        raise ValueError(f"'{entry}' is not an address or network") from None
    return ("!" if negate else "") + str(net)


def _url(entry: str) -> str:
    parts = urlsplit(entry)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"'{entry}' is not an http(s) URL with a host")
    return entry.rstrip("/")


def _hostname(entry: str) -> str:
    host = entry.lower().rstrip(".")
    if not host or len(host) > 253 or not all(c.isalnum() or c in "-.*:[]" for c in host):
        raise ValueError(f"'{entry}' is not a host name")
    return host


def _library_id(entry: str) -> str:
    # Only the shape is checked: a library removed later must not make the saved list unreadable, so ids
    # that name no library are kept and ignored when Home's shelves are put in order.
    if not looks_like_id(entry):
        raise ValueError(f"'{entry}' is not a library id")
    return entry


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Any
    help: str
    parse: Callable[[Any], Any]
    section: str
    choices: tuple[str, ...] = ()  # an enum's values, for forms rendered elsewhere (a linked server's page)


# Settings that decide how people sign in: changed only by a password sign-in's session or the CLI, never by an
# API token (services/settings.py), and never over a link (domain/peers.py).
SIGN_IN_SETTINGS = frozenset({"require_2fa_for_admins"})

REGISTRY: tuple[Setting, ...] = (
    Setting(
        "server_name", "text", "Reelhouse", "The name clients and invitations show.", _text(64), "general"
    ),
    Setting(
        "home_shelf_order",
        "library_ids",
        (),
        'The order of Home\'s "Recently added" shelves, by library id; libraries not listed follow by name.',
        _list_of(_library_id),
        "general",
    ),
    Setting(
        "home_shelves_hidden",
        "library_ids",
        (),
        'Libraries whose "Recently added" shelf Home leaves out, for everyone.',
        _list_of(_library_id),
        "general",
    ),
    Setting(
        "remote_access",
        "bool",
        False,
        "Serve clients outside the home network. Off: they get a bare refusal and nothing else.",
        _bool,
        "remote_access",
    ),
    Setting(
        "port_mapping",
        "bool",
        False,
        "Ask the router (UPnP-IGD) for a port forward while remote access is on.",
        _bool,
        "remote_access",
    ),
    Setting(
        "remote_ip_filter_mode",
        "enum",
        FilterMode.OFF.value,
        "How the remote IP filter treats clients outside the home network: off, allow (only the addresses "
        "listed) or deny (all but those).",
        _enum(FilterMode),
        "remote_access",
        tuple(m.value for m in FilterMode),
    ),
    Setting(
        "remote_ip_filter",
        "networks",
        (),
        "Addresses or networks for the remote IP filter.",
        _list_of(_network),
        "remote_access",
    ),
    Setting(
        "lan_networks",
        "networks",
        DEFAULT_LAN,
        "What counts as the home network; prefix an entry with ! to exclude it.",
        _list_of(_network),
        "network",
    ),
    Setting(
        "trusted_proxies",
        "networks",
        (),
        "Proxies whose X-Forwarded-For/-Proto/-Host headers are believed; none by default.",
        _list_of(_network),
        "network",
    ),
    Setting(
        "secure_connections",
        "enum",
        SecureConnections.PREFERRED.value,
        "required: HTTPS only; preferred: HTTPS for remote clients, both on the LAN; disabled: HTTP only.",
        _enum(SecureConnections),
        "network",
        tuple(m.value for m in SecureConnections),
    ),
    Setting(
        "public_urls",
        "urls",
        (),
        "Addresses given to remote clients and put in invitation links.",
        _list_of(_url),
        "general",
    ),
    Setting(
        "jellyfin_enabled",
        "bool",
        True,
        "Serve Jellyfin's apps at /jellyfin. Off: every path there answers 404, as an unknown path does.",
        _bool,
        "general",
    ),
    Setting(
        "allowed_hosts",
        "hosts",
        (),
        "Extra Host names the server answers to; IP literals and this machine's names always work.",
        _list_of(_hostname),
        "network",
    ),
    Setting(
        "peer_tunnel",
        "bool",
        False,
        "Keep a signed outbound tunnel to each linked server, for a server whose peer listener cannot be reached "
        "from outside: the linked servers send their signed requests down it.",
        _bool,
        "network",
    ),
    Setting(
        "lan_discovery",
        "bool",
        False,
        "While a pairing code waits, announce this server's name and peer port on the local network (mDNS) so "
        "a server nearby can suggest the address. Only a hint: pairing still checks the code and the key.",
        _bool,
        "network",
    ),
    Setting(
        "max_transcodes",
        "int",
        2,
        "How many transcodes may run at once on this server.",
        _int_range(0, 64),
        "transcoder",
    ),
    Setting(
        "transcode_gpu",
        "enum",
        GpuPolicy.OFF.value,
        "With transcode workers: off sends every job to CPU workers; prefer sends it to a GPU worker and falls "
        "back to a CPU worker, saying so, when none starts it or its encoder fails to start; require never "
        "falls back (the player is told to try again).",
        _enum(GpuPolicy),
        "transcoder",
        tuple(m.value for m in GpuPolicy),
    ),
    Setting(
        "remote_max_bitrate_kbps",
        "int",
        0,
        "Bitrate cap for remote streams in kbit/s; 0 means none.",
        _int_range(0, 1_000_000),
        "transcoder",
    ),
    Setting(
        "transcode_cache_mb",
        "int",
        2048,
        "Size cap of the transcode segment cache in MiB.",
        _int_range(64, 1_000_000),
        "transcoder",
    ),
    Setting(
        "seek_previews_cache_mb",
        "int",
        2048,
        "Size cap of the seek preview cache in MiB; past it, the oldest videos' sheets go first.",
        _int_range(1, 1_000_000),
        "transcoder",
    ),
    Setting(
        "require_2fa_for_admins",
        "bool",
        False,
        "Admins must enrol two-factor sign-in.",
        _bool,
        "users",
    ),
    Setting(
        "invitation_days",
        "int",
        7,
        "Default lifetime of a new invitation in days.",
        _int_range(1, 365),
        "users",
    ),
    Setting(
        "audit_retention_days",
        "int",
        365,
        "How long audit entries are kept; 0 keeps them forever.",
        _int_range(0, 36500),
        "users",
    ),
)

BY_NAME: Mapping[str, Setting] = {s.name: s for s in REGISTRY}


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in REGISTRY}


def validate_batch(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Parse every change and check the combination; raise InvalidInput listing every problem."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, raw in changes.items():
        setting = BY_NAME.get(name)
        if setting is None:
            errors[name] = "is not a setting"
            continue
        try:
            parsed[name] = setting.parse(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidInput("Some settings were not valid; nothing was saved.", errors)
    merged = {**current, **parsed}
    if merged["remote_access"] and merged["secure_connections"] == SecureConnections.DISABLED:
        key = "secure_connections" if "secure_connections" in parsed else "remote_access"
        errors[key] = "remote access needs secure connections 'preferred' or 'required'"
    if merged["remote_ip_filter_mode"] == FilterMode.ALLOW and not merged["remote_ip_filter"]:
        errors["remote_ip_filter"] = "an allow-list needs at least one entry"
    if errors:
        raise InvalidInput("Some settings contradict each other; nothing was saved.", errors)
    return parsed


def home_shelves(
    library_ids: Sequence[str], order: Sequence[str], hidden: Collection[str]
) -> list[tuple[str, bool]]:
    """Each library's shelf as (library id, hidden), in the owner's order; ids naming no library are skipped,
    and a library the order does not name yet (added since) comes last, shown, in the order given."""
    known = set(library_ids)
    ranked = [i for i in order if i in known]
    placed = set(ranked)
    ranked += [i for i in library_ids if i not in placed]
    return [(i, i in hidden) for i in ranked]
