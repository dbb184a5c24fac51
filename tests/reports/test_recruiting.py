"""Completion rate and withdrawal share per job, before and after a change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports import (
    RecruitingEffect,
    ReportFilter,
    ReportOptions,
    run_report,
)
from store import Store
from tests.reports.script import SessionScript
from tests.reports.world import MAY

BEFORE = datetime(2024, 5, 5, 9, tzinfo=UTC)
AFTER = datetime(2024, 5, 20, 9, tzinfo=UTC)
CHANGE_AT = datetime(2024, 5, 15, tzinfo=UTC)


async def _session(store: Store, sid: str, job: str, started_at: datetime, end: str) -> None:
    script = await SessionScript(store, sid, job_id=job, started_at=started_at).start()
    if end == "completed":
        await script.complete()
    elif end == "withdrawn":
        await script.withdraw("process_too_long")


async def test_rates_per_job_move_between_the_two_periods(store: Store) -> None:
    """job-a goes from 1 of 4 completed, 2 withdrawn, to 3 of 4 and 1: +0.5 and -0.25."""
    for i, end in enumerate(["completed", "withdrawn", "withdrawn", "active"]):
        await _session(store, f"a-before-{i}", "job-a", BEFORE, end)
    for i, end in enumerate(["completed", "completed", "completed", "withdrawn"]):
        await _session(store, f"a-after-{i}", "job-a", AFTER, end)
    await _session(store, "b-after", "job-b", AFTER, "completed")

    report = await run_report(store.engine, "recruiting", MAY, ReportOptions(change_at=CHANGE_AT))
    assert isinstance(report, RecruitingEffect)

    job_a, job_b = report.jobs
    assert (job_a.before.sessions, job_a.before.completion_rate) == (4, 0.25)
    assert job_a.before.withdrawal_share == 0.5
    assert (job_a.after.completion_rate, job_a.after.withdrawal_share) == (0.75, 0.25)
    assert (job_a.completion_rate_change, job_a.withdrawal_share_change) == (0.5, -0.25)
    assert (job_b.job_id, job_b.before.sessions, job_b.after.completion_rate) == ("job-b", 0, 1.0)
    assert job_b.completion_rate_change == 1.0


async def test_recruiting_splits_the_window_in_the_middle_by_default(store: Store) -> None:
    """Without change_at the window's midpoint splits it; without a window it is refused."""
    report = await run_report(store.engine, "recruiting", MAY)
    assert isinstance(report, RecruitingEffect)
    assert report.change_at == datetime(2024, 5, 16, 12, tzinfo=UTC)

    with pytest.raises(ValueError, match="change_at"):
        await run_report(store.engine, "recruiting", ReportFilter())
