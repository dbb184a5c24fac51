"""Interviewer exit rates next to the team average."""

from __future__ import annotations

from reports import (
    InterviewerReport,
    ReportFilter,
    ReportOptions,
    run_report,
)
from store import Store
from tests.reports.script import SessionScript
from tests.reports.world import MAY


async def _report(store: Store, min_sessions: int) -> InterviewerReport:
    options = ReportOptions(min_sessions=min_sessions)
    report = await run_report(store.engine, "interviewers", ReportFilter(), options)
    assert isinstance(report, InterviewerReport)
    return report


async def _sessions(store: Store, interviewer: str, withdrawn: int, completed: int) -> None:
    for i in range(withdrawn + completed):
        script = await SessionScript(
            store, f"{interviewer}-{i}", interviewer_id=interviewer
        ).start()
        await (script.withdraw("lost_interest") if i < withdrawn else script.complete())


async def test_interviewers_rates_next_to_the_team_on_the_known_month(world: Store) -> None:
    """iv-1 lost 3 of 4 (two withdrawals, one termination), iv-2 2 of 4; team 5 of 8."""
    report = await run_report(world.engine, "interviewers", MAY, ReportOptions(min_sessions=1))
    assert isinstance(report, InterviewerReport)

    assert (report.sessions, report.team_exit_rate) == (8, 0.625)
    rows = [
        (r.interviewer_id, r.sessions, r.withdrawn, r.terminated, r.expired, r.exit_rate)
        for r in report.interviewers
    ]
    assert rows == [("iv-1", 4, 2, 1, 0, 0.75), ("iv-2", 4, 1, 0, 1, 0.5)]
    assert [r.z_score for r in report.interviewers] == [0.52, -0.52]
    assert not any(r.flagged for r in report.interviewers)


async def test_an_interviewer_far_above_the_team_is_flagged_given_enough_sessions(
    store: Store,
) -> None:
    """18 of 20 against a team of 22 of 42 is flagged; 2 of 2 is not, being too few."""
    await _sessions(store, "iv-bad", withdrawn=18, completed=2)
    await _sessions(store, "iv-good", withdrawn=2, completed=18)
    await _sessions(store, "iv-new", withdrawn=2, completed=0)

    report = await _report(store, min_sessions=20)
    stricter = await _report(store, min_sessions=21)

    assert report.team_exit_rate == 0.5238
    flagged = {r.interviewer_id: (r.sessions, r.exit_rate, r.flagged) for r in report.interviewers}
    assert flagged == {
        "iv-new": (2, 1.0, False),
        "iv-bad": (20, 0.9, True),
        "iv-good": (20, 0.1, False),
    }
    assert next(r.z_score for r in report.interviewers if r.interviewer_id == "iv-bad") == 3.37
    assert not any(r.flagged for r in stricter.interviewers)
