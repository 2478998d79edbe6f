"""Random identifiers: never derived from paths or counters."""

from __future__ import annotations

import secrets
from typing import NewType

ItemId = NewType("ItemId", str)
LibraryId = NewType("LibraryId", str)
UserId = NewType("UserId", str)
FileId = NewType("FileId", str)


def new_id() -> str:
    """128 random bits, URL-safe, 22 characters."""
    return secrets.token_urlsafe(16)


def looks_like_id(value: str) -> bool:
    return 16 <= len(value) <= 32 and all(c.isalnum() or c in "-_" for c in value)
