"""What every report shares: the window and job filter, shares, and SQL helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import ColumnElement, case, false, func
from sqlalchemy.engine import Dialect

from contract.bounds import in_range_utc


def _report_time(value: datetime) -> datetime:
    return in_range_utc(value if value.tzinfo else value.replace(tzinfo=UTC))


ReportTime = Annotated[datetime, AfterValidator(_report_time)]
"""A time a report is given, in UTC (no offset means UTC) and inside the contract's range,
which also bounds how long a window can be."""


class ReportFilter(BaseModel):
    """The time window and job a report covers; every bound is optional.

    ``since`` is inclusive and ``until`` exclusive, so back-to-back windows never count a
    row twice. Times without an offset are UTC.
    """

    since: ReportTime | None = None
    until: ReportTime | None = None
    job_id: str | None = Field(default=None, max_length=128)
    jobs: frozenset[str] | None = Field(default=None, exclude=True)
    """The jobs the reader may see (an HR person's scope); None: every job. Never shown."""

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if until is not None and since is not None and since >= until:
            raise ValueError("must be later than since")
        return until

    def window(self, column: Any) -> list[ColumnElement[bool]]:
        """The WHERE terms that keep ``column`` inside the window."""
        terms: list[ColumnElement[bool]] = []
        if self.since is not None:
            terms.append(column >= self.since)
        if self.until is not None:
            terms.append(column < self.until)
        return terms

    def where(self, at: Any, job_id: Any) -> list[ColumnElement[bool]]:
        """The window on ``at``; when a job is set, ``job_id`` equal to it; when the reader's
        jobs are set, ``job_id`` among them (none: nothing matches)."""
        terms = self.window(at)
        if self.job_id is not None:
            terms.append(job_id == self.job_id)
        if self.jobs is not None:
            terms.append(job_id.in_(sorted(self.jobs)) if self.jobs else false())
        return terms


class Report(BaseModel):
    """Base of every report: what it covers, and its flat rows for tables and CSV."""

    filter: ReportFilter

    def rows(self) -> list[dict[str, Any]]:
        """The report as flat rows (one dict per line of a table or CSV)."""
        raise NotImplementedError


def share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places (0.0 when there is nothing to divide)."""
    return round(part / whole, 4) if whole else 0.0


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: a count that a GROUP BY can carry."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def seconds_between(later: Any, earlier: Any, dialect: Dialect | str) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, as SQL that runs on SQLite and PostgreSQL."""
    name = dialect if isinstance(dialect, str) else dialect.name
    if name == "postgresql":
        return func.extract("epoch", later - earlier)
    # julianday keeps about 40 µs of precision at today's dates: round to milliseconds.
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


def as_int(value: Any) -> int:
    """A COUNT/SUM from either driver as an int (PostgreSQL's SUM is numeric)."""
    return int(value or 0)
