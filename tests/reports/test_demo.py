"""The demo traffic: seeded plans in plausible proportions, and the sessions they start."""

from __future__ import annotations

import asyncio
import uuid

from reports import ReportFilter, WithdrawalReasons, run_report
from reports.demo import INTERVIEWERS, JOBS, OUTCOMES, demo_plans, drive, start_body
from sessions.client import SessionClient
from store import Store


def test_demo_traffic_has_every_exit_kind_in_plausible_proportions() -> None:
    """The demo plan is seeded, mostly completions, and holds every outcome."""
    plans = demo_plans(400, seed=7)
    outcomes = [plan.outcome for plan in plans]

    assert plans == demo_plans(400, seed=7)
    assert set(outcomes) == set(OUTCOMES)
    assert outcomes.count("completed") > outcomes.count("withdrawn") > outcomes.count("terminated")
    assert {plan.job_id for plan in plans} == set(JOBS)


def test_the_heavy_interviewer_loses_more_candidates() -> None:
    """iv-7's withdrawal weight is tripled, so its share of withdrawals is well above the rest."""
    plans = demo_plans(2000, seed=7)

    def withdrawn_share(interviewer: str) -> float:
        theirs = [plan for plan in plans if plan.interviewer_id == interviewer]
        return sum(plan.outcome == "withdrawn" for plan in theirs) / len(theirs)

    assert INTERVIEWERS["iv-7"] > INTERVIEWERS["iv-1"]
    assert withdrawn_share("iv-7") > 2 * withdrawn_share("iv-1")


def test_a_session_meant_to_expire_gets_a_short_window() -> None:
    """Expiring plans start with a window of seconds; the others with a day."""
    plans = demo_plans(200, seed=7)
    expiring = next(plan for plan in plans if plan.outcome == "fault_expired")
    abandoning = next(plan for plan in plans if plan.outcome == "abandoned_expired")
    completing = next(plan for plan in plans if plan.outcome == "completed")

    short, abandoned = start_body(expiring, "r1"), start_body(abandoning, "r1")
    normal = start_body(completing, "r1")

    assert short.session_id == f"demo-r1-{expiring.index:04d}"
    assert short.policy.resume_window_hours < 0.1 < normal.policy.resume_window_hours
    assert abandoned.policy.heartbeat_timeout_seconds < normal.policy.heartbeat_timeout_seconds
    assert normal.job.title == JOBS[completing.job_id]
    assert normal.interviewer_id == completing.interviewer_id


async def test_driven_plans_end_as_planned_and_reach_the_reports(
    sessions: SessionClient, store: Store
) -> None:
    """Real sessions on a real worker end as their plans say; the withdrawal is reported."""
    plans = demo_plans(200, seed=7)
    picked = {
        outcome: next(plan for plan in plans if plan.outcome == outcome)
        for outcome in ("completed", "withdrawn", "terminated", "fault_pending")
    }
    run_id = uuid.uuid4().hex[:6]

    ended = {outcome: await drive(sessions, plan, run_id) for outcome, plan in picked.items()}

    assert ended == {
        "completed": "completed",
        "withdrawn": "withdrawn",
        "terminated": "terminated",
        "fault_pending": "suspended",
    }
    withdrawn = picked["withdrawn"]
    reasons = await _reported_withdrawals(store, ReportFilter(job_id=withdrawn.job_id))
    assert [(r.reason_code, r.count) for r in reasons.overall] == [(withdrawn.reason, 1)]


async def _reported_withdrawals(store: Store, where: ReportFilter) -> WithdrawalReasons:
    """The reasons report once it counts a withdrawal (the exit is recorded a moment later)."""
    for _ in range(200):
        report = await run_report(store.engine, "reasons", where)
        assert isinstance(report, WithdrawalReasons)
        if report.withdrawals:
            return report
        await asyncio.sleep(0.05)
    raise AssertionError("the withdrawal never reached the reasons report")
