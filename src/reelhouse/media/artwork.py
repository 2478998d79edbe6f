"""Local artwork: which sidecar image is a poster or a fanart, and embedded covers written to the cache."""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from reelhouse.domain.ids import new_id

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
FOLDER_POSTERS = ("poster", "folder", "cover", "front", "movie", "show")
FOLDER_FANART = ("fanart", "backdrop", "background")
MAX_COVER_BYTES = 20 * 1024 * 1024


def pick(names: Mapping[str, str], stems: Iterable[str]) -> str | None:
    """The first listed stem that exists with an image extension; ``names`` maps lowercase name → real name."""
    for stem in stems:
        for extension in IMAGE_EXTENSIONS:
            real = names.get(stem.casefold() + extension)
            if real is not None:
                return real
    return None


def poster_stems(stem: str | None, dedicated_folder: bool) -> list[str]:
    own = [f"{stem}-poster", f"{stem}-cover", f"{stem}-thumb", stem] if stem else []
    return own + (list(FOLDER_POSTERS) if dedicated_folder else [])


def fanart_stems(stem: str | None, dedicated_folder: bool) -> list[str]:
    own = [f"{stem}-fanart", f"{stem}-backdrop"] if stem else []
    return own + (list(FOLDER_FANART) if dedicated_folder else [])


def season_poster_stems(season: int) -> list[str]:
    if season == 0:
        return ["season-specials-poster", "season00-poster"]
    return [f"season{season:02d}-poster", f"season{season}-poster"]


def save_cover(data: bytes, cache_dir: Path) -> str | None:
    """Write an embedded cover as ``<cache_dir>/artwork/<random>.jpg`` atomically; None when not an image."""
    if not data or len(data) > MAX_COVER_BYTES:
        return None
    if not data.startswith(b"\xff\xd8"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(io.BytesIO(data)) as image:
                    out = io.BytesIO()
                    image.convert("RGB").save(out, "JPEG", quality=90)
                    data = out.getvalue()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return None
    folder = cache_dir / "artwork"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{new_id()}.jpg"
    handle, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, target)
    except OSError:
        Path(partial).unlink(missing_ok=True)
        return None
    return str(target)
