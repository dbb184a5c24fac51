"""The HR webhooks in the OpenAPI document: every event type exitflow POSTs, and its body.

The bodies are built as plain JSON by ``activities/hris/payload.py``; the models here say
what they hold, for the HR system's engineers reading ``/docs``. A test renders every event
type and validates it against these models (unknown keys refused), so the two cannot drift.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from contract.codes import DownstreamKind, EventType, SessionStatus
from contract.sessions import ClientInfo, Contest, ExitFacts, Segment

_SIGNATURE = """\
Signed as [Standard Webhooks](https://www.standardwebhooks.com/): headers `webhook-id`
(the same on every retry of the event: deduplicate on it), `webhook-timestamp` (Unix
seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
keyed with `EXITFLOW_HRIS_WEBHOOK_SECRET`. Answer any 2xx. Timeouts, 5xx, 408 and 429 are
retried with growing delays for up to 3 days (`Retry-After` honoured); other 4xx are
recorded as a failed delivery and not retried.
"""

_WHEN: dict[EventType, str] = {
    EventType.STARTED: "A session started.",
    EventType.SUSPENDED: "A fault or silence suspended the session: the resume window is open.",
    EventType.RESUMED: "The candidate resumed inside the window, with every saved segment.",
    EventType.COMPLETED: "The interview finished; downstream steps run as scheduled.",
    EventType.WITHDRAWN: "The candidate withdrew, with a reason code and optional comment.",
    EventType.TERMINATED: "HR ended the interview, with a reason code and explanation.",
    EventType.EXPIRED: "The resume window closed without the candidate coming back.",
    EventType.DOWNSTREAM_CANCELLED: "An exit cancelled the steps that had not happened yet.",
    EventType.DOWNSTREAM_RESTORED: "An overturned termination scheduled its cancelled steps again.",
    EventType.TERMINATION_CONTESTED: "The candidate contested the termination.",
    EventType.TERMINATION_UPHELD: "HR upheld the termination after the contest.",
    EventType.TERMINATION_OVERTURNED: "HR overturned the termination: the session is "
    "suspended again with a fresh resume window.",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultFacts(_Strict):
    """``interview.suspended`` by a fault: its cause and the candidate's client."""

    cause: str | None
    detail: str | None
    client: ClientInfo | None


class StepRef(_Strict):
    """A downstream step named in ``cancelled_steps`` or ``restored_steps``."""

    step_id: str
    kind: DownstreamKind
    scheduled_at: datetime


class EventData(_Strict):
    """The session's ids, status and stage, and whichever facts the event type carries."""

    session_id: str
    candidate_id: str
    job_id: str
    interviewer_id: str
    status: SessionStatus
    stage: str
    exit: ExitFacts | None = None
    completed_segments: list[Segment] | None = None
    fault: FaultFacts | None = None
    resume_deadline: datetime | None = None
    contest_deadline: datetime | None = None
    contest: Contest | None = None
    cancelled_steps: list[StepRef] | None = None
    restored_steps: list[StepRef] | None = None


class SessionEventBody(_Strict):
    """The body of every session event's webhook."""

    type: EventType
    timestamp: datetime
    data: EventData


class ErasureData(_Strict):
    """``candidate.erased``: ids only, so that the HR system erases its own copy."""

    candidate_id: str
    request_id: str
    requested_at: datetime
    erased_at: datetime
    session_ids: list[str]


class ErasureBody(_Strict):
    """The body of the ``candidate.erased`` webhook."""

    type: str
    timestamp: datetime
    data: ErasureData


def document_webhooks(app: FastAPI) -> None:
    """Add each webhook type exitflow sends to the app's OpenAPI document."""
    for event_type, when in _WHEN.items():
        _add(app, event_type.value, when, SessionEventBody)
    _add(app, "candidate.erased", "A candidate's data was erased.", ErasureBody)


def _add(app: FastAPI, name: str, when: str, body: type[BaseModel]) -> None:
    async def webhook(payload: BaseModel) -> None:
        """Documentation only: exitflow POSTs this; nothing here serves it."""

    webhook.__annotations__ = {"payload": body, "return": None}
    app.webhooks.post(
        name, summary=name, description=f"{when}\n\n{_SIGNATURE}", tags=["HR webhooks"]
    )(webhook)
