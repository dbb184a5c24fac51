"""The webhook body and id built from an event."""

from __future__ import annotations

import json

import pytest

from activities.hris.payload import hris_body, webhook_id
from contract.codes import EventType
from contract.events import SessionEvent
from tests.fixtures.database import make_event

HRIS_TYPES = [t for t in EventType if t.goes_to_hris]


def _iso(event: SessionEvent) -> str:
    return event.at.isoformat().replace("+00:00", "Z")


def _data(event: SessionEvent) -> dict:  # type: ignore[type-arg]
    return json.loads(hris_body(event))["data"]


@pytest.mark.parametrize("event_type", HRIS_TYPES, ids=str)
def test_body_carries_the_session_identity(event_type: EventType) -> None:
    """Every body names the event type, its time and the session's ids, status and stage."""
    event = make_event(event_type)
    body = json.loads(hris_body(event))
    assert (body["type"], body["timestamp"]) == (event_type.value, _iso(event))
    assert {
        key: body["data"][key]
        for key in ("session_id", "candidate_id", "job_id", "interviewer_id", "status", "stage")
    } == {
        "session_id": event.session.session_id,
        "candidate_id": "c-9",
        "job_id": "job-sales-manager",
        "interviewer_id": "iv-7",
        "status": event.session.status.value,
        "stage": "skill_test",
    }


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("event_type", HRIS_TYPES, ids=str)
def test_body_never_contains_contact_details(event_type: EventType, locale: str) -> None:
    """The candidate's name, email and phone appear nowhere in any body."""
    event = make_event(event_type, locale=locale)  # type: ignore[arg-type]
    text = hris_body(event).decode()
    candidate = event.session.candidate
    assert candidate.phone is not None
    for private in (candidate.name, candidate.email, candidate.phone, candidate.phone[1:]):
        assert private not in text
    assert '"email"' not in text
    assert '"phone"' not in text


def test_body_is_byte_identical_when_built_again() -> None:
    """A retry rebuilds exactly the same bytes and the same webhook id."""
    event = make_event(EventType.TERMINATED, locale="zh-CN")
    copy = SessionEvent.model_validate_json(event.model_dump_json())
    assert hris_body(copy) == hris_body(event)
    assert webhook_id(copy) == webhook_id(event) == f"msg_{event.event_id}"


def test_body_is_compact_utf8() -> None:
    """The body is compact JSON with non-ASCII text kept as UTF-8, not escaped."""
    raw = hris_body(make_event(EventType.COMPLETED, locale="zh-CN"))
    assert b", " not in raw
    assert b'": ' not in raw
    event = make_event(EventType.WITHDRAWN)
    assert event.exit is not None
    event.exit.comment = "流程太长了"
    assert "流程太长了".encode() in hris_body(event)


def test_withdrawal_carries_exit_and_segments() -> None:
    """A withdrawal tells the reason, the comment and the work already saved."""
    event = make_event(EventType.WITHDRAWN)
    data = _data(event)
    assert event.exit is not None
    assert data["exit"] == {
        "exit_id": event.exit.exit_id,
        "kind": "withdrawn",
        "reason_code": "job_requirements",
        "at": _iso(event),
        "comment": event.exit.comment,
    }
    assert [s["segment_id"] for s in data["completed_segments"]] == [
        "seg-intro-1",
        "seg-skill-1",
    ]
    assert data["completed_segments"][1]["questions_correct"] == 7
    assert not {"fault", "resume_deadline", "cancelled_steps"} & data.keys()


def test_termination_carries_explanation_actor_and_notice() -> None:
    """A termination tells who decided, why, and the notice sent to the candidate."""
    event = make_event(EventType.TERMINATED)
    exit_ = _data(event)["exit"]
    assert event.exit is not None
    assert exit_["kind"] == "terminated"
    assert exit_["reason_code"] == "answer_misconduct"
    assert exit_["explanation"] == event.exit.explanation
    assert exit_["actor"] == {"id": "hr-3", "name": "Dana Whitfield", "verified": False}
    assert exit_["notice_text"] == event.exit.notice_text
    assert "comment" not in exit_


def test_fault_suspension_carries_fault_and_deadline() -> None:
    """A suspension after a fault tells the cause, the client and the resume deadline."""
    event = make_event(EventType.SUSPENDED)
    data = _data(event)
    assert event.session.suspension is not None
    assert data["exit"]["kind"] == "system_fault"
    assert data["fault"]["cause"] == "network"
    assert data["fault"]["detail"] == "WebRTC connection dropped"
    assert data["fault"]["client"]["browser"] == "Chrome"
    deadline = event.session.suspension.resume_deadline
    assert data["resume_deadline"] == deadline.isoformat().replace("+00:00", "Z")
    assert event.session.suspension.resume_token not in hris_body(event).decode()


def test_downstream_cancellation_lists_the_steps() -> None:
    """A downstream cancellation lists each step with its kind and scheduled time."""
    data = _data(make_event(EventType.DOWNSTREAM_CANCELLED))
    assert data["cancelled_steps"] == [
        {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T09:00:00Z"}
    ]
    assert not {"exit", "completed_segments"} & data.keys()


def test_downstream_restoration_lists_the_steps_scheduled_again() -> None:
    """After an overturn, HR hears which steps are back on, in the cancellation's shape."""
    data = _data(make_event(EventType.DOWNSTREAM_RESTORED))
    assert data["restored_steps"] == [
        {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T09:00:00Z"}
    ]
    assert data["status"] == "suspended"
    assert "cancelled_steps" not in data


def test_start_carries_no_exit() -> None:
    """A start is only the session's identity and status."""
    data = _data(make_event(EventType.STARTED))
    assert data["status"] == "active"
    assert not {"exit", "fault", "completed_segments", "cancelled_steps"} & data.keys()
