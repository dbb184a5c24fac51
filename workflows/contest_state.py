"""The contest of a termination and the rules of how it may change.

Plain, deterministic code like ``session_state``: the workflow supplies the clock and the
id source. A termination opens a window; inside it the candidate may contest once, with the
window's token; HR then upholds or overturns the contest.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

from contract.codes import ContestStatus, ErrorCode, SessionStatus
from contract.contests import ContestDecision, ContestReceipt
from contract.events import ContestWindow
from contract.refusals import refusal
from contract.sessions import Candidate, Contest, ContestView, ExitRecord

IdSource = Callable[[], str]


class ContestState:
    """The latest termination's contest window, and the contest filed inside it."""

    def __init__(self) -> None:
        """No window: nothing has been terminated yet."""
        self.window: ContestWindow | None = None
        self.contest: Contest | None = None

    @property
    def awaiting_contest(self) -> bool:
        """Whether a window is open to a contest that has not come (yet)."""
        return self.window is not None and self.contest is None

    @property
    def awaiting_decision(self) -> bool:
        """Whether a contest waits for HR's decision."""
        return self.contest is not None and self.contest.status is ContestStatus.OPEN

    def open_window(
        self, record: ExitRecord, *, days: float, now: datetime, new_id: IdSource
    ) -> ContestWindow:
        """Open the contest window of a termination, with a fresh random token."""
        self.window = ContestWindow(
            exit_id=record.exit_id,
            opened_at=now,
            deadline=now + timedelta(days=days),
            contest_token=new_id().replace("-", "") + new_id().replace("-", ""),
        )
        self.contest = None
        return self.window

    # Checks: each raises the contract's refusal and changes nothing.

    def check_contest(self, status: SessionStatus, token: str, now: datetime) -> None:
        """Refuse a contest of anything but this termination, inside its window, once."""
        if status is not SessionStatus.TERMINATED:
            raise refusal(
                ErrorCode.SESSION_NOT_TERMINATED,
                f"Only a terminated session can be contested; this one is {status.value}.",
                status=status.value,
            )
        window = self.window
        if window is None:
            raise refusal(
                ErrorCode.CONTEST_WINDOW_CLOSED,
                "This termination cannot be contested: its session allows no contest period.",
                status=status.value,
            )
        if not hmac.compare_digest(token.encode(), window.contest_token.encode()):
            raise refusal(
                ErrorCode.INVALID_CONTEST_TOKEN,
                "The contest token does not belong to this session's termination.",
                field="contest_token",
            )
        if self.contest is not None:
            raise refusal(
                ErrorCode.ALREADY_CONTESTED,
                "This termination has already been contested; the contest stands as filed.",
                contest_id=self.contest.contest_id,
                contest_status=self.contest.status.value,
            )
        if now >= window.deadline:
            raise refusal(
                ErrorCode.CONTEST_WINDOW_CLOSED,
                "The period to contest this termination is over.",
                contest_deadline=window.deadline.isoformat(),
            )

    def check_decision(self, contest_id: str) -> None:
        """Refuse a decision unless ``contest_id`` names the contest waiting for one."""
        contest = self.contest
        if contest is None or contest.status is not ContestStatus.OPEN:
            raise refusal(
                ErrorCode.NO_OPEN_CONTEST,
                "This session has no contest waiting for a decision.",
                contest_status=contest.status.value if contest else None,
            )
        if contest_id != contest.contest_id:
            raise refusal(
                ErrorCode.NO_OPEN_CONTEST,
                "The open contest of this session is another one; review it first.",
                field="contest_id",
                open_contest_id=contest.contest_id,
            )

    # Transitions: called only after the matching check passed.

    def file(self, statement: str, *, now: datetime, new_id: IdSource) -> Contest:
        """The candidate's contest, open until HR decides it."""
        assert self.window is not None
        self.contest = Contest(
            contest_id=new_id(),
            exit_id=self.window.exit_id,
            statement=statement,
            contested_at=now,
            status=ContestStatus.OPEN,
        )
        return self.contest

    def decide(self, decision: ContestDecision, *, now: datetime) -> Contest:
        """HR's decision: the contest is upheld or overturned, for good."""
        assert self.contest is not None
        self.contest = self.contest.model_copy(
            update={
                "status": ContestStatus(decision.outcome),
                "decided_at": now,
                "decided_by": decision.actor,
                "decision_explanation": decision.explanation,
            }
        )
        return self.contest

    def view(self) -> ContestView | None:
        """The contest part of the session view; None when nothing can be contested."""
        if self.window is None:
            return None
        return ContestView(
            exit_id=self.window.exit_id, deadline=self.window.deadline, contest=self.contest
        )


def contest_receipt(
    contest: Contest,
    *,
    session_id: str,
    session_status: SessionStatus,
    resume_deadline: datetime | None,
    message: str,
) -> ContestReceipt:
    """The receipt of ``contest`` as it stands, with where the session stands."""
    return ContestReceipt(
        contest_id=contest.contest_id,
        session_id=session_id,
        exit_id=contest.exit_id,
        status=contest.status,
        contested_at=contest.contested_at,
        decided_at=contest.decided_at,
        session_status=session_status,
        resume_deadline=resume_deadline,
        message=message,
    )


def contest_received_message(candidate: Candidate, *, emailed: bool) -> str:
    """What the candidate reads right after contesting."""
    if candidate.locale == "zh-CN":
        text = "我们已收到您的申诉，招聘团队将结合您的完整面试记录进行复核。"
        return text + ("复核结果将通过邮件通知您。" if emailed else "复核结果出来后会通知您。")
    text = (
        "Your contest has been received. The hiring team will review it together with the "
        "full record of your interview"
    )
    return text + (
        " and tell you the outcome by email." if emailed else " and tell you the outcome."
    )


def contest_decided_message(candidate: Candidate, outcome: ContestStatus) -> str:
    """What HR reads after deciding; in the candidate's language, like every receipt."""
    if candidate.locale == "zh-CN":
        if outcome is ContestStatus.OVERTURNED:
            return "已撤销终止决定：面试已恢复为暂停状态，候选人已收到继续面试的链接。"
        return "已维持终止决定：候选人已收到复核结果及说明，并已记入审计记录。"
    if outcome is ContestStatus.OVERTURNED:
        return (
            "The termination was overturned: the interview is suspended again and the "
            "candidate has been sent a link to resume it."
        )
    return (
        "The termination was upheld: the candidate has been told, with your explanation, "
        "and it is audited."
    )
