"""Boot configuration: read once at start from a TOML file and REELHOUSE_* variables, then frozen."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reelhouse.errors import ConfigError

LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_HTTPS_PORT = 8920
DEFAULT_PEER_PORT = 32450


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


@dataclass(frozen=True)
class BootConfig:
    """Settings that need a restart to change. Runtime settings live in the database instead."""

    data_dir: Path
    host: str = "0.0.0.0"  # noqa: S104 - a home server listens on the LAN; the network gate decides who is served
    port: int = 8096
    # On by default: remote clients are only ever served over HTTPS, so Remote Access needs this listener.
    https_port: int | None = DEFAULT_HTTPS_PORT
    # Linked servers dial this port; it is opened only while a link code waits or a link exists.
    peer_port: int | None = DEFAULT_PEER_PORT
    database_url: str = ""
    log_level: str = "info"
    ffmpeg_path: str = ""
    scan_workers: int = 0
    watch_libraries: bool = True
    scan_on_start: bool = True
    scan_interval_minutes: int = 360
    demo_library: bool = True
    # Several web nodes on one PostgreSQL database (docs/scaling.md); off, one server owns its database.
    cluster: bool = False
    # Redis (or Valkey) URL of the transcode workers' queue (docs/scaling.md); empty encodes in this process.
    transcode_broker_url: str = ""

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'reelhouse.db'}"


# What each key means; docs/configuration.md must describe every one of these (a test checks it).
KEY_HELP: dict[str, str] = {
    "data_dir": "Folder for the database, caches, certificates and backups.",
    "host": "Address the HTTP listener binds to.",
    "port": "TCP port of the HTTP listener.",
    "https_port": "TCP port of the HTTPS listener; 'off' (or empty) serves without HTTPS.",
    "peer_port": "TCP port other Reelhouse servers link to (opened only while a link code waits or a link "
    "exists); 'off' turns linking off.",
    "database_url": "SQLAlchemy URL; empty means SQLite in the data dir. PostgreSQL URLs are accepted.",
    "log_level": "One of debug, info, warning, error.",
    "ffmpeg_path": "The ffmpeg binary to run; empty means the one on PATH.",
    "scan_workers": "Processes that read tags and probe media while scanning; 0 means one per core.",
    "watch_libraries": "Rescan a library soon after its files change.",
    "scan_on_start": "Scan every library when the server starts, to catch changes made while it was off.",
    "scan_interval_minutes": "Rescan every library on this schedule; 0 turns it off.",
    "demo_library": "Generate a small demo library on first start when no library exists.",
    "cluster": "Run as one of several web nodes sharing a PostgreSQL database_url; off serves alone.",
    "transcode_broker_url": "Redis or Valkey URL of the transcode workers' job queue; empty transcodes in this "
    "process.",
}


def default_data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "reelhouse"


def default_config_file() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "reelhouse" / "config.toml"


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, KEY_HELP.keys(), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _coerce(key: str, raw: Any, origin: str) -> Any:
    field_types = {f.name: f.type for f in fields(BootConfig)}
    kind = str(field_types[key])
    try:
        if kind in ("Path",):
            return Path(str(raw)).expanduser()
        if "int" in kind:
            if isinstance(raw, bool):
                raise ValueError
            if "None" in kind and (raw is None or str(raw).strip().lower() in ("", "off")):
                return None
            return int(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: '{key}' must be of type {kind}, got {raw!r}") from None


def _validate(config: BootConfig) -> BootConfig:
    for name in ("port", "https_port", "peer_port"):
        value = getattr(config, name)
        if value is not None and not 0 <= value <= 65535:
            raise ConfigError(f"'{name}' must be a TCP port between 0 and 65535, got {value}")
    if config.https_port is not None and config.https_port == config.port and config.port != 0:
        raise ConfigError("'https_port' must differ from 'port'")
    if config.peer_port and config.peer_port in (config.port, config.https_port):
        raise ConfigError("'peer_port' must differ from 'port' and 'https_port'")
    if config.log_level not in LOG_LEVELS:
        raise ConfigError(f"'log_level' must be one of {', '.join(LOG_LEVELS)}, got {config.log_level!r}")
    if config.scan_workers < 0 or config.scan_interval_minutes < 0:
        raise ConfigError("'scan_workers' and 'scan_interval_minutes' cannot be negative")
    if config.cluster and not config.database_url.startswith(("postgresql://", "postgres://")):
        # Nodes agree only through a database they all reach, and only PostgreSQL can tell them of changes.
        raise ConfigError(
            "'cluster' needs a PostgreSQL 'database_url' (postgresql://user:password@host:port/dbname) that "
            "every node shares; SQLite belongs to one machine"
        )
    if config.transcode_broker_url and urlsplit(config.transcode_broker_url).scheme not in (
        "redis",
        "rediss",
        "unix",
    ):
        raise ConfigError(
            "'transcode_broker_url' must be a redis://, rediss:// or unix:// URL (Redis or Valkey)"
        )
    return config


def load_config(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> BootConfig:
    """Merge, lowest first: defaults, the TOML file, REELHOUSE_* variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or Path(env.get("REELHOUSE_CONFIG", "") or default_config_file())
    if config_file is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        for key, raw in document.items():
            if key not in KEY_HELP:
                raise ConfigError(f"{path}: unknown key '{key}'{_did_you_mean(key)}")
            values[key] = _coerce(key, raw, str(path))
    for name, raw in env.items():
        if not name.startswith("REELHOUSE_") or name == "REELHOUSE_CONFIG":
            continue
        key = name.removeprefix("REELHOUSE_").lower()
        if key not in KEY_HELP:
            raise ConfigError(f"environment: unknown variable {name}{_did_you_mean(key)}")
        values[key] = _coerce(key, raw, f"environment variable {name}")
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce(key, raw, "command line")
    data_dir = values.pop("data_dir", None) or default_data_dir()
    return _validate(replace(BootConfig(data_dir=Path(data_dir)), **values))
