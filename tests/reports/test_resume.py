"""Resume shares and median time to resume, on the known month."""

from __future__ import annotations

from reports import ReportFilter, ResumeReport, run_report
from store import Store
from tests.reports.world import MAY


async def _resume(store: Store, report_filter: ReportFilter) -> ResumeReport:
    report = await run_report(store.engine, "resume", report_filter)
    assert isinstance(report, ResumeReport)
    return report


async def test_resume_shares_and_median_of_an_even_count(world: Store) -> None:
    """Four suspensions: two resumed (10 and 30 min: median 20 min), one expired, one open."""
    report = await _resume(world, MAY)

    assert (report.suspended, report.resumed, report.expired, report.pending) == (4, 2, 1, 1)
    assert (report.resumed_share, report.expired_share) == (0.5, 0.25)
    assert report.median_seconds_to_resume == 1200.0


async def test_resume_median_of_an_odd_count(world: Store) -> None:
    """job-b: one resume after 30 minutes is the median."""
    report = await _resume(world, MAY.model_copy(update={"job_id": "job-b"}))

    assert (report.suspended, report.resumed, report.expired) == (3, 1, 1)
    assert report.median_seconds_to_resume == 1800.0


async def test_resume_with_nothing_suspended(store: Store) -> None:
    """An empty window has no median and zero shares."""
    report = await _resume(store, MAY)

    assert (report.suspended, report.resumed_share, report.median_seconds_to_resume) == (
        0,
        0.0,
        None,
    )
