"""Times in query strings (``since``, ``until``, ``change_at``): in UTC and in range.

A time without an offset is UTC, as the database takes it, so a date and a time with an
offset can bound the same window. A time outside the range is refused with 422 naming the
parameter: ``0001-01-01T00:00:00+14:00`` has no UTC form at all, and comparing it, or
handing it to the database, failed with a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    """``value`` in UTC, a naive one taken to be UTC already.

    Raises:
        ValueError: When it lies outside [1970-01-01, 2100-01-01] UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Compared before converting: year 1 at +14:00 has no UTC form (OverflowError).
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} UTC")
    return value.astimezone(UTC)


QueryTime = Annotated[datetime, AfterValidator(in_utc)]
"""A query-string time, in UTC; FastAPI answers 422 naming the parameter when it is refused."""
