"""Random identifiers: never derived from paths or counters."""

from __future__ import annotations

import secrets
from typing import NewType

ItemId = NewType("ItemId", str)
LibraryId = NewType("LibraryId", str)
UserId = NewType("UserId", str)
FileId = NewType("FileId", str)


def new_id() -> str:
    """128 random bits, URL-safe, 22 characters, never starting with "-": the CLI takes ids as arguments, and
    one that began with a dash (one in 64) would be read as an option."""
    while True:
        value = secrets.token_urlsafe(16)
        if not value.startswith("-"):
            return value


def looks_like_id(value: str) -> bool:
    return 16 <= len(value) <= 32 and all(c.isalnum() or c in "-_" for c in value)
