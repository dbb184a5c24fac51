"""Re-engagement list: expired or broken sessions for jobs still open, with contacts."""

from __future__ import annotations

from datetime import UTC, datetime

from contract.codes import FaultCause
from reports import ReengagementList, ReportFilter, run_report
from store import Store
from tests.reports.script import SessionScript
from tests.reports.world import MAY


async def _list(store: Store, report_filter: ReportFilter) -> ReengagementList:
    report = await run_report(store.engine, "reengagement", report_filter)
    assert isinstance(report, ReengagementList)
    return report


async def test_expired_and_still_broken_sessions_are_listed_with_contacts(world: Store) -> None:
    """s5 expired and s8 is still suspended after a fault, both on open job-b; newest first."""
    report = await _list(world, MAY)

    rows = [(c.session_id, c.kind, c.reason_code, c.stage) for c in report.candidates]
    assert rows == [
        ("s5", "expired", "resume_window_closed", "scenario_simulation"),
        ("s8", "system_fault", "browser", "self_intro"),
    ]
    s8 = report.candidates[1]
    assert (s8.email, s8.phone, s8.name, s8.job_title) == (
        "s8@example.com",
        "+14155550100",
        "Candidate s8",
        "Sales Manager",
    )
    assert s8.resume_deadline is not None and report.candidates[0].resume_deadline is None


async def test_closed_jobs_and_candidates_who_came_back_are_left_out(store: Store) -> None:
    """No session of job-old started in May; c-back completed a new session after expiring."""
    late_april = datetime(2024, 4, 30, 23, tzinfo=UTC)
    old = SessionScript(store, "old", job_id="job-old", started_at=late_april)
    await (await (await old.start()).fault(FaultCause.NETWORK, 60)).expire(180)
    gone = SessionScript(store, "gone", job_id="job-x", candidate_id="c-back")
    await (await (await gone.start()).abandon()).expire(60)
    back = SessionScript(
        store,
        "back",
        job_id="job-x",
        candidate_id="c-back",
        started_at=datetime(2024, 5, 12, tzinfo=UTC),
    )
    await (await back.start()).complete()
    other = SessionScript(store, "other", job_id="job-x")
    await (await (await other.start()).abandon()).expire(60)

    report = await _list(store, MAY)

    assert [c.session_id for c in report.candidates] == ["other"]
