"""Candidate data rights: litigation holds, erasure and retention, as messages.

The HTTP bodies of the candidate routes, and the inputs and results of the erasure and
retention workflows and their activities. Holds and erasures name the candidate by the
platform's ``candidate.id``; the HR person acting is an ``Actor``, as in a termination.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from contract.bounds import Text
from contract.sessions import Actor, ContractInput

CANDIDATE_ERASED = "candidate.erased"
"""``type`` of the webhook that tells the HR system to erase the candidate too."""


class HoldInput(ContractInput):
    """``PUT /v1/candidates/{id}/hold``: keep the candidate's data for a legal matter."""

    reason: Annotated[str, Text(min_length=1, max_length=2000)] = Field(
        description="The matter, for HR."
    )
    actor: Actor


class LiftHoldInput(ContractInput):
    """``POST /v1/candidates/{id}/hold/lift``: the legal matter is over."""

    actor: Actor
    reason: Annotated[str, Text(max_length=2000)] | None = None


class Hold(BaseModel):
    """One litigation hold, active (``lifted_at`` None) or lifted; none is ever deleted."""

    hold_id: str
    candidate_id: str
    reason: str
    set_by: Actor
    set_at: datetime
    lifted_by: Actor | None = None
    lifted_at: datetime | None = None
    lift_reason: str | None = None


class HoldStatus(BaseModel):
    """Whether a candidate is held now, and every hold they ever had, newest first."""

    candidate_id: str
    held: bool
    hold: Hold | None
    history: list[Hold]


class ErasureInput(ContractInput):
    """``POST /v1/candidates/{id}/erasure``: the candidate asked to be forgotten."""

    actor: Actor
    reason: Annotated[str, Text(max_length=2000)] | None = None


class ScrubCounts(BaseModel):
    """Rows that lost their personal data, per table."""

    sessions: int = 0
    exits: int = 0
    segments: int = 0
    events: int = 0
    deliveries: int = 0

    def __add__(self, other: ScrubCounts) -> ScrubCounts:
        """The counts of both, added table by table."""
        return ScrubCounts(
            **{name: getattr(self, name) + getattr(other, name) for name in type(self).model_fields}
        )


class ErasureStatus(StrEnum):
    """Where an erasure request stands."""

    PENDING = "pending"
    COMPLETED = "completed"
    REFUSED = "refused"


class ErasureView(BaseModel):
    """An erasure request as HR reads it."""

    request_id: str
    candidate_id: str
    status: ErasureStatus
    reason: str | None
    requested_by: Actor
    requested_at: datetime
    completed_at: datetime | None = None
    counts: ScrubCounts | None = None
    detail: str | None = None
    """Why it was refused, when it was."""
    workflow_id: str
    webhook: str | None = None
    """How the ``candidate.erased`` webhook went: pending, sent, failed, skipped."""


class EraseCandidate(BaseModel):
    """Input of ``CandidateErasureWorkflow`` and its activities."""

    request_id: str
    candidate_id: str


class ErasureOutcome(BaseModel):
    """What an erasure did: the request's status, the counts, the sessions it covered."""

    request_id: str
    candidate_id: str
    status: ErasureStatus
    requested_at: datetime
    completed_at: datetime | None = None
    counts: ScrubCounts = Field(default_factory=ScrubCounts)
    session_ids: list[str] = Field(default_factory=list)
    detail: str | None = None


class RetentionInput(BaseModel):
    """Input of ``RetentionWorkflow``: anonymise ended sessions quiet for this long."""

    older_than_days: int = Field(default=365, ge=1, le=36_500)
    dry_run: bool = False
    batch_size: int = Field(default=500, ge=1, le=5000)


class RetentionQuery(BaseModel):
    """Input of ``plan_retention``: the moment before which ended sessions are due."""

    cutoff: datetime


class RetentionPlan(BaseModel):
    """What a retention run at ``cutoff`` would anonymise, and what holds keep back."""

    cutoff: datetime
    sessions: int
    held_sessions: int


class RetentionBatch(BaseModel):
    """One transaction of a retention run; ``run_id`` and ``batch`` key its audit entry."""

    run_id: str
    batch: int
    cutoff: datetime
    size: int


class RetentionResult(BaseModel):
    """What a retention run did (or, dry, would do)."""

    cutoff: datetime
    dry_run: bool
    sessions: int
    """Sessions due at the start of the run (anonymised ones, unless dry)."""
    held_sessions: int
    """Sessions as old as that, kept because their candidate is under a litigation hold."""
    anonymised: ScrubCounts = Field(default_factory=ScrubCounts)
    batches: int = 0


class HrisNotice(BaseModel):
    """A webhook to the HR system that is not a session's state change."""

    event_id: str
    """Keys the delivery: ``webhook-id`` is ``msg_<event_id>`` on every retry."""
    type: str
    at: datetime
    data: dict[str, Any]


def erasure_workflow_id(candidate_id: str) -> str:
    """One erasure runs per candidate at a time; a later request reuses the id."""
    return f"candidate-erasure-{candidate_id}"


def erasure_event_id(request_id: str) -> str:
    """The event id of a request's ``candidate.erased`` webhook (its delivery row's key)."""
    return f"erasure-{request_id}"


def erasure_notice(outcome: ErasureOutcome) -> HrisNotice:
    """The ``candidate.erased`` webhook of a completed erasure (ids only)."""
    return HrisNotice(
        event_id=erasure_event_id(outcome.request_id),
        type=CANDIDATE_ERASED,
        at=outcome.completed_at or outcome.requested_at,
        data={
            "candidate_id": outcome.candidate_id,
            "request_id": outcome.request_id,
            "requested_at": outcome.requested_at,
            "erased_at": outcome.completed_at,
            "session_ids": outcome.session_ids,
        },
    )
