"""How a recorded event maps onto table rows: plain functions, no database needed."""

from __future__ import annotations

from typing import Any

from contract.codes import DownstreamStatus, ExitKind, WithdrawReason
from contract.events import SessionEvent
from contract.sessions import ExitRecord

Values = dict[str, Any]

SUSPENDING_KINDS = (ExitKind.SYSTEM_FAULT.value, ExitKind.ABANDONED.value)
"""Exit kinds that leave a session open to resume (or to expire)."""

STAGE_LIST_SEPARATOR = ","
"""Joins a session's stages into ``sessions.stage_list``; no stage name contains it."""

FINAL_DELIVERY_OUTCOMES = ("sent", "failed")
"""Delivery outcomes that a later ``pending`` must never overwrite."""

PREFERENCE_TAGS: dict[str, str] = {
    WithdrawReason.SALARY_EXPECTATION: "salary_expectation_above_range",
    WithdrawReason.PROCESS_TOO_LONG: "process_length_sensitive",
    WithdrawReason.ACCEPTED_OTHER_OFFER: "has_competing_offers",
    WithdrawReason.JOB_REQUIREMENTS: "job_requirements_mismatch",
    WithdrawReason.TECHNICAL_DISCOMFORT: "prefers_non_video_interview",
    WithdrawReason.LOST_INTEREST: "low_interest_in_role",
    WithdrawReason.PERSONAL_EMERGENCY: "availability_constraints",
}
"""The preference a withdrawal reason tells about the candidate (``other`` tells none)."""


def session_values(event: SessionEvent) -> Values:
    """The ``sessions`` row as of ``event``."""
    session = event.session
    consent = session.consent
    return {
        "session_id": session.session_id,
        "workflow_id": session.workflow_id,
        "candidate_id": session.candidate.id,
        "candidate_name": session.candidate.name,
        "candidate_email": str(session.candidate.email),
        "candidate_phone": session.candidate.phone,
        "locale": session.candidate.locale,
        "job_id": session.job.id,
        "job_title": session.job.title,
        "interviewer_id": session.interviewer_id,
        "stages": list(session.stages),
        "stage_list": STAGE_LIST_SEPARATOR.join(session.stages),
        "policy": session.policy.model_dump(mode="json"),
        "consent_notice_version": consent.notice_version if consent else None,
        "consent_accepted_at": consent.accepted_at if consent else None,
        "consent_text_sha256": consent.text_sha256 if consent else None,
        "status": str(session.status),
        "current_stage": session.current_stage,
        "started_at": session.started_at,
        "updated_at": event.at,
        "ended_at": session.ended_at,
        "resume_deadline": (
            session.suspension.resume_deadline if session.suspension is not None else None
        ),
        "last_event_seq": event.seq,
    }


def segment_values(event: SessionEvent) -> list[Values]:
    """One ``segments`` row per segment saved in the session so far."""
    return [
        {"session_id": event.session.session_id, **segment.model_dump()}
        for segment in event.session.segments
    ]


def exit_values(event: SessionEvent, record: ExitRecord) -> Values:
    """The ``exits`` row of ``record``, flattened with the session's ids for analytics."""
    session = event.session
    fault = record.fault
    client = fault.client if fault is not None else None
    return {
        "exit_id": record.exit_id,
        "session_id": session.session_id,
        "candidate_id": session.candidate.id,
        "job_id": session.job.id,
        "interviewer_id": session.interviewer_id,
        "kind": str(record.kind),
        "reason_code": record.reason_code,
        "stage": record.stage,
        "at": record.at,
        "session_started_at": session.started_at,
        "comment": record.comment,
        "explanation": record.explanation,
        "notice_text": record.notice_text,
        "actor_id": record.actor.id if record.actor else None,
        "actor_name": record.actor.name if record.actor else None,
        "actor_verified": record.actor.verified if record.actor else False,
        "fault_cause": str(fault.cause) if fault is not None and fault.cause else None,
        "fault_detail": fault.detail if fault is not None else None,
        "client_ip": client.ip if client else None,
        "client_browser": client.browser if client else None,
        "client_browser_version": client.browser_version if client else None,
        "client_os": client.os if client else None,
        "client_device": client.device if client else None,
        "client_network_latency_ms": client.network_latency_ms if client else None,
    }


def candidate_tag_values(event: SessionEvent, record: ExitRecord) -> list[Values]:
    """The ``candidate_tags`` rows ``record`` implies: one for a telling withdrawal, else none."""
    tag = PREFERENCE_TAGS.get(record.reason_code)
    if record.kind is not ExitKind.WITHDRAWN or tag is None:
        return []
    session = event.session
    return [
        {
            "exit_id": record.exit_id,
            "tag": tag,
            "candidate_id": session.candidate.id,
            "session_id": session.session_id,
            "job_id": session.job.id,
            "reason_code": record.reason_code,
            "at": record.at,
        }
    ]


def downstream_values(event: SessionEvent) -> list[Values]:
    """One ``downstream_steps`` row per step the session knows, as of ``event``."""
    reason = str(event.exit.kind) if event.exit is not None else str(event.type)
    return [
        {
            "session_id": event.session.session_id,
            "step_id": step.step_id,
            "kind": str(step.kind),
            "scheduled_at": step.scheduled_at,
            "status": str(step.status),
            "reason": reason if step.status is DownstreamStatus.CANCELLED else None,
            "updated_at": event.at,
        }
        for step in event.session.downstream
    ]


def contest_values(event: SessionEvent) -> Values | None:
    """The ``contests`` row as of a ``termination.*`` event, or None for any other event."""
    contest = event.contest
    if contest is None:
        return None
    return {
        "contest_id": contest.contest_id,
        "session_id": event.session.session_id,
        "exit_id": contest.exit_id,
        "candidate_id": event.session.candidate.id,
        "statement": contest.statement,
        "contested_at": contest.contested_at,
        "status": str(contest.status),
        "decided_at": contest.decided_at,
        "decided_by_id": contest.decided_by.id if contest.decided_by else None,
        "decided_by_name": contest.decided_by.name if contest.decided_by else None,
        "decided_by_verified": contest.decided_by.verified if contest.decided_by else False,
        "decision_explanation": contest.decision_explanation,
    }


def event_values(event: SessionEvent) -> Values:
    """The ``session_events`` row: the event itself, as JSON."""
    return {
        "event_id": event.event_id,
        "session_id": event.session.session_id,
        "type": str(event.type),
        "seq": event.seq,
        "at": event.at,
        "payload": event.model_dump(mode="json"),
    }
