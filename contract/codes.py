"""The closed vocabularies of the contract: statuses, exit kinds, reason codes, events."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Role = Literal["platform", "hr", "ops"]
"""Who holds an API key: the interview platform, HR, or operations."""
ROLES: tuple[Role, ...] = ("platform", "hr", "ops")


class SessionStatus(StrEnum):
    """Where a session stands; the last four are terminal."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """Whether nothing can happen to the session any more."""
        return self not in (SessionStatus.ACTIVE, SessionStatus.SUSPENDED)


class ExitKind(StrEnum):
    """How a session ended, or was interrupted."""

    WITHDRAWN = "withdrawn"
    SYSTEM_FAULT = "system_fault"
    ABANDONED = "abandoned"
    TERMINATED = "terminated"
    EXPIRED = "expired"


class WithdrawReason(StrEnum):
    """Why a candidate quit on purpose."""

    PERSONAL_EMERGENCY = "personal_emergency"
    LOST_INTEREST = "lost_interest"
    SALARY_EXPECTATION = "salary_expectation"
    PROCESS_TOO_LONG = "process_too_long"
    ACCEPTED_OTHER_OFFER = "accepted_other_offer"
    JOB_REQUIREMENTS = "job_requirements"
    TECHNICAL_DISCOMFORT = "technical_discomfort"
    OTHER = "other"


class FaultCause(StrEnum):
    """What broke when the platform reported a fault."""

    NETWORK = "network"
    DEVICE = "device"
    BROWSER = "browser"
    MEDIA_PERMISSION = "media_permission"
    SERVER = "server"
    OTHER = "other"


class TerminationReason(StrEnum):
    """Why the employer stopped an interview."""

    RESUME_MISREPRESENTATION = "resume_misrepresentation"
    ANSWER_MISCONDUCT = "answer_misconduct"
    POSITION_FILLED = "position_filled"
    NOT_QUALIFIED = "not_qualified"
    DUPLICATE_APPLICATION = "duplicate_application"
    OTHER = "other"


ABANDONED_REASON = "heartbeat_timeout"
"""Reason code of an ``abandoned`` exit: the candidate's page stopped heartbeating."""

REINSTATED_REASON = "termination_overturned"
"""Reason code of an ``expired`` exit after HR overturned a termination and the candidate
did not come back inside the fresh resume window."""


class EventType(StrEnum):
    """Every state change exitflow reports; all but the reminder go to the HR system."""

    STARTED = "interview.started"
    SUSPENDED = "interview.suspended"
    RESUMED = "interview.resumed"
    COMPLETED = "interview.completed"
    WITHDRAWN = "interview.withdrawn"
    TERMINATED = "interview.terminated"
    EXPIRED = "interview.expired"
    DOWNSTREAM_CANCELLED = "downstream.cancelled"
    DOWNSTREAM_RESTORED = "downstream.restored"
    RESUME_REMINDER = "interview.resume_reminder"
    TERMINATION_CONTESTED = "termination.contested"
    TERMINATION_UPHELD = "termination.upheld"
    TERMINATION_OVERTURNED = "termination.overturned"

    @property
    def goes_to_hris(self) -> bool:
        """Whether the HR system is told; the reminder concerns only the candidate."""
        return self is not EventType.RESUME_REMINDER

    @property
    def emails_candidate(self) -> bool:
        """Whether the candidate gets a message for this event (contract section 5)."""
        return self in _CANDIDATE_EVENTS


_CANDIDATE_EVENTS = frozenset(
    {
        EventType.SUSPENDED,
        EventType.WITHDRAWN,
        EventType.TERMINATED,
        EventType.EXPIRED,
        EventType.RESUME_REMINDER,
        EventType.TERMINATION_CONTESTED,
        EventType.TERMINATION_UPHELD,
        EventType.TERMINATION_OVERTURNED,
    }
)


class ContestStatus(StrEnum):
    """Where a candidate's contest of a termination stands."""

    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class DownstreamKind(StrEnum):
    """What a session leads to."""

    ASSESSMENT = "assessment"
    WRITTEN_TEST = "written_test"
    ONSITE_INTERVIEW = "onsite_interview"
    OTHER = "other"


class DownstreamStatus(StrEnum):
    """Where a downstream step stands."""

    SCHEDULED = "scheduled"
    INVITED = "invited"
    CANCELLED = "cancelled"


class ErrorCode(StrEnum):
    """The ``type`` of every refusal, and the API's error ``code``."""

    INVALID_FIELD = "invalid_field"
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_ENDED = "session_ended"
    SESSION_SUSPENDED = "session_suspended"
    SESSION_NOT_SUSPENDED = "session_not_suspended"
    SESSION_CONFLICT = "session_conflict"
    RESUME_WINDOW_CLOSED = "resume_window_closed"
    INVALID_RESUME_TOKEN = "invalid_resume_token"
    SESSION_NOT_TERMINATED = "session_not_terminated"
    CONTEST_WINDOW_CLOSED = "contest_window_closed"
    INVALID_CONTEST_TOKEN = "invalid_contest_token"
    ALREADY_CONTESTED = "already_contested"
    NO_OPEN_CONTEST = "no_open_contest"
    CONTEST_NOT_FOUND = "contest_not_found"
