"""A transcode worker's own configuration: a TOML file, read once at start, then frozen.

A worker needs no database and no data folder of the server: only the broker, a scratch folder for segments,
the port it serves them on, and where each library is mounted on this machine (a NAS share may be
/mnt/media/films here and /srv/films on the web node; jobs name paths relative to the library root)."""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reelhouse.domain.ids import looks_like_id
from reelhouse.errors import ConfigError, InvalidInput
from reelhouse.media.hw_encode import GPU_ENCODERS, Hardware, hardware
from reelhouse.services.transcode_jobs import Capability

DEFAULT_WORKER_PORT = 8097
# Finished segments wait this long for the web node's next fetch before the job's folder is removed.
DEFAULT_KEEP_SECONDS = 300.0
# A running job nobody fetched from for this long is ended. A live web node fetches while its player plays and
# cancels the job within about 10 s of the player stopping (release_seconds, services/transcoding.py), so such a
# job belongs to a web node that died.
DEFAULT_IDLE_SECONDS = 30.0
WORKER_KEYS: dict[str, str] = {
    "broker_url": "Redis (or Valkey) URL of the job queue, also used for cancel and heartbeat keys.",
    "queues": "Capabilities this worker takes jobs for: cpu, gpu or both.",
    "slots": "How many jobs run at once.",
    "scratch_dir": "Local folder for segments; removed job by job, never shared with other machines.",
    "listen_host": "Address the segment listener binds to.",
    "listen_port": "TCP port of the segment listener; 0 picks a free one.",
    "advertise_url": "Base URL web nodes use to fetch segments; empty means http://<hostname>:<port>.",
    "idle_seconds": "How long a running job's encode goes on with no web node fetching from it.",
    "keep_seconds": "How long a finished job's segments wait for a fetch before they are removed.",
    "gpu_encoder": f"The hardware H.264 encoder for gpu jobs: one of {', '.join(GPU_ENCODERS)}.",
    "gpu_device": "Its device: a DRM node (/dev/dri/renderD128) for VAAPI and Quick Sync, a GPU index for NVENC.",
    "libraries": "Table of library id = folder where that library is mounted on this machine, or a list of "
    "folders, one per root folder of the library in its order.",
}


@dataclass(frozen=True)
class WorkerConfig:
    broker_url: str
    scratch_dir: Path
    # Library id → where each of its root folders is mounted here, in the library's order.
    libraries: Mapping[str, tuple[str, ...]]
    queues: tuple[Capability, ...] = (Capability.CPU,)
    slots: int = 1
    listen_host: str = "0.0.0.0"  # noqa: S104 - web nodes on other machines fetch segments; the token guards them
    listen_port: int = DEFAULT_WORKER_PORT
    advertise_url: str = ""
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    keep_seconds: float = DEFAULT_KEEP_SECONDS
    # The encoder `gpu` jobs use; set exactly when the worker takes gpu jobs or its file names one.
    gpu: Hardware | None = None
    config_file: Path | None = None

    def base_url(self, bound_port: int) -> str:
        return self.advertise_url.rstrip("/") or f"http://{socket.getfqdn()}:{bound_port}"


def _queues(raw: Any) -> tuple[Capability, ...]:
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError("'queues' must name at least one of cpu, gpu")
    try:
        return tuple(dict.fromkeys(Capability(str(name)) for name in names))
    except ValueError:
        raise ConfigError(f"'queues' must be cpu and/or gpu, got {names!r}") from None


def _libraries(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise ConfigError("'libraries' must be a table of library id = folder")
    roots: dict[str, tuple[str, ...]] = {}
    for library_id, value in raw.items():
        if not looks_like_id(str(library_id)):
            raise ConfigError(f"'libraries': {library_id!r} is not a library id")
        folders = [value] if isinstance(value, str) else value
        if not isinstance(folders, list) or not folders:
            raise ConfigError(f"'libraries': {library_id} must be a folder or a list of folders")
        resolved = []
        for folder in folders:
            if not isinstance(folder, str) or not os.path.isabs(folder):
                raise ConfigError(f"'libraries': the folders of {library_id} must be absolute paths")
            real = os.path.realpath(folder)
            if not os.path.isdir(real):
                raise ConfigError(
                    f"'libraries': {folder} (library {library_id}) is not a folder on this machine"
                )
            # Resolved once here: jobs are checked against the real root, whatever links led to it.
            resolved.append(real)
        roots[str(library_id)] = tuple(resolved)
    return roots


def _number(key: str, raw: Any, low: float, high: float, kind: type[int] | type[float] = int) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ConfigError(f"'{key}' must be a number")
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"'{key}' must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"'{key}' must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _gpu(values: Mapping[str, Any], queues: tuple[Capability, ...]) -> Hardware | None:
    encoder, device = values.get("gpu_encoder"), values.get("gpu_device")
    if encoder is None:
        if Capability.GPU in queues:
            raise ConfigError(
                f"'queues' names gpu, so the worker needs 'gpu_encoder' ({', '.join(GPU_ENCODERS)}) "
                "and its 'gpu_device'"
            )
        if device is not None:
            raise ConfigError("'gpu_device' is set without 'gpu_encoder'")
        return None
    try:
        return hardware(encoder, device)
    except InvalidInput as exc:
        raise ConfigError(exc.message) from None


def _validate(config: WorkerConfig) -> WorkerConfig:
    scheme = urlsplit(config.broker_url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("'broker_url' must be a redis://, rediss:// or unix:// URL (Redis or Valkey)")
    if config.advertise_url and urlsplit(config.advertise_url).scheme not in ("http", "https"):
        raise ConfigError("'advertise_url' must be an http:// or https:// URL")
    if not config.libraries:
        raise ConfigError(
            "the worker's config names no library: add a 'libraries' table (library id = folder)"
        )
    return config


def load_worker_config(config_file: Path | None, overrides: Mapping[str, Any] | None = None) -> WorkerConfig:
    """The file's values, then the command line's; every key is checked before the worker starts."""
    document: dict[str, Any] = {}
    if config_file is not None:
        try:
            document = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {config_file}: {exc.strerror}") from None
    for key in document:
        if key not in WORKER_KEYS:
            raise ConfigError(f"{config_file}: unknown key '{key}'")
    values = {**document, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    if not values.get("broker_url"):
        raise ConfigError("the worker needs a broker URL ('broker_url' or --broker)")
    if not values.get("scratch_dir"):
        raise ConfigError("the worker needs a scratch folder ('scratch_dir' or --scratch)")
    config = WorkerConfig(
        broker_url=str(values["broker_url"]),
        scratch_dir=Path(str(values["scratch_dir"])).expanduser(),
        libraries=_libraries(values.get("libraries", {})),
        config_file=config_file,
    )
    changes: dict[str, Any] = {}
    if "queues" in values:
        changes["queues"] = _queues(values["queues"])
    if "slots" in values:
        changes["slots"] = _number("slots", values["slots"], 1, 64)
    if "listen_host" in values:
        changes["listen_host"] = str(values["listen_host"])
    if "listen_port" in values:
        changes["listen_port"] = _number("listen_port", values["listen_port"], 0, 65535)
    if "advertise_url" in values:
        changes["advertise_url"] = str(values["advertise_url"])
    if "idle_seconds" in values:
        changes["idle_seconds"] = _number("idle_seconds", values["idle_seconds"], 1, 86400, float)
    if "keep_seconds" in values:
        changes["keep_seconds"] = _number("keep_seconds", values["keep_seconds"], 1, 86400, float)
    changes["gpu"] = _gpu(values, changes.get("queues", config.queues))
    return _validate(replace(config, **changes))
