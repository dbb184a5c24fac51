"""Exit policies (contract section 10): how a job's sessions treat exits, versioned.

Every field is optional in a PUT (a missing one keeps its current value); the bounds are
``SessionPolicy``'s wherever it has the field, so a policy can hold nothing a start body
could not. Cross-field rules (a reminder inside the resume window) are checked again on the
merged policy, so that a PUT of one field cannot break another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from contract.bounds import distinct
from contract.codes import DownstreamKind, ExitKind
from contract.sessions import (
    IDENTIFIER_PATTERN,
    MAX_ID_LENGTH,
    ONE_SECOND_IN_HOURS,
    POLICY_ID_PATTERN,
    Actor,
    Channel,
    ContractInput,
)

DEFAULT_POLICY_ID = "default"
"""The policy of every job that no other policy names."""
ALL_JOBS = "*"
MAX_REMINDERS = 5
MAX_JOB_IDS = 500
MAX_HISTORY = 200
"""At most this many versions in one answer (newest first)."""
POLICY_CONFLICT = "policy_conflict"
POLICY_NOT_FOUND = "policy_not_found"

PolicyId = Annotated[str, Field(min_length=1, max_length=64, pattern=POLICY_ID_PATTERN)]
MessageEvent = Literal[
    "suspended", "reminder", "withdrawn", "terminated", "expired", "contest_decided", "at_risk"
]
"""The events a candidate gets a message for (contract section 10's template events)."""
RiskIntervention = Literal["at_risk_message", "none"]
Channels = Annotated[list[Channel], Field(max_length=2)]
StepKinds = Annotated[list[DownstreamKind], Field(max_length=len(DownstreamKind))]
JobSelector = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=rf"^(?:\{ALL_JOBS}|{IDENTIFIER_PATTERN[1:-1]})$",
    ),
]
"""A job's id, or ``*`` for every job."""
ReminderHours = Annotated[float, Field(ge=ONE_SECOND_IN_HOURS, le=24 * 30)]


class ExitPolicyFields(ContractInput):
    """The fields of an exit policy; each None (or missing) keeps its current value."""

    resume_window_hours: float | None = Field(default=None, ge=ONE_SECOND_IN_HOURS, le=24 * 30)
    heartbeat_timeout_seconds: float | None = Field(default=None, ge=5, le=24 * 3600)
    reminders_before_deadline_hours: list[ReminderHours] | None = Field(
        default=None,
        max_length=MAX_REMINDERS,
        description="Lead times before the resume deadline, each shorter than the window; "
        "[] sends no reminder.",
    )
    channels: Channels | None = Field(default=None, description="Channels of every event.")
    channels_by_event: dict[MessageEvent, Channels] | None = Field(
        default=None, description="Channels per event; wins over channels where given."
    )
    can_reapply: bool | None = None
    reapply_after_days: float | None = Field(
        default=None, ge=0, le=365, description="Cool-down before a reapplication; 0: none."
    )
    contest_window_days: float | None = Field(
        default=None, ge=0, le=365, description="0 allows no contest."
    )
    cancel_downstream: dict[ExitKind, StepKinds] | None = Field(
        default=None, description="Which downstream step kinds each exit kind calls off."
    )
    risk_threshold: float | None = Field(
        default=None, ge=0, le=1, description="A score at or above it is at risk."
    )
    risk_holdout_share: float | None = Field(default=None, ge=0, le=1)
    risk_intervention: RiskIntervention | None = None
    job_ids: list[JobSelector] | None = Field(
        default=None,
        max_length=MAX_JOB_IDS,
        description='["*"] (the default policy only: every job without its own) or job ids.',
    )

    @field_validator("reminders_before_deadline_hours")
    @classmethod
    def _reminders_inside_the_window(
        cls, hours: list[float] | None, info: ValidationInfo
    ) -> list[float] | None:
        if hours is None:
            return None
        distinct(hours, what="reminder lead times")
        window = info.data.get("resume_window_hours")
        outside = [lead for lead in hours if window is not None and lead >= window]
        if outside:
            raise ValueError(
                f"every lead time must be shorter than resume_window_hours ({window:g}); "
                f"{outside[0]:g} is not"
            )
        return sorted(hours, reverse=True)

    @field_validator("channels")
    @classmethod
    def _channels_once(cls, channels: list[Channel] | None) -> list[Channel] | None:
        return None if channels is None else distinct(channels, what="channels")

    @field_validator("channels_by_event")
    @classmethod
    def _event_channels_once(
        cls, by_event: dict[str, list[Channel]] | None
    ) -> dict[str, list[Channel]] | None:
        for event, channels in (by_event or {}).items():
            distinct(channels, what=f"channels of {event}")
        return by_event

    @field_validator("cancel_downstream")
    @classmethod
    def _kinds_once(
        cls, by_kind: dict[ExitKind, list[DownstreamKind]] | None
    ) -> dict[ExitKind, list[DownstreamKind]] | None:
        for kind, steps in (by_kind or {}).items():
            distinct(steps, what=f"step kinds of {kind}")
        return by_kind

    @field_validator("contest_window_days")
    @classmethod
    def _contest_window_off_or_real(cls, days: float | None) -> float | None:
        if days is not None and 0 < days < 1 / 86400:
            raise ValueError("must be 0 (no contest) or at least one second (1/86400 days)")
        return days

    @field_validator("job_ids")
    @classmethod
    def _jobs_once(cls, job_ids: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if job_ids is None:
            return None
        distinct(job_ids, what="job_ids")
        if ALL_JOBS in job_ids and job_ids != [ALL_JOBS]:
            raise ValueError('"*" (every job) stands alone')
        # Known when the store checks a merged policy: only the default covers every job,
        # so that a job's policy is always the one naming it, or the default.
        policy_id = (info.context or {}).get("policy_id")
        if policy_id == DEFAULT_POLICY_ID and job_ids != [ALL_JOBS]:
            raise ValueError('the default policy applies to every job: job_ids must be ["*"]')
        if policy_id not in (None, DEFAULT_POLICY_ID) and ALL_JOBS in job_ids:
            raise ValueError('only the default policy applies to every job ("*")')
        return job_ids


class PutPolicy(ExitPolicyFields):
    """The ``PUT /v1/policies/{policy_id}`` body: the fields to change, and who changes them."""

    actor: Actor | None = Field(
        default=None,
        description="Who changes it: required with an API key (recorded verified: false); "
        "ignored for a signed-in person, whose token names them (verified: true).",
    )


class PolicyAuthor(BaseModel):
    """Who saved a version: ``verified`` when a sign-in proved it (or exitflow itself)."""

    id: str = Field(max_length=MAX_ID_LENGTH)
    name: str = Field(max_length=200)
    verified: bool


class ExitPolicy(BaseModel):
    """One version of an exit policy, with every field set."""

    policy_id: str
    version: int = Field(ge=1)
    author: PolicyAuthor
    at: datetime
    fields: ExitPolicyFields


class PolicyList(BaseModel):
    """Every policy's current version, by ``policy_id``."""

    policies: list[ExitPolicy]


class PolicyHistory(BaseModel):
    """A policy's current version and its versions, newest first (at most ``limit``)."""

    policy_id: str
    current: ExitPolicy
    versions: list[ExitPolicy]
    version_count: int = Field(description="How many versions the policy has in all.")
