"""The store's one cursor pager: keyset pages over (a time, an id), resumed by an opaque cursor.

A cursor is the position of a page's last row, ``{"at": <ISO time>, "id": <id>}`` in
unpadded URL-safe base64, so that the next page starts right after it whatever was written
meanwhile. Cursors handed out before the exits and contest listings shared this pager
(compact or spaced JSON) still decode.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

_Query = TypeVar("_Query", bound=Select[Any])
_Row = TypeVar("_Row")


class InvalidCursor(ValueError):
    """A ``cursor`` that this store did not hand out."""


def encode_cursor(at: datetime, key: str) -> str:
    """An opaque cursor that resumes a listing right after the row at (``at``, ``key``)."""
    raw = json.dumps({"at": at.isoformat(), "id": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (at, key) position a cursor stands for.

    Raises:
        InvalidCursor: When the cursor was not made by :func:`encode_cursor`.
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(data["at"]), str(data["id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise InvalidCursor("cursor is not one this server handed out") from err


@dataclass(frozen=True)
class Pager:
    """How one listing pages: its order (a time column, ties broken by an id) and page size.

    Attributes:
        at: The time column rows are ordered by.
        key: The unique column that breaks ties between rows at the same time.
        newest_first: Descending order (exits) rather than ascending (contests).
        max_limit: The largest page a caller may ask for.
    """

    at: InstrumentedAttribute[datetime]
    key: InstrumentedAttribute[str]
    newest_first: bool
    max_limit: int

    def query(self, query: _Query, *, limit: int, cursor: str | None) -> _Query:
        """``query`` ordered, started after ``cursor`` and cut to one page plus one row.

        The extra row tells :meth:`cut` whether another page follows.

        Raises:
            ValueError: When ``limit`` is not between 1 and ``max_limit``.
            InvalidCursor: When ``cursor`` was not handed out by this store.
        """
        if not 1 <= limit <= self.max_limit:
            raise ValueError(f"limit must be between 1 and {self.max_limit}")
        if cursor is not None:
            at, key = decode_cursor(cursor)
            if self.newest_first:
                after = or_(self.at < at, and_(self.at == at, self.key < key))
            else:
                after = or_(self.at > at, and_(self.at == at, self.key > key))
            query = query.where(after)
        if self.newest_first:
            return query.order_by(self.at.desc(), self.key.desc()).limit(limit + 1)
        return query.order_by(self.at, self.key).limit(limit + 1)

    def cut(self, rows: Sequence[_Row], *, limit: int) -> tuple[Sequence[_Row], str | None]:
        """The page in the rows :meth:`query` read, and the cursor of the next (None if last)."""
        page = rows[:limit]
        if len(rows) <= limit:
            return page, None
        last = page[-1]
        return page, encode_cursor(getattr(last, self.at.key), getattr(last, self.key.key))
