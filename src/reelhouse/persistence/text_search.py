"""Search by words on PostgreSQL: a tsvector of each title (`items.search`, migration 0034) with a GIN index.

It finds what SQLite's FTS5 index finds (migration 0020: unicode61, diacritics removed): a title is cut into
runs of letters and digits, folded to lower case without accents, and each word searched for must start one
of them. The folding of Latin letters is a `translate()` in the column's expression, not the `unaccent`
extension, so the column stays an immutable generated one and the database needs no extension. Lower case
for other scripts comes from the database's ctype, so the database should use a UTF-8 locale.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from sqlalchemy import ColumnElement, Float, and_, bindparam, false, func, literal_column
from sqlalchemy.dialects.postgresql import TSVECTOR

from reelhouse.domain.library import ItemKind

# Latin letters with diacritics (Latin-1, Extended-A and B, Extended Additional).
_LATIN = [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]


@cache
def _folds() -> tuple[str, str]:
    """Each accented Latin letter and the plain lower-case letter it folds to, as translate()'s two strings."""
    source, target = [], []
    for point in _LATIN:
        letter = chr(point)
        parts = unicodedata.normalize("NFD", letter)
        if len(parts) > 1 and parts[0].isascii() and parts[0].isalpha():
            if all(unicodedata.combining(mark) for mark in parts[1:]):
                source.append(letter)
                target.append(parts[0].lower())
    return "".join(source), "".join(target)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def title_vector_sql(column: str = "title") -> str:
    """The generated column's expression: immutable, so PostgreSQL keeps it in step on every write."""
    source, target = _folds()
    folded = f"translate({column}, {_sql_string(source)}, {_sql_string(target)})"
    return f"to_tsvector('simple'::regconfig, regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g'))"


def fold(word: str) -> str:
    source, target = _folds()
    return word.translate(str.maketrans(source, target)).lower()


def tsquery_text(tokens: list[str]) -> str:
    """to_tsquery's text for ``tokens`` (search_tokens' words): every word starts a word of the title. An
    underscore, which FTS5 reads as a space, makes a phrase, as it does there; nothing else is left to quote."""
    terms = []
    for token in tokens:
        parts = [p for p in fold(token).split("_") if p]
        if parts:
            terms.append(" <-> ".join(f"'{p}'" for p in parts) + ":*")
    return " & ".join(terms)


SEARCH: ColumnElement[str] = literal_column("items.search", TSVECTOR())
_SIMPLE: ColumnElement[str] = literal_column("'simple'::regconfig")


def _query(tokens: list[str], name: str) -> ColumnElement[str]:
    return func.to_tsquery(_SIMPLE, bindparam(name, tsquery_text(tokens), unique=True))


def matches(tokens: list[str], kinds: frozenset[ItemKind] | None = None) -> ColumnElement[bool]:
    """Items whose title has every word (and, given ``kinds``, of those kinds), through the GIN index."""
    if not tsquery_text(tokens):
        return false()  # only underscores: FTS5 finds nothing either
    clause: ColumnElement[bool] = SEARCH.op("@@", is_comparison=True)(_query(tokens, "title_words"))
    if kinds:
        clause = and_(clause, literal_column("items.kind").in_(sorted(k.value for k in kinds)))
    return clause


def rank(tokens: list[str]) -> ColumnElement[float]:
    """How well a title matches, higher first (ts_rank: what share of its words the query's words start)."""
    return func.ts_rank(SEARCH, _query(tokens, "rank_words"), type_=Float())
