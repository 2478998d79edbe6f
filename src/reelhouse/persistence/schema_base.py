"""The one MetaData every table is declared on, kept apart so that the table modules share it without importing
each other."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
