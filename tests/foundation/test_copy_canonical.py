"""The copy's checksum writes a value the same whichever database handed it back, and no two values alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, LargeBinary, Text

from reelhouse.persistence.copying import canonical


def test_what_the_two_drivers_return_for_one_value_is_written_alike() -> None:
    # PostgreSQL hands back an aware datetime where SQLite's is naive UTC; a blob may come as a memoryview.
    moment = dt.datetime(2026, 12, 6, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert canonical(Column("a", DateTime(timezone=True)), moment) == canonical(
        Column("a", DateTime()), dt.datetime(2026, 12, 6, 5, 30)
    )
    assert canonical(Column("b", LargeBinary()), memoryview(b"\x00\xff")) == canonical(
        Column("b", LargeBinary()), b"\x00\xff"
    )
    assert canonical(Column("j", JSON()), {"b": 1, "a": [2]}) == canonical(
        Column("j", JSON()), {"a": [2], "b": 1}
    )
    assert canonical(Column("f", Boolean()), 1) == canonical(Column("f", Boolean()), True)
    assert canonical(Column("n", Float()), 3) == canonical(Column("n", Float()), 3.0)


def test_values_that_differ_are_written_differently() -> None:
    number = Column("n", Float())
    assert canonical(number, -0.0) != canonical(number, 0.0)
    assert canonical(number, 0.1 + 0.2) != canonical(number, 0.3)
    assert canonical(Column("t", Text()), None) != canonical(Column("t", Text()), "")
    assert canonical(Column("t", Text()), "1") != canonical(Column("i", Integer()), 1)
