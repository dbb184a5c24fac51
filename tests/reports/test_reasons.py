"""Withdrawal reasons per job, on the known month."""

from __future__ import annotations

from reports import WithdrawalReasons, run_report
from store import Store
from tests.reports.world import MAY


async def test_reasons_give_counts_and_shares_per_job(world: Store) -> None:
    """May's three withdrawals: job-a splits 50/50, job-b is all process_too_long."""
    report = await run_report(world.engine, "reasons", MAY)
    assert isinstance(report, WithdrawalReasons)

    assert report.withdrawals == 3
    per_job = {
        job.job_id: [(r.reason_code, r.count, r.share) for r in job.reasons] for job in report.jobs
    }
    assert per_job == {
        "job-a": [("job_requirements", 1, 0.5), ("salary_expectation", 1, 0.5)],
        "job-b": [("process_too_long", 1, 1.0)],
    }
    assert [(r.reason_code, r.share) for r in report.overall] == [
        ("job_requirements", 0.3333),
        ("process_too_long", 0.3333),
        ("salary_expectation", 0.3333),
    ]
    assert report.rows()[0] == {
        "job_id": "job-a",
        "reason_code": "job_requirements",
        "count": 1,
        "share": 0.5,
        "job_withdrawals": 2,
    }


async def test_reasons_filter_by_job_and_window(world: Store) -> None:
    """job-a without a window adds April's lost_interest: a third each."""
    from reports import ReportFilter

    report = await run_report(world.engine, "reasons", ReportFilter(job_id="job-a"))
    assert isinstance(report, WithdrawalReasons)

    assert [job.job_id for job in report.jobs] == ["job-a"]
    assert {r.reason_code: r.share for r in report.jobs[0].reasons} == {
        "job_requirements": 0.3333,
        "lost_interest": 0.3333,
        "salary_expectation": 0.3333,
    }
