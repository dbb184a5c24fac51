"""Demo traffic for the reports: real sessions through the real workflows, in plausible proportions.

``demo_plans`` draws who, for which job, how far and how each session ends (the same for the
same seed); ``drive`` plays one plan through anything that talks to sessions like
``sessions.client.SessionClient``, so the exits land in the store the reports read.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from contract.sessions import (
    ClientInfo,
    FaultAck,
    FaultInput,
    ResumeInput,
    SegmentInput,
    SessionView,
    StartSession,
    TerminateInput,
    WithdrawInput,
)

JOBS = {
    "job-sales-manager": "Sales Manager",
    "job-backend-engineer": "Backend Engineer",
    "job-customer-success": "Customer Success Lead",
    "job-data-analyst": "Data Analyst",
}
"""Job id → title of the demo's open positions."""
INTERVIEWERS = {"iv-1": 1.0, "iv-2": 1.0, "iv-3": 1.0, "iv-4": 1.0, "iv-7": 3.0}
"""Relative withdrawal propensity: iv-7 loses far more candidates than the rest."""
OUTCOMES = {
    "completed": 45,
    "withdrawn": 20,
    "fault_resumed": 10,
    "fault_expired": 7,
    "abandoned_expired": 5,
    "terminated": 5,
    "fault_pending": 4,
}
"""How a demo session ends → its relative weight."""
_CLIENTS = [
    ("Chrome", "124.0", "Windows 11", "desktop", 40),
    ("Chrome", "88.0", "Windows 10", "desktop", 30),
    ("Safari", "17.4", "macOS 14", "laptop", 15),
    ("Safari", "15.6", "iOS 15", "mobile", 10),
    ("Firefox", "125.0", "Ubuntu 22.04", "desktop", 5),
]
_WITHDRAW_REASONS = {
    "job-sales-manager": ["salary_expectation", "salary_expectation", "job_requirements"],
    "job-backend-engineer": ["process_too_long", "accepted_other_offer", "job_requirements"],
    "job-customer-success": ["lost_interest", "personal_emergency", "technical_discomfort"],
    "job-data-analyst": ["job_requirements", "process_too_long", "other"],
}
_FAULT_CAUSES = ["network", "network", "browser", "media_permission", "device", "server"]
_SHORT_WINDOW_HOURS = 0.01
_QUICK_HEARTBEAT_SECONDS = 5
_SETTLE_SECONDS = 180


@dataclass(frozen=True)
class DemoPlan:
    """One demo session: who, for which job, how far it gets and how it ends."""

    index: int
    job_id: str
    interviewer_id: str
    stage_count: int
    outcome: str
    client: tuple[str, str, str, str]
    latency_ms: float
    reason: str


class DemoSessions(Protocol):
    """What ``drive`` needs of a session client (``sessions.client.SessionClient`` has it)."""

    async def start(self, body: StartSession) -> object: ...
    async def progress(self, session_id: str, segment: SegmentInput) -> object: ...
    async def report_fault(self, session_id: str, fault: FaultInput) -> FaultAck: ...
    async def resume(self, session_id: str, request: ResumeInput) -> object: ...
    async def withdraw(self, session_id: str, request: WithdrawInput) -> object: ...
    async def terminate(self, session_id: str, request: TerminateInput) -> object: ...
    async def complete(self, session_id: str) -> object: ...
    async def status(self, session_id: str) -> SessionView: ...


def demo_plans(count: int, seed: int) -> list[DemoPlan]:
    """``count`` sessions drawn from the proportions above, the same for the same seed."""
    rng = random.Random(seed)
    plans = []
    for index in range(count):
        job_id = rng.choice(list(JOBS))
        interviewer = rng.choice(list(INTERVIEWERS))
        weights = dict(OUTCOMES)
        weights["withdrawn"] = round(weights["withdrawn"] * INTERVIEWERS[interviewer])
        outcome = rng.choices(list(weights), list(weights.values()))[0]
        client = rng.choices(_CLIENTS, [c[4] for c in _CLIENTS])[0]
        old_browser = client[1] in ("88.0", "15.6")
        if outcome.startswith("fault") and not old_browser and rng.random() < 0.5:
            client = _CLIENTS[1]  # faults cluster on the old Chrome
        reason = (
            rng.choice(_FAULT_CAUSES)
            if outcome.startswith("fault")
            else rng.choice(_WITHDRAW_REASONS[job_id])
        )
        plans.append(
            DemoPlan(
                index=index,
                job_id=job_id,
                interviewer_id=interviewer,
                stage_count=rng.choices([1, 2, 3], [3, 4, 3])[0],
                outcome=outcome,
                client=client[:4],
                latency_ms=round(rng.lognormvariate(5.3, 0.9), 1),
                reason=reason,
            )
        )
    return plans


def demo_session_id(plan: DemoPlan, run_id: str) -> str:
    """The session id of ``plan`` in run ``run_id``."""
    return f"demo-{run_id}-{plan.index:04d}"


def start_body(plan: DemoPlan, run_id: str) -> StartSession:
    """The start of ``plan``'s session; sessions meant to expire get a window of seconds."""
    short = plan.outcome.endswith("expired")
    abandons = plan.outcome == "abandoned_expired"
    return StartSession.model_validate(
        {
            "session_id": demo_session_id(plan, run_id),
            "candidate": {
                "id": f"c-{run_id}-{plan.index}",
                "name": f"Candidate {plan.index}",
                "email": f"candidate{plan.index}@example.com",
                "phone": f"+1415555{plan.index % 10000:04d}",
                "locale": "en" if plan.index % 3 else "zh-CN",
            },
            "job": {"id": plan.job_id, "title": JOBS[plan.job_id]},
            "interviewer_id": plan.interviewer_id,
            "downstream": [
                {
                    "step_id": "wt-1",
                    "kind": "written_test",
                    "scheduled_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                }
            ],
            "policy": {
                "resume_window_hours": _SHORT_WINDOW_HOURS if short else 24,
                "heartbeat_timeout_seconds": _QUICK_HEARTBEAT_SECONDS if abandons else 3600,
                "reminder_before_deadline_hours": 0 if short else 2,
            },
        }
    )


async def drive(sessions: DemoSessions, plan: DemoPlan, run_id: str) -> str:
    """Play ``plan`` through ``sessions`` to its outcome; the session's status at the end.

    Sessions meant to expire are waited for (about a minute, three at most).
    """
    body = start_body(plan, run_id)
    sid = body.session_id
    await sessions.start(body)
    for n, stage in enumerate(body.stages[: plan.stage_count]):
        await sessions.progress(
            sid,
            SegmentInput(stage=stage, segment_id=f"seg-{n}", kind="video", video_seconds=90.0),
        )
    if plan.outcome == "completed":
        await sessions.complete(sid)
    elif plan.outcome == "withdrawn":
        await sessions.withdraw(sid, WithdrawInput.model_validate({"reason_code": plan.reason}))
    elif plan.outcome == "terminated":
        await sessions.terminate(
            sid,
            TerminateInput.model_validate(
                {
                    "reason_code": "position_filled" if plan.index % 2 else "not_qualified",
                    "explanation": "The position was filled before this interview finished.",
                    "actor": {"id": "hr-3", "name": "Wang Fang"},
                }
            ),
        )
    elif plan.outcome.startswith("fault"):
        fault = FaultInput.model_validate({"cause": plan.reason, "client": _client_info(plan)})
        ack = await sessions.report_fault(sid, fault)
        if plan.outcome == "fault_resumed":
            await asyncio.sleep(1 + plan.index % 4)
            await sessions.resume(sid, ResumeInput(resume_token=ack.resume_token))
            await sessions.complete(sid)
    return await _settled(sessions, sid, waiting=plan.outcome.endswith("expired"))


def _client_info(plan: DemoPlan) -> ClientInfo:
    browser, version, os_name, device = plan.client
    return ClientInfo(
        browser=browser,
        browser_version=version,
        os=os_name,
        device=device,
        network_latency_ms=plan.latency_ms,
    )


async def _settled(sessions: DemoSessions, sid: str, *, waiting: bool) -> str:
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        status = str((await sessions.status(sid)).status)
        if not waiting or status == "expired" or time.monotonic() > deadline:
            return status
        await asyncio.sleep(2)
