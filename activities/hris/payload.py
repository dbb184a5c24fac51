"""What the HR system receives for an event: the webhook id and the JSON body (contract §4).

Both are built from the event alone, so every retry of an event sends the same id and the
same bytes; the receiver can deduplicate on ``webhook-id`` and the signature stays stable
apart from its timestamp. The candidate's name, email and phone never leave exitflow: the
HR system knows the candidate by ``candidate_id``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_jsonable_python

from contract.codes import EventType, ExitKind
from contract.data_rights import HrisNotice
from contract.events import SessionEvent
from contract.sessions import DownstreamView

_WITH_SEGMENTS = frozenset(
    {
        EventType.SUSPENDED,
        EventType.RESUMED,
        EventType.COMPLETED,
        EventType.WITHDRAWN,
        EventType.TERMINATED,
        EventType.EXPIRED,
    }
)


def webhook_id(event: SessionEvent | str) -> str:
    """The ``webhook-id`` of an event (or of an event id): the same on every retry of it."""
    event_id = event if isinstance(event, str) else event.event_id
    return f"msg_{event_id}"


def hris_data(event: SessionEvent) -> dict[str, Any]:
    """The ``data`` object of an event's webhook, as plain Python values.

    Args:
        event: The state change to report.

    Returns:
        The session's identifiers, status and stage, plus whichever of ``exit``,
        ``completed_segments``, ``fault``, ``resume_deadline``, ``cancelled_steps``,
        ``contest_deadline`` and ``contest`` apply to the event's type.
    """
    session = event.session
    data: dict[str, Any] = {
        "session_id": session.session_id,
        "candidate_id": session.candidate.id,
        "job_id": session.job.id,
        "interviewer_id": session.interviewer_id,
        "status": session.status,
        "stage": session.current_stage,
    }
    if event.exit is not None:
        data["exit"] = event.exit.facts()
    if event.type in _WITH_SEGMENTS:
        data["completed_segments"] = session.segments
    if event.type is EventType.SUSPENDED:
        if event.exit is not None and event.exit.kind is ExitKind.SYSTEM_FAULT:
            fault = event.exit.fault
            data["fault"] = {
                "cause": fault.cause if fault else None,
                "detail": fault.detail if fault else None,
                "client": fault.client if fault else None,
            }
        if session.suspension is not None:
            data["resume_deadline"] = session.suspension.resume_deadline
    if event.type is EventType.TERMINATED and session.contest_window is not None:
        data["contest_deadline"] = session.contest_window.deadline
    if event.contest is not None:
        data["contest"] = event.contest
        if event.type is EventType.TERMINATION_OVERTURNED and session.suspension is not None:
            data["resume_deadline"] = session.suspension.resume_deadline
    if event.type is EventType.DOWNSTREAM_CANCELLED:
        data["cancelled_steps"] = _steps(event.cancelled_steps)
    if event.type is EventType.DOWNSTREAM_RESTORED:
        data["restored_steps"] = _steps(event.restored_steps)
    return data


def _steps(steps: list[DownstreamView]) -> list[dict[str, Any]]:
    return [
        {"step_id": step.step_id, "kind": step.kind, "scheduled_at": step.scheduled_at}
        for step in steps
    ]


def hris_body(event: SessionEvent) -> bytes:
    """The exact webhook body of an event: compact UTF-8 JSON, identical on every retry.

    Args:
        event: The state change to report.

    Returns:
        ``{"type": ..., "timestamp": <ISO 8601>, "data": {...}}`` encoded as UTF-8.
    """
    body = {"type": event.type, "timestamp": event.at, "data": hris_data(event)}
    return _encode(body)


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(to_jsonable_python(body), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def notice_body(notice: HrisNotice) -> bytes:
    """The exact webhook body of a notice, in the same shape and encoding as an event's.

    Args:
        notice: A notice that is not a session's state change, e.g. ``candidate.erased``.

    Returns:
        ``{"type": ..., "timestamp": <ISO 8601>, "data": {...}}`` encoded as UTF-8.
    """
    return _encode({"type": notice.type, "timestamp": notice.at, "data": notice.data})
