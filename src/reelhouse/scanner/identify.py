"""Phase 2, identify: fingerprint, probe and name each new or changed file, in a pool of worker processes."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from reelhouse.domain.library import ItemKind, LibraryKind, MediaInfo
from reelhouse.domain.people import Lyrics
from reelhouse.errors import MediaError
from reelhouse.media import names
from reelhouse.media.photos import read_photo
from reelhouse.media.probe import probe, to_json
from reelhouse.media.tags import VARIOUS_ARTISTS, AudioTags, read_audio

FINGERPRINT_CHUNK = 64 * 1024
# Below this many files a pool costs more to start (~0.3 s per worker) than it saves.
POOL_THRESHOLD = 64


@dataclass(frozen=True)
class Node:
    """One level of the item tree a file belongs to; ``key`` groups files into one item (None: one per file)."""

    kind: ItemKind
    key: str | None
    title: str
    year: int | None = None
    idx: int | None = None
    parent_idx: int | None = None
    aired: str | None = None
    duration: float | None = None
    taken_at: float | None = None
    genres: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    path: str
    root: str
    size: int
    mtime: float
    kind: LibraryKind
    device: int | None = None
    inode: int | None = None


@dataclass(frozen=True)
class Identified:
    job: Job
    fingerprint: str = ""
    chain: tuple[Node, ...] = ()
    part: int = 1
    media: MediaInfo | None = None
    has_cover: bool = False
    error: str | None = None
    # The media info as stored, serialised in the worker so the single-threaded reconcile phase need not.
    media_json: str | None = None
    # A track's embedded lyrics (a sidecar .lrc, read in the artwork phase, takes their place).
    lyrics: Lyrics | None = None
    # A track whose album artist is only its own artist (no album-artist tag, no compilation flag): its folder's
    # other tracks decide whether the album is theirs or a compilation (scanner/compilations.py).
    artist_guessed: bool = False


def fingerprint(path: str, size: int, handle: IO[bytes] | None = None) -> str:
    """sha256 of the size and the first and last 64 KiB: cheap, and survives a move or rename."""
    if handle is None:
        with open(path, "rb") as opened:
            return fingerprint(path, size, opened)
    digest = hashlib.sha256(str(size).encode())
    digest.update(handle.read(FINGERPRINT_CHUNK))
    if size > FINGERPRINT_CHUNK:
        handle.seek(max(FINGERPRINT_CHUNK, size - FINGERPRINT_CHUNK))
        digest.update(handle.read(FINGERPRINT_CHUNK))
    return digest.hexdigest()


def _parts(job: Job) -> tuple[list[str], str]:
    # The walk only yields paths under their root, so slicing is exact (relpath costs a syscall-free but slow
    # normalisation per call).
    prefix = job.root.rstrip(os.sep) + os.sep
    relative = job.path[len(prefix) :] if job.path.startswith(prefix) else os.path.relpath(job.path, job.root)
    components = relative.split(os.sep)
    return components[:-1], os.path.splitext(components[-1])[0]


def _movie_key(folders: list[str], title: str, year: int | None, own: str | None) -> str:
    # The folder is part of the key: two "Heat (1995)" in different folders are two movies, not two parts.
    # ``own`` (a loose file's name) keeps unmarked files apart; files marked cd1/part2 share the key.
    key = f"{'/'.join(folders)}|{names.normalise(title)}|{year or ''}"
    return key if own is None else f"{key}|{own.casefold()}"


def _movie_chain(job: Job, media: MediaInfo | None) -> tuple[tuple[Node, ...], int]:
    folders, stem = _parts(job)
    duration = media.duration if media else None
    extras_at = next((i for i, f in enumerate(folders) if names.is_extras_folder(f)), None)
    if extras_at:
        title, year = names.parse_folder_year(folders[extras_at - 1])
        movie = Node(ItemKind.MOVIE, _movie_key(folders[:extras_at], title, year, None), title, year)
        extra = Node(
            ItemKind.EXTRA,
            None,
            names.clean(stem) or stem,
            duration=duration,
            extra={"extra_type": names.extra_type_of_folder(folders[extras_at])},
        )
        return (movie, extra), 1
    base = names.trailer_base(stem)
    if base is not None and (base or folders):
        # Named as its movie's file is, so it joins that movie's item; a bare "trailer" takes the folder's name.
        movie, _ = _movie_node(folders, base or folders[-1], None)
        trailer = Node(ItemKind.EXTRA, None, "Trailer", duration=duration, extra={"extra_type": "trailer"})
        return (movie, trailer), 1
    node, part = _movie_node(folders, stem, duration)
    return (node,), part


def _movie_node(folders: list[str], stem: str, duration: float | None) -> tuple[Node, int]:
    parsed = names.parse_movie(stem)
    title, year = parsed.title, parsed.year
    if year is None and folders:
        folder_title, folder_year = names.parse_folder_year(folders[-1])
        if folder_year is not None:
            title, year = folder_title, folder_year
    # In a movie's own folder, same-titled files are its parts or versions; loose in a root, only marked parts.
    own = None if folders or parsed.marked else stem
    node = Node(ItemKind.MOVIE, _movie_key(folders, title, year, own), title, year, duration=duration)
    return node, parsed.part


def _show_chain(job: Job, media: MediaInfo | None) -> tuple[Node, ...]:
    folders, stem = _parts(job)
    episode = names.parse_episode(stem)
    if folders:
        show_title, show_year = names.parse_folder_year(folders[0])
    else:
        show_title, show_year = (episode.show or names.clean(stem) or stem), None
    season = episode.season
    if season is None:
        season = next((s for s in map(names.season_of_folder, reversed(folders)) if s is not None), 1)
    show = Node(ItemKind.SHOW, names.normalise(show_title) or show_title, show_title, show_year)
    season_node = Node(
        ItemKind.SEASON, str(season), "Specials" if season == 0 else f"Season {season}", idx=season
    )
    extra: dict[str, Any] = {}
    if episode.episode_end is not None:
        extra["index_end"] = episode.episode_end
    if episode.episode is not None:
        key: str | None = f"e{episode.episode}"
        title = episode.title or f"Episode {episode.episode}"
    elif episode.aired is not None:
        key, title = f"d{episode.aired}", episode.title or episode.aired
    else:
        key, title = None, names.clean(stem) or stem
    leaf = Node(
        ItemKind.EPISODE,
        key,
        title,
        idx=episode.episode,
        parent_idx=season,
        aired=episode.aired,
        duration=media.duration if media else None,
        extra=extra,
        year=int(episode.aired[:4]) if episode.aired else None,
    )
    return show, season_node, leaf


def _music_chain(job: Job, tags: AudioTags) -> tuple[tuple[Node, ...], bool]:
    folders, stem = _parts(job)
    # An album artist the tags name wins even on a compilation (a DJ's mix): Various Artists is the fallback.
    fallback = VARIOUS_ARTISTS if tags.compilation else tags.artist
    artist = tags.album_artist or fallback or (folders[-2] if len(folders) >= 2 else "Unknown Artist")
    album = tags.album or (folders[-1] if folders else "Unknown Album")
    track_number = tags.track
    if track_number is None:
        leading = stem.split(" ", 1)[0].split("-", 1)[0].strip(". ")
        track_number = int(leading) if leading.isdigit() and len(leading) <= 3 else None
    extra: dict[str, Any] = {}
    if tags.artist and tags.artist != artist:
        extra["artist"] = tags.artist
    chain = (
        Node(ItemKind.ARTIST, names.normalise(artist) or artist, artist),
        Node(
            ItemKind.ALBUM,
            names.normalise(album) or album,
            album,
            tags.year,
            genres=tags.genres,
            # None removes the key: a tag taken off the files takes the fact off the album.
            extra={"release_type": tags.release_type, "compilation": True if tags.compilation else None},
        ),
        Node(
            ItemKind.TRACK,
            None,
            tags.title or names.track_title(stem),
            tags.year,
            idx=track_number,
            parent_idx=tags.disc,
            duration=tags.duration,
            genres=tags.genres,
            extra=extra,
        ),
    )
    return chain, tags.has_cover


def _photo_chain(job: Job) -> tuple[Node, ...]:
    _, stem = _parts(job)
    facts = read_photo(job.path)
    extra: dict[str, Any] = {"width": facts.width, "height": facts.height}
    if facts.camera:
        extra["camera"] = facts.camera
    if facts.orientation:
        extra["orientation"] = facts.orientation
    if facts.gps:
        extra["gps"] = list(facts.gps)
    year = None
    if facts.taken_at is not None:
        year = datetime.fromtimestamp(facts.taken_at).year
    # Camera names such as IMG_0001 are identifiers: kept as they are, not cleaned like release names.
    return (Node(ItemKind.PHOTO, None, stem, year, taken_at=facts.taken_at, extra=extra),)


def identify(job: Job) -> Identified:
    """Everything the reconcile phase needs about one file; a broken file comes back with ``error`` set."""
    try:
        has_cover, part = False, 1
        if job.kind == LibraryKind.MUSIC:
            # One open for the fingerprint and the tags; mutagen's stream facts spare a PyAV probe.
            with open(job.path, "rb") as handle:
                digest = fingerprint(job.path, job.size, handle)
                handle.seek(0)
                tags, media = read_audio(job.path, job.size, handle)
            media = media or probe(job.path)
            chain, has_cover = _music_chain(job, tags)
            return Identified(
                job,
                digest,
                chain,
                part,
                media,
                has_cover,
                media_json=to_json(media),
                lyrics=tags.lyrics,
                artist_guessed=bool(tags.artist and not tags.album_artist and not tags.compilation),
            )
        digest = fingerprint(job.path, job.size)
        media = None if job.kind == LibraryKind.PHOTOS else probe(job.path)
        if job.kind == LibraryKind.MOVIES:
            chain, part = _movie_chain(job, media)
        elif job.kind == LibraryKind.SHOWS:
            chain = _show_chain(job, media)
        elif job.kind == LibraryKind.PHOTOS:
            chain = _photo_chain(job)
        else:
            _, stem = _parts(job)
            chain = (
                Node(
                    ItemKind.VIDEO,
                    None,
                    names.clean(stem) or stem,
                    duration=media.duration if media else None,
                    # Home videos sort by when they were recorded, as photos do by when they were taken.
                    taken_at=media.recorded_at if media else None,
                ),
            )
    except MediaError as exc:
        return Identified(job, error=exc.message)
    except OSError as exc:
        return Identified(job, error=f"cannot read: {exc.strerror or exc}")
    return Identified(
        job, digest, chain, part, media, has_cover, media_json=to_json(media) if media else None
    )


def named(kind: LibraryKind, item_kind: str, path: str, root: str) -> Node | None:
    """What the file's name alone says about its ``item_kind`` item: undoes an NFO that went away."""
    job = Job(path, root, 0, 0.0, kind)
    if kind == LibraryKind.MOVIES:
        chain = _movie_chain(job, None)[0]
    elif kind == LibraryKind.SHOWS:
        chain = _show_chain(job, None)
    else:
        return None
    return next((n for n in chain if n.kind.value == item_kind), None)


def _context() -> Any:
    # forkserver: the scanner runs in a thread of a threaded server, and forking such a process is unsafe.
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["reelhouse.scanner.identify"])
        return context
    return multiprocessing.get_context("spawn")


class IdentifyPool:
    """Worker processes kept between scans: starting one costs ~0.3 s of imports (PyAV, mutagen, Pillow)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context())
            return self._executor

    def warm(self) -> None:
        """Start every worker now (each imports PyAV, mutagen and Pillow once), not during the next scan."""
        executor = self.executor()
        for future in [executor.submit(os.getpid) for _ in range(self.workers)]:
            future.result()

    def worker_pids(self) -> list[int]:
        """The live worker processes' ids, so a benchmark can count their CPU time."""
        with self._lock:
            processes = getattr(self._executor, "_processes", None) or {}
            return [int(pid) for pid in processes]

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


def identify_all(
    jobs: list[Job], pool: IdentifyPool, cancel: threading.Event | None, tick: Callable[[int], None]
) -> Iterator[Identified]:
    """Results in the order of ``jobs``; ``tick`` hears how many are done so far."""
    workers = pool.workers
    if workers <= 1 or len(jobs) < POOL_THRESHOLD:
        for done, job in enumerate(jobs, 1):
            if cancel is not None and cancel.is_set():
                return
            yield identify(job)
            tick(done)
        return
    chunk = max(1, min(64, len(jobs) // (workers * 8)))
    try:
        results = pool.executor().map(identify, jobs, chunksize=chunk)
        for done, result in enumerate(results, 1):
            if cancel is not None and cancel.is_set():
                break
            yield result
            tick(done)
    except BrokenProcessPool:
        # A worker died (a crashing codec, the OOM killer): drop the pool so the next scan starts afresh.
        pool.close()
        raise
