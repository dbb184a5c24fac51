"""The audit chain as plain code: what an entry says, how it is hashed, how a walk checks it.

Each entry's hash covers the previous entry's hash and the entry's canonical JSON body,
so altering, removing or reordering any entry breaks every link after it. The body names
the candidate by id only and masks the candidate's name, email and phone inside free text,
so that erasing personal data later does not break the chain.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel

from contract.codes import EventType
from contract.events import SessionEvent
from contract.sessions import Candidate, Contest, ExitRecord

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first entry of the chain."""

_MASK = "[candidate]"


class AuditVerification(BaseModel):
    """The result of walking the audit chain.

    Attributes:
        ok: Whether every entry's hash and link hold.
        events: Entries examined; on failure, up to and including the first bad one.
        first_bad_event: ``event_id`` of the first entry whose body, hash or link is wrong.
        detail: What was wrong with it, for a person.
    """

    ok: bool
    events: int
    first_bad_event: str | None = None
    detail: str | None = None


class ChainLink(Protocol):
    """What the walk reads of a stored entry (a row of ``audit_log``)."""

    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def body(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def canonical_json(data: Any) -> str:
    """The one JSON text of ``data``: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_utc(at: datetime) -> str:
    """``at`` as ISO 8601 in UTC; a naive time is taken to be UTC already."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat()


def entry_hash(prev_hash: str, body: str) -> str:
    """The SHA-256 hex digest that links an entry with canonical ``body`` to ``prev_hash``."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def audit_body(event: SessionEvent) -> str:
    """The canonical JSON facts an event adds to the audit chain.

    Args:
        event: The event being recorded.

    Returns:
        Canonical JSON covering the event's id, type and time, the session's ids, status
        and stage, the consent the session started with (on ``interview.started``, if
        any), the exit (if any), the ids of cancelled downstream steps, and a termination's
        contest deadline or the contest and its decision.
    """
    session = event.session
    facts: dict[str, Any] = {
        "event_id": event.event_id,
        "type": str(event.type),
        "at": iso_utc(event.at),
        "seq": event.seq,
        "session_id": session.session_id,
        "candidate_id": session.candidate.id,
        "job_id": session.job.id,
        "interviewer_id": session.interviewer_id,
        "status": str(session.status),
        "stage": session.current_stage,
    }
    if event.type is EventType.STARTED and session.consent is not None:
        # Only when given: the bodies (and hashes) of sessions without one stay as they were.
        facts["consent"] = session.consent.model_dump(mode="json")
    if event.exit is not None:
        facts["exit"] = _exit_facts(event.exit, session.candidate)
    if event.type is EventType.DOWNSTREAM_CANCELLED or event.cancelled_steps:
        facts["cancelled_steps"] = sorted(step.step_id for step in event.cancelled_steps)
    if event.restored_steps:
        facts["restored_steps"] = sorted(step.step_id for step in event.restored_steps)
    if event.type is EventType.TERMINATED and session.contest_window is not None:
        facts["contest_deadline"] = iso_utc(session.contest_window.deadline)
    if event.contest is not None:
        facts["contest"] = _contest_facts(event.contest, session.candidate)
    return canonical_json(facts)


def _contest_facts(contest: Contest, candidate: Candidate) -> dict[str, Any]:
    return {
        "contest_id": contest.contest_id,
        "exit_id": contest.exit_id,
        "status": str(contest.status),
        "contested_at": iso_utc(contest.contested_at),
        "statement": mask_candidate(contest.statement, candidate),
        "decided_at": iso_utc(contest.decided_at) if contest.decided_at else None,
        "decided_by": contest.decided_by.model_dump(mode="json") if contest.decided_by else None,
        "decision_explanation": mask_candidate(contest.decision_explanation, candidate),
    }


def _exit_facts(record: ExitRecord, candidate: Candidate) -> dict[str, Any]:
    def masked(text: str | None) -> str | None:
        return mask_candidate(text, candidate)

    facts: dict[str, Any] = {
        "exit_id": record.exit_id,
        "kind": str(record.kind),
        "reason_code": record.reason_code,
        "at": iso_utc(record.at),
        "stage": record.stage,
        "comment": masked(record.comment),
        "explanation": masked(record.explanation),
        "notice_text": masked(record.notice_text),
        "actor": record.actor.model_dump(mode="json") if record.actor else None,
        "fault": None,
    }
    if record.fault is not None:
        # The IP address identifies the candidate: it stays in the exits table only.
        client = (
            record.fault.client.model_dump(mode="json", exclude={"ip"})
            if (record.fault.client)
            else None
        )
        facts["fault"] = {
            "cause": record.fault.cause,
            "detail": masked(record.fault.detail),
            "client": client,
        }
    return facts


def mask_candidate(text: str | None, candidate: Candidate) -> str | None:
    """``text`` with the candidate's name, email and phone replaced by a placeholder.

    Free text (a comment, an explanation, the notice sent) may quote the candidate; the
    audit chain must not, or erasing personal data would break it.
    """
    if not text:
        return text
    for needle in (candidate.email, candidate.phone, candidate.name):
        if needle and len(needle) >= 2:
            text = re.sub(re.escape(needle), _MASK, text, flags=re.IGNORECASE)
    return text


class ChainWalk:
    """Checks audit entries fed in chain order; stops at the first bad one.

    Usage: ``feed`` batches until it returns False or entries run out, then ``result()``.
    """

    def __init__(self) -> None:
        self._expected_prev = GENESIS_HASH
        self._events = 0
        self._failure: AuditVerification | None = None

    def feed(self, links: Iterable[ChainLink]) -> bool:
        """Check the next entries in chain order.

        Returns:
            False once a bad entry has been found (feeding more is pointless).
        """
        for link in links:
            if self._failure is not None:
                break
            self._events += 1
            problem = _problem_with(link, self._expected_prev)
            if problem is not None:
                self._failure = AuditVerification(
                    ok=False, events=self._events, first_bad_event=link.event_id, detail=problem
                )
            self._expected_prev = link.hash
        return self._failure is None

    def result(self) -> AuditVerification:
        """The verdict over everything fed so far."""
        return self._failure or AuditVerification(ok=True, events=self._events)


def _problem_with(link: ChainLink, expected_prev: str) -> str | None:
    if link.prev_hash != expected_prev:
        return (
            "link broken: prev_hash does not match the entry before it "
            "(an earlier entry was removed, reordered or rewritten)"
        )
    if entry_hash(link.prev_hash, link.body) != link.hash:
        return "hash mismatch: the entry's body or hash was altered"
    try:
        facts = json.loads(link.body)
    except ValueError:
        return "body is not JSON"
    stated = (facts.get("event_id"), facts.get("type"), facts.get("at"))
    if stated != (link.event_id, link.type, iso_utc(link.at)):
        return "columns event_id/type/at disagree with the hashed body"
    return None
