"""Helpers for the data-rights tests: events of a chosen candidate, and every report at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from contract.codes import EventType
from contract.events import SessionEvent
from reports import REPORTS, ReportFilter, ReportOptions, run_report
from store import Store
from tests.fixtures.database import make_event
from tests.reports.world import MAY

PERSONAL_TEXTS = ("Alex Morgan", "alex.morgan@example.com", "+14155550123", "203.0.113.7")
"""What ``make_event``'s candidate and fault put in the store that must not survive."""


def days_ago(days: float) -> datetime:
    """A moment ``days`` before now, in UTC."""
    return datetime.now(UTC) - timedelta(days=days)


def candidate_event(
    candidate_id: str,
    type: EventType = EventType.WITHDRAWN,
    *,
    at: datetime | None = None,
    session_id: str | None = None,
    seq: int = 1,
) -> SessionEvent:
    """``make_event`` for the candidate ``candidate_id`` (Alex Morgan, under that id)."""
    event = make_event(type, at=at, session_id=session_id, seq=seq)
    candidate = event.session.candidate.model_copy(update={"id": candidate_id})
    return event.model_copy(
        update={"session": event.session.model_copy(update={"candidate": candidate})}
    )


async def every_report(store: Store) -> dict[str, Any]:
    """Every report's figures over all time and over May 2024.

    The re-engagement list is a contact list, not a figure: anonymised sessions leave it
    (see ``test_an_erased_candidate_leaves_the_reengagement_list``), so it is left out here.
    """
    options = ReportOptions(change_at=datetime(2024, 5, 10, 9, 30, tzinfo=UTC))
    reports: dict[str, Any] = {}
    for window, where in {"all": ReportFilter(), "may": MAY}.items():
        for name in REPORTS:
            if name == "reengagement":
                continue
            report = await run_report(store.engine, name, where, options)
            reports[f"{window}/{name}"] = report.model_dump(mode="json")
    return reports
