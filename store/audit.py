"""The audit chain as plain code: what an entry says, and how it is hashed and sealed.

Each entry's hash covers the previous entry's hash and the entry's canonical JSON body,
so altering, removing or reordering any entry breaks every link after it. The body names
the candidate by id only and holds no free text about a person: such text (a comment, an
explanation, the notice sent) is sealed into the body as a salted digest and kept beside
the chain in ``audit_personal`` (see ``audit_personal.py``), so that erasing it later does
not break the chain. ``audit_walk.py`` checks a chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from contract.codes import EventType
from contract.events import SessionEvent
from contract.sessions import Contest, ExitRecord
from store.audit_personal import DIGEST_KEY, new_salt, personal_digest, split_personal

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first entry of the chain."""


class AuditVerification(BaseModel):
    """The result of walking the audit chain.

    Attributes:
        ok: Whether every entry's hash and link hold.
        events: Entries examined; on failure, up to and including the first bad one.
        first_bad_event: ``event_id`` of the first entry whose body, hash or link is wrong.
        detail: What was wrong with it, for a person.
        erased: Entries examined whose personal text was erased (their facts still hold).
    """

    ok: bool
    events: int
    first_bad_event: str | None = None
    detail: str | None = None
    erased: int = 0


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


@dataclass(frozen=True)
class Sealed:
    """An entry ready to store: its hashed body, and its personal row's content if any.

    Attributes:
        body: Canonical JSON of the facts, with ``personal_digest`` when ``fields_json`` is set.
        fields_json: Canonical JSON ``{path: text}`` of the personal text, or None.
        salt: 32 random bytes (hex) keying the digest, or None without personal text.
    """

    body: str
    fields_json: str | None = None
    salt: str | None = None


def seal(public: dict[str, Any], personal: dict[str, Any]) -> Sealed:
    """The body of the ``public`` facts, sealing ``personal`` under a fresh salt when any."""
    if not personal:
        return Sealed(body=canonical_json(public))
    salt = new_salt()
    fields_json = canonical_json(personal)
    body = canonical_json({**public, DIGEST_KEY: personal_digest(salt, fields_json)})
    return Sealed(body=body, fields_json=fields_json, salt=salt)


def seal_event(event: SessionEvent) -> Sealed:
    """The audit entry of ``event``: its facts hashed, its free text sealed beside them."""
    return seal(*split_personal(event_facts(event)))


def event_facts(event: SessionEvent) -> dict[str, Any]:
    """Everything an event adds to the audit chain, free text included (``seal_event`` splits it).

    Args:
        event: The event being recorded.

    Returns:
        The event's id, type and time, the session's ids, status and stage, the consent
        the session started with (on ``interview.started``, if any), the exit (if any),
        the ids of cancelled downstream steps, and a termination's contest deadline or the
        contest and its decision.
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
        facts["exit"] = _exit_facts(event.exit)
    if event.type is EventType.DOWNSTREAM_CANCELLED or event.cancelled_steps:
        facts["cancelled_steps"] = sorted(step.step_id for step in event.cancelled_steps)
    if event.restored_steps:
        facts["restored_steps"] = sorted(step.step_id for step in event.restored_steps)
    if event.type is EventType.TERMINATED and session.contest_window is not None:
        facts["contest_deadline"] = iso_utc(session.contest_window.deadline)
    if event.contest is not None:
        facts["contest"] = _contest_facts(event.contest)
    return facts


def _contest_facts(contest: Contest) -> dict[str, Any]:
    return {
        "contest_id": contest.contest_id,
        "exit_id": contest.exit_id,
        "status": str(contest.status),
        "contested_at": iso_utc(contest.contested_at),
        "statement": contest.statement,
        "decided_at": iso_utc(contest.decided_at) if contest.decided_at else None,
        "decided_by": contest.decided_by.model_dump(mode="json") if contest.decided_by else None,
        "decision_explanation": contest.decision_explanation,
    }


def _exit_facts(record: ExitRecord) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "exit_id": record.exit_id,
        "kind": str(record.kind),
        "reason_code": record.reason_code,
        "at": iso_utc(record.at),
        "stage": record.stage,
        "comment": record.comment,
        "explanation": record.explanation,
        "notice_text": record.notice_text,
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
            "detail": record.fault.detail,
            "client": client,
        }
    return facts
