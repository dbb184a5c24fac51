"""Stuck pipeline steps: what of a session's exit pipeline failed for good, for operations.

A step is stuck when retrying it by itself cannot help: the record of an event that the
database refuses, an email whose data cannot make a message, an HR webhook answered with a
4xx, a delivery out of its retry time. The session goes on answering every command; the
step waits, listed in the session view and under the ``StuckStep`` search attribute, until
operations retry it (after fixing what made it fail) or give it up.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class PipelineStep(StrEnum):
    """What a stuck step was doing, most serious first."""

    RECORD = "record"
    """Saving an event (the session's rows and its audit entry, in one transaction)."""
    CANCEL = "cancel"
    """Recording a downstream step the exit called off."""
    INVITE = "invite"
    """Recording a downstream step whose time came."""
    HRIS = "hris"
    EMAIL = "email"
    SMS = "sms"


class FailureType(StrEnum):
    """Why a step is stuck: a closed set, so that it may label a metric."""

    INVALID_DATA = "invalid_data"
    INTEGRITY = "integrity"
    PERMANENT_DELIVERY = "permanent_delivery"
    OUT_OF_RETRIES = "out_of_retries"
    """A retryable failure that lasted past the step's retry time (e.g. three days of 5xx)."""
    OTHER = "other"


class StuckStep(BaseModel):
    """One step of a session's pipeline that failed for good and waits for operations."""

    step_id: str
    """``{step}:{event_id}``: what ``retry_stuck_steps`` names."""
    step: PipelineStep
    event_id: str
    """The event the step serves (a downstream step's id for ``cancel`` and ``invite``)."""
    event_type: str
    failure_type: FailureType
    detail: str
    """What failed, without personal data: exception kinds, field names, an SMTP/HTTP code."""
    since: datetime
    retries: int = 0
    """How many times operations have retried it so far."""


class RetryStuckSteps(BaseModel):
    """Input of the session's ``retry_stuck_steps`` update."""

    model_config = ConfigDict(extra="forbid")

    step_id: str | None = Field(
        default=None, max_length=300, pattern=r"^[a-z]+:[A-Za-z0-9._:@/-]+$"
    )
    """One step, or every stuck step of the session when None."""
    give_up: bool = False
    """Stop waiting instead of retrying: the step stays undone (a delivery stays failed)."""


class StuckSession(BaseModel):
    """A session's stuck steps (``get_stuck_steps``), or those a retry answered."""

    session_id: str
    steps: list[StuckStep]
