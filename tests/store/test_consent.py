"""The notice a candidate accepted: kept on the session, in the start's audit entry, shown."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contract.codes import EventType
from contract.events import SessionEvent
from contract.sessions import Consent
from store import Store
from tests.fixtures.database import STARTED_AT, make_event
from tests.store.helpers import execute, fetch

NOTICE = "We record your answers on video and an AI scores them; a person reviews every score."
CONSENT = Consent(
    notice_version="ai-interview-2024-05",
    accepted_at=datetime(2024, 5, 10, 8, 58, tzinfo=UTC),
    text_sha256=hashlib.sha256(NOTICE.encode()).hexdigest().upper(),
)


def _with_consent(event: SessionEvent, consent: Consent | None = CONSENT) -> SessionEvent:
    session = event.session.model_copy(update={"consent": consent})
    return event.model_copy(update={"session": session})


async def _audit_bodies(store: Store, session_id: str) -> list[dict[str, object]]:
    rows = await fetch(
        store, "SELECT body FROM audit_log WHERE session_id = :sid ORDER BY id", sid=session_id
    )
    return [json.loads(row["body"]) for row in rows]


async def test_consent_is_stored_shown_and_audited_with_the_start(store: Store) -> None:
    """The session row keeps the consent, the view shows it, the start's entry states it."""
    started = _with_consent(make_event(EventType.STARTED, seq=1, with_exit=False))
    sid = started.session.session_id
    withdrawn = _with_consent(make_event(EventType.WITHDRAWN, session_id=sid, seq=2))

    assert await store.record_event(started)
    assert await store.record_event(withdrawn)

    [row] = await fetch(store, "SELECT * FROM sessions WHERE session_id = :sid", sid=sid)
    assert row["consent_notice_version"] == "ai-interview-2024-05"
    assert row["consent_text_sha256"] == hashlib.sha256(NOTICE.encode()).hexdigest()
    view = await store.get_session(sid)
    assert view is not None and view.consent == CONSENT
    start_entry, exit_entry = await _audit_bodies(store, sid)
    assert start_entry["consent"] == {
        "notice_version": "ai-interview-2024-05",
        "accepted_at": "2024-05-10T08:58:00Z",
        "text_sha256": hashlib.sha256(NOTICE.encode()).hexdigest(),
    }
    assert "consent" not in exit_entry
    verification = await store.verify_audit_chain()
    assert (verification.ok, verification.events) == (True, 2)


async def test_a_start_without_consent_is_recorded_as_before(store: Store) -> None:
    """No consent: empty columns, no consent in the view and no key in the audit body."""
    started = make_event(EventType.STARTED, seq=1, with_exit=False)
    sid = started.session.session_id

    assert await store.record_event(started)

    [row] = await fetch(store, "SELECT * FROM sessions WHERE session_id = :sid", sid=sid)
    consent_columns = ("consent_notice_version", "consent_accepted_at", "consent_text_sha256")
    assert [row[column] for column in consent_columns] == [None, None, None]
    view = await store.get_session(sid)
    assert view is not None and view.consent is None
    [entry] = await _audit_bodies(store, sid)
    assert sorted(entry) == [
        "at",
        "candidate_id",
        "event_id",
        "interviewer_id",
        "job_id",
        "seq",
        "session_id",
        "stage",
        "status",
        "type",
    ]
    assert (await store.verify_audit_chain()).ok


async def test_altering_a_stored_consent_breaks_the_chain(store: Store) -> None:
    """The consent is hashed into the chain: rewriting its version is detected."""
    started = _with_consent(make_event(EventType.STARTED, seq=1, with_exit=False))
    assert await store.record_event(started)
    [row] = await fetch(
        store, "SELECT id, body FROM audit_log WHERE event_id = :e", e=started.event_id
    )
    forged = row["body"].replace("ai-interview-2024-05", "ai-interview-2023-01")
    await execute(store, "UPDATE audit_log SET body = :b WHERE id = :i", b=forged, i=row["id"])

    verification = await store.verify_audit_chain()
    assert not verification.ok and verification.first_bad_event == started.event_id


@pytest.mark.parametrize(
    "fields",
    [
        {"notice_version": "", "accepted_at": STARTED_AT},
        {"notice_version": "v" * 65, "accepted_at": STARTED_AT},
        {"notice_version": "v1", "accepted_at": datetime(2024, 5, 10, 9)},
        {"notice_version": "v1", "accepted_at": STARTED_AT, "text_sha256": "abc"},
        {"notice_version": "v1", "accepted_at": STARTED_AT, "text_sha256": "g" * 64},
    ],
    ids=["empty-version", "long-version", "naive-time", "short-digest", "non-hex-digest"],
)
def test_a_malformed_consent_is_refused(fields: dict[str, object]) -> None:
    """Version 1-64 chars, an aware time, and a digest of 64 hex digits if given."""
    with pytest.raises(ValidationError):
        Consent.model_validate(fields)
