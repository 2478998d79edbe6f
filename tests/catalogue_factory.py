"""Catalogue rows written straight into the database, for tests and benchmarks that need many items fast."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert

from reelhouse.app import Reelhouse
from reelhouse.config import load_config
from reelhouse.domain.access import label_mask, system_actor
from reelhouse.domain.ids import new_id
from reelhouse.domain.library import Library
from reelhouse.domain.ratings import rank
from reelhouse.persistence.database import Database
from reelhouse.persistence.schema import item_genres, item_tags, items, media_files

WORDS = (
    "night river stone garden winter glass silent city ocean paper golden shadow iron summer north "
    "falling broken hidden last little blue red empire dream storm"
).split()


@dataclass
class Row:
    title: str
    kind: str = "movie"
    year: int | None = None
    rating: float | None = None
    content_rating: str | None = None
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    parent_id: str | None = None
    top_id: str | None = None
    idx: int | None = None
    parent_idx: int | None = None
    path: str | None = None
    size: int = 0
    poster: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    id: str = field(default_factory=new_id)


def add_rows(db: Database, library_id: str, rows: list[Row], chunk: int = 5000) -> list[str]:
    now = time.time()
    tags = {r.id: r.tags for r in rows}
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        with db.begin() as conn:
            conn.execute(
                insert(items),
                [
                    {
                        "id": r.id,
                        "library_id": library_id,
                        "kind": r.kind,
                        "parent_id": r.parent_id,
                        "top_id": r.top_id or r.id,
                        "group_key": None,
                        "title": r.title,
                        "sort_title": r.title.lower(),
                        "year": r.year,
                        "idx": r.idx,
                        "parent_idx": r.parent_idx,
                        "aired": None,
                        "rating": r.rating,
                        "content_rating": r.content_rating,
                        "rating_rank": rank(r.content_rating),
                        "label_mask": label_mask(tags.get(r.top_id or r.id, ())),
                        "plot": None,
                        "duration": None,
                        "taken_at": None,
                        "poster": r.poster,
                        "fanart": None,
                        "extra": json.dumps(r.extra),
                        "missing": False,
                        "added_at": now + start + i,
                        "updated_at": now,
                    }
                    for i, r in enumerate(part)
                ],
            )
            genre_rows = [{"item_id": r.id, "genre": g} for r in part for g in r.genres]
            if genre_rows:
                conn.execute(insert(item_genres), genre_rows)
            tag_rows = [{"item_id": r.id, "tag": t} for r in part for t in r.tags]
            if tag_rows:
                conn.execute(insert(item_tags), tag_rows)
            file_rows = [
                {
                    "id": new_id(),
                    "library_id": library_id,
                    "item_id": r.id,
                    "path": r.path,
                    "size": r.size,
                    "mtime": now,
                    "fingerprint": new_id(),
                    "part": 1,
                    "media": None,
                    "missing_since": None,
                    "scanned_at": now,
                }
                for r in part
                if r.path
            ]
            if file_rows:
                conn.execute(insert(media_files), file_rows)
    return [r.id for r in rows]


SYLLABLES = "ka lo mi ren sa tor vel quin dra bel cor fen gal hir jun mar nol pet ros ul vin yar zet".split()


def word(rng: random.Random) -> str:
    """Pseudo-words from syllables: a large vocabulary, like real titles, not a handful of repeated words."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()


def synthetic_movies(count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    ratings = ("G", "PG", "PG-13", "R", None)
    genres = ("Drama", "Comedy", "Action", "Documentary", "Horror", "Animation")
    return [
        Row(
            title=" ".join([rng.choice(WORDS).title(), *(word(rng) for _ in range(rng.randint(0, 3)))]),
            year=rng.randint(1950, 2025),
            rating=round(rng.uniform(1, 10), 1),
            content_rating=rng.choice(ratings),
            genres=(rng.choice(genres),),
            tags=("kids",) if rng.random() < 0.1 else (),
        )
        for i in range(count)
    ]


def movie_server(data_dir: Path, rows: list[Row]) -> tuple[Reelhouse, Library]:
    """A server object (no HTTP) with one movie library holding ``rows``; the caller closes it."""
    # The library folder sits beside the server's data folder: one inside it is refused.
    server = Reelhouse(
        load_config(environ={}, overrides={"data_dir": data_dir / "data", "demo_library": False})
    )
    root = data_dir / "movies"
    root.mkdir()
    library = server.services.libraries.add(system_actor(), "Movies", "movies", [str(root)])
    add_rows(server.db, library.id, rows)
    return server, library
