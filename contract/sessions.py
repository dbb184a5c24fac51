"""The messages of ``InterviewSessionWorkflow``, shaped as the contract's HTTP bodies.

A platform that speaks Temporal directly sends these as JSON; the HTTP API sends the same.
Field limits live here, once, so that every entrance refuses the same things.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)

from contract.bounds import AwareTime, SingleLine, Text, distinct
from contract.codes import (
    ContestStatus,
    DownstreamKind,
    DownstreamStatus,
    ExitKind,
    FaultCause,
    SessionStatus,
    TerminationReason,
    WithdrawReason,
)
from contract.stuck import StuckStep

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]*[A-Za-z0-9_:-][A-Za-z0-9._:-]*$"
"""A session id's characters (contract section 1), not dots only: ``.`` and ``..`` would be
removed from a URL as dot segments, so such a session could never be addressed."""
MAX_ID_LENGTH = 128
POLICY_ID_PATTERN = r"^[a-z0-9_-]{1,64}$"
"""An exit policy's id: 1 to 64 of ``a-z 0-9 _ -`` (no dot, so never a URL dot segment)."""
IDENTIFIER_PATTERN = r"^[A-Za-z0-9._:@/-]*[A-Za-z0-9_:@/-][A-Za-z0-9._:@/-]*$"
"""Any other id (candidate, job, interviewer, actor): not dots only, as for a session."""
DEFAULT_STAGES = ("self_intro", "skill_test", "scenario_simulation")

Identifier = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=IDENTIFIER_PATTERN)
]
StageName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Locale = Literal["zh-CN", "en"]
Channel = Literal["email", "sms"]
Name = Annotated[str, SingleLine(min_length=1, max_length=200)]
"""A person's name or a job's title: it goes into email headers, so one line only."""
MAX_STAGES = 50
DEFAULT_REMINDER_HOURS = 2.0
ONE_SECOND_IN_HOURS = 1 / 3600


class ContractInput(BaseModel):
    """Base of every input the contract accepts: unknown fields are refused, not dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # A NUL byte is never meaningful in these texts and PostgreSQL cannot store it:
        # refused here, at the door, instead of failing the record activity forever.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        return value


class Candidate(ContractInput):
    """The person taking the interview."""

    id: Identifier
    name: Name
    email: EmailStr
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,32}$")
    locale: Locale = "zh-CN"


class Job(ContractInput):
    """The job the interview is for."""

    id: Identifier
    title: Name


class DownstreamStep(ContractInput):
    """A step the session would lead to, scheduled at a time."""

    step_id: Identifier
    kind: DownstreamKind
    scheduled_at: AwareTime


class SessionPolicy(ContractInput):
    """How this session treats interruptions and whom it tells.

    Every duration is at least one second (a reminder or contest window of 0 turns it off).
    """

    resume_window_hours: float = Field(default=24, ge=ONE_SECOND_IN_HOURS, le=24 * 30)
    heartbeat_timeout_seconds: float = Field(default=120, ge=5, le=24 * 3600)
    reminder_before_deadline_hours: float = Field(
        default=DEFAULT_REMINDER_HOURS,
        ge=0,
        le=24 * 30,
        description="0 sends no reminder; any other must be shorter than the resume window "
        "(the default of 2 h is simply not sent where the window is not longer).",
    )
    channels: list[Channel] = Field(default=["email"], max_length=2)
    can_reapply: bool = True
    contest_window_days: float = Field(
        default=30,
        ge=0,
        le=365,
        description="How long a terminated candidate may contest the decision; 0 allows none.",
    )

    @field_validator("reminder_before_deadline_hours")
    @classmethod
    def _reminder_inside_the_window(cls, hours: float, info: ValidationInfo) -> float:
        if hours == 0:
            return hours
        if hours < ONE_SECOND_IN_HOURS:
            raise ValueError("must be 0 (no reminder) or at least one second (1/3600 hours)")
        window = info.data.get("resume_window_hours")
        # The default is kept where it does not fit, as it always was (it is then not
        # sent), so that every session started before this rule still decodes.
        if window is not None and hours >= window and hours != DEFAULT_REMINDER_HOURS:
            raise ValueError("must be shorter than resume_window_hours, or 0 for no reminder")
        return hours

    @field_validator("channels")
    @classmethod
    def _channels_once(cls, channels: list[Channel]) -> list[Channel]:
        return distinct(channels, what="channels")

    @field_validator("contest_window_days")
    @classmethod
    def _contest_window_off_or_real(cls, days: float) -> float:
        if 0 < days < 1 / 86400:
            raise ValueError("must be 0 (no contest) or at least one second (1/86400 days)")
        return days


class Consent(ContractInput):
    """The notice the candidate was shown and accepted before the AI interview.

    Kept with the session and in the audit entry of its start, so that what was agreed
    to, and when, can be shown later.
    """

    notice_version: Annotated[str, SingleLine(min_length=1, max_length=64)]
    accepted_at: AwareTime
    text_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Fa-f]{64}$",
        description="SHA-256 (hex) of the notice text as shown to the candidate.",
    )

    @field_validator("text_sha256")
    @classmethod
    def _lower_hex(cls, value: str | None) -> str | None:
        # One spelling of a digest, so that a repeated start compares equal either way.
        return value.lower() if value is not None else None


class PolicyRef(ContractInput):
    """One version of an exit policy (contract section 10)."""

    policy_id: str = Field(min_length=1, max_length=64, pattern=POLICY_ID_PATTERN)
    version: int = Field(ge=1, le=2**31)


class StartSession(ContractInput):
    """Input of ``InterviewSessionWorkflow``: the ``POST /v1/sessions`` body."""

    session_id: str = Field(max_length=MAX_ID_LENGTH, pattern=SESSION_ID_PATTERN)
    candidate: Candidate
    job: Job
    interviewer_id: Identifier
    stages: list[StageName] = Field(
        default_factory=lambda: list(DEFAULT_STAGES), min_length=1, max_length=MAX_STAGES
    )
    downstream: list[DownstreamStep] = Field(default_factory=list, max_length=20)
    policy: SessionPolicy = Field(default_factory=SessionPolicy)
    consent: Consent | None = None
    """Optional: sessions started without one (and their recorded histories) still work."""
    pinned_policy: PolicyRef | None = Field(
        default=None,
        description="Set by exitflow at the start: the exit policy version the session runs "
        "under (its job's, else default), which ``policy`` overrides field by field. What a "
        "caller sends here is replaced.",
    )

    @field_validator("stages")
    @classmethod
    def _stages_once(cls, stages: list[str]) -> list[str]:
        return distinct(stages, what="stages")

    @field_validator("downstream")
    @classmethod
    def _steps_once(cls, downstream: list[DownstreamStep]) -> list[DownstreamStep]:
        distinct([step.step_id for step in downstream], what="downstream step_id values")
        return downstream


class ClientInfo(ContractInput):
    """What the candidate's browser told the platform; every field optional."""

    ip: Annotated[str, SingleLine(max_length=64)] | None = None
    browser: Annotated[str, SingleLine(max_length=64)] | None = None
    browser_version: Annotated[str, SingleLine(max_length=64)] | None = None
    os: Annotated[str, SingleLine(max_length=64)] | None = None
    device: Annotated[str, SingleLine(max_length=64)] | None = None
    network_latency_ms: float | None = Field(default=None, ge=0, le=24 * 3600 * 1000)


class SegmentInput(ContractInput):
    """One saved piece of work: a video answer or a block of assessment questions."""

    stage: StageName
    segment_id: Identifier
    kind: Literal["video", "assessment"]
    video_seconds: float | None = Field(default=None, ge=0, le=24 * 3600)
    questions_answered: int | None = Field(default=None, ge=0, le=10_000)
    questions_correct: int | None = Field(default=None, ge=0, le=10_000)
    artifact_uri: Annotated[str, SingleLine(max_length=2048)] | None = None

    @field_validator("questions_correct")
    @classmethod
    def _correct_within_answered(cls, correct: int | None, info: ValidationInfo) -> int | None:
        # Absent from ``info.data`` when questions_answered itself was refused.
        answered = info.data.get("questions_answered", correct)
        if correct is not None and correct > (answered or 0):
            raise ValueError("questions_correct cannot exceed questions_answered")
        return correct


class Segment(SegmentInput):
    """A segment as kept: what was sent and when it was saved."""

    saved_at: datetime


class HeartbeatInput(ContractInput):
    """Signal payload: the candidate's page is alive."""

    client: ClientInfo | None = None


class FaultInput(ContractInput):
    """The platform reports that the session broke."""

    cause: FaultCause
    detail: Annotated[str, Text(max_length=2000)] | None = None
    client: ClientInfo | None = None


class FaultAck(BaseModel):
    """What the platform gets back from a reported fault."""

    status: SessionStatus
    resume_deadline: datetime
    resume_token: str


class ResumeInput(ContractInput):
    """The candidate is back, carrying the token of the suspension."""

    resume_token: Annotated[str, SingleLine(min_length=1, max_length=512)]


class WithdrawInput(ContractInput):
    """The candidate quits on purpose."""

    reason_code: WithdrawReason
    comment: Annotated[str, Text(max_length=2000)] | None = None


class Actor(ContractInput):
    """The HR person who decided.

    ``verified`` says whether exitflow proved who it is: true when the person signed in and
    the name came from their token, false when an API key carried a name the caller chose
    (contract section 9). The API sets it; what a body sends is not believed.
    """

    id: Identifier
    name: Name
    verified: bool = False


class TerminateInput(ContractInput):
    """The employer stops the interview; the explanation is sent to the candidate."""

    reason_code: TerminationReason
    explanation: Annotated[str, Text(min_length=20, max_length=2000)]
    actor: Actor


class CompleteInput(ContractInput):
    """The interview finished normally."""


class FaultInfo(BaseModel):
    """A fault as kept with its exit, for the candidate's record and for analytics."""

    cause: FaultCause | None = None
    detail: str | None = None
    client: ClientInfo | None = None


class ExitFacts(BaseModel):
    """An exit as the HR system reads it in a webhook's ``exit`` (contract §4).

    Free text appears only where the exit's kind has some; unknown keys are refused, so the
    webhook documentation and what is sent cannot drift.
    """

    model_config = ConfigDict(extra="forbid")

    exit_id: str
    kind: ExitKind
    reason_code: str
    at: datetime
    comment: str | None = None
    """``withdrawn`` only: the candidate's own words."""
    explanation: str | None = None
    """``terminated`` only: HR's explanation."""
    actor: Actor | None = None
    """``terminated`` only: who in HR ended it."""
    notice_text: str | None = None
    """``terminated`` only: the notice sent to the candidate, verbatim."""


_FREE_TEXT_BY_KIND: dict[ExitKind, tuple[str, ...]] = {
    ExitKind.WITHDRAWN: ("comment",),
    ExitKind.TERMINATED: ("explanation", "actor", "notice_text"),
}


class ExitRecord(ExitFacts):
    """One exit of a session: who or what ended it, why, when and where.

    The one model of an exit: workflows keep it, the store flattens it into a row
    (``store/reads.StoredExit``) and the webhook carries its ``facts()``.
    """

    model_config = ConfigDict(extra="ignore")

    stage: str
    fault: FaultInfo | None = None

    def facts(self) -> dict[str, Any]:
        """What the HR system is told of this exit, as plain values: the free text its kind
        carries, and only that (a ``withdrawn`` exit's ``comment`` is there even when empty).
        """
        shown = {"exit_id", "kind", "reason_code", "at", *_FREE_TEXT_BY_KIND.get(self.kind, ())}
        return self.model_dump(include=shown)


class ExitReceipt(BaseModel):
    """What the candidate (or HR) gets back when an exit is recorded."""

    exit_id: str
    kind: ExitKind
    reason_code: str
    at: datetime
    message: str
    can_reapply: bool
    notice_text: str | None = None


class DownstreamView(BaseModel):
    """A downstream step as the session sees it."""

    step_id: str
    kind: DownstreamKind
    scheduled_at: datetime
    status: DownstreamStatus


class Contest(BaseModel):
    """A candidate's contest of one termination and, once made, HR's decision on it."""

    contest_id: str
    exit_id: str
    """The termination contested."""
    statement: str
    contested_at: datetime
    status: ContestStatus
    decided_at: datetime | None = None
    decided_by: Actor | None = None
    decision_explanation: str | None = None


class ContestView(BaseModel):
    """Whether the latest termination may be contested, until when, and the contest if filed."""

    exit_id: str
    deadline: datetime
    """When the contest window closes (or closed)."""
    contest: Contest | None = None


class SessionView(BaseModel):
    """Everything a reader needs about a session, at one moment."""

    session_id: str
    status: SessionStatus
    current_stage: str
    completed_segments: list[Segment]
    exit: ExitRecord | None
    resume_deadline: datetime | None
    downstream: list[DownstreamView]
    candidate_id: str
    job_id: str
    interviewer_id: str
    exits: list[ExitRecord] = Field(default_factory=list)
    consent: Consent | None = None
    contest: ContestView | None = None
    stuck_steps: list[StuckStep] = Field(default_factory=list)
    """Pipeline steps that failed for good and wait for operations (contract/stuck.py)."""


class ExitPreview(BaseModel):
    """What quitting now would mean, in the candidate's language."""

    saved_segments: int
    can_reenter: bool = False
    can_reapply: bool
    confirmation: str
    message: str
