"""An erasure reaches every copy of the candidate's personal data in the store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from contract.codes import EventType
from contract.data_rights import ErasureInput, ErasureStatus, HoldInput, LiftHoldInput
from contract.events import DeliveryOutcome, SessionEvent
from contract.sessions import Actor, Candidate, ClientInfo, Segment
from store import Store
from tests.fixtures.database import STARTED_AT, make_event

HR = Actor(id="hr-3", name="Dana Whitfield")
PERSON = Candidate(
    id="c-qa",
    name="Quentin Aldersgate",
    email="q.aldersgate.private@mailbox.example",
    phone="+31655501234",
    locale="en",
)
IP = "198.51.100.23"
TRACES = (
    "Quentin",
    "Aldersgate",
    "q.aldersgate.private",
    "mailbox.example",
    "55501234",
    "5550-1234",
    "Vandermolen",
    IP,
)
"""Every spelling of the candidate planted below, a relative's name among them."""
_CLIENT = ClientInfo(ip=IP, browser="Firefox", os="Linux", device="desktop")


def _event(type: EventType, session_id: str, seq: int, **texts: Any) -> SessionEvent:
    """``make_event`` for Quentin, with free text naming him, his relative and his contacts."""
    artifact = f"s3://interviews/quentin-aldersgate/{session_id}.webm"
    segments = [
        Segment(
            stage="self_intro",
            segment_id="seg-1",
            kind="video",
            video_seconds=60,
            artifact_uri=artifact,
            saved_at=STARTED_AT + timedelta(seconds=30),
        )
    ]
    event = make_event(type, session_id=session_id, seq=seq, segments=segments)
    session = event.session.model_copy(update={"candidate": PERSON})
    updates: dict[str, Any] = {"session": session}
    if event.exit is not None:
        exit_texts = {
            k: v for k, v in texts.items() if k in ("comment", "explanation", "notice_text")
        }
        exit_ = event.exit.model_copy(update=exit_texts)
        if exit_.fault is not None:
            fault = exit_.fault.model_copy(update={"detail": texts["detail"], "client": _CLIENT})
            exit_ = exit_.model_copy(update={"fault": fault})
        updates["exit"] = exit_
    if event.contest is not None:
        contest_texts = {
            k: v for k, v in texts.items() if k in ("statement", "decision_explanation")
        }
        updates["contest"] = event.contest.model_copy(update=contest_texts)
    return event.model_copy(update=updates)


def _history() -> list[SessionEvent]:
    """Two sessions: one suspended, resumed, terminated, contested and upheld; one withdrawn."""
    relative = "my sister Ilse Vandermolen"
    return [
        _event(EventType.STARTED, "s-qa-1", 1),
        _event(
            EventType.SUSPENDED,
            "s-qa-1",
            2,
            detail=f"Quentin's router died, says {relative}; call 06-5550-1234",
        ),
        _event(EventType.RESUMED, "s-qa-1", 3),
        _event(
            EventType.TERMINATED,
            "s-qa-1",
            4,
            explanation=f"Q. Aldersgate let {relative} answer the skill test for him.",
            notice_text="Dear Quentin Aldersgate, we stopped your interview.",
        ),
        _event(
            EventType.TERMINATION_CONTESTED,
            "s-qa-1",
            5,
            statement="I, ALDERSGATE Quentin (q.aldersgate.private@mailbox.example), deny it.",
        ),
        _event(
            EventType.TERMINATION_UPHELD,
            "s-qa-1",
            6,
            statement="I, ALDERSGATE Quentin (q.aldersgate.private@mailbox.example), deny it.",
            decision_explanation="The recording shows Ilse Vandermolen answering.",
        ),
        _event(EventType.STARTED, "s-qa-2", 1),
        _event(
            EventType.WITHDRAWN,
            "s-qa-2",
            2,
            comment=f"Quentin A. here: {relative} is ill. Reach me on +31655501234.",
        ),
    ]


async def _every_column(store: Store) -> dict[str, str]:
    """Every row of every table the database has (found by reflection), as text per table."""
    async with store.engine.connect() as conn:
        metadata = sa.MetaData()
        await conn.run_sync(metadata.reflect)
        dumped = {}
        for table in metadata.sorted_tables:
            rows = (await conn.execute(sa.select(table))).mappings().all()
            dumped[table.name] = json.dumps(
                [dict(row) for row in rows], default=str, ensure_ascii=False
            )
    return dumped


def _traces(dumped: dict[str, str]) -> set[tuple[str, str]]:
    return {
        (table, trace)
        for table, text in dumped.items()
        for trace in TRACES
        if trace.lower() in text.lower()
    }


async def test_after_erasure_no_table_holds_any_trace_and_the_chain_verifies(
    store: Store,
) -> None:
    """finding 3: name variants, phone, personal email, IP, a relative named in a fault, an
    explanation, a comment and a contest, planted in every table that takes text, are gone
    from every column of every table after the erasure; ``audit verify`` holds, and the
    audit trail still shows who did what (the facts), with the text as "erased"."""
    events = _history()
    for event in events[:1]:
        assert await store.record_event(event)
    await store.see_heartbeat("s-qa-1", at=events[0].at, client=_CLIENT)
    for event in events[1:]:
        assert await store.record_event(event)
    bounce = "550 <q.aldersgate.private@mailbox.example>: mailbox full"
    await store.note_delivery(
        events[3].event_id,
        outcome=DeliveryOutcome(channel="email", outcome="failed", detail=bounce),
    )
    claim = HoldInput(reason="Claim ET/17 by Quentin Aldersgate", actor=HR)
    await store.rights.set_hold(PERSON.id, request=claim)
    await store.rights.lift_hold(
        PERSON.id, request=LiftHoldInput(actor=HR, reason="Aldersgate settled")
    )
    asked = ErasureInput(actor=HR, reason="Mail from q.aldersgate.private@mailbox.example")
    view, _ = await store.rights.request_erasure(PERSON.id, request=asked)
    planted = _traces(await _every_column(store))

    outcome = await store.rights.erase(view.request_id)
    after_erasure = _traces(await _every_column(store))
    # A decision recorded late (its activity retried past the erasure) brings nothing back.
    late = _event(
        EventType.TERMINATION_OVERTURNED,
        "s-qa-1",
        7,
        statement="Quentin Aldersgate objects.",
        decision_explanation="Ilse Vandermolen was not in the room after all.",
    )
    assert await store.record_event(late)

    assert outcome.status is ErasureStatus.COMPLETED
    assert {trace for _, trace in planted} == set(TRACES)
    assert {"audit_personal", "exits", "contests", "deliveries"} <= {t for t, _ in planted}
    assert after_erasure == set()
    assert _traces(await _every_column(store)) == set()
    verdict = await store.verify_audit_chain()
    assert (verdict.ok, verdict.erased) == (True, 6)
    page = await store.audit_entries(candidate_id=PERSON.id)
    sealed = {entry.type: entry.personal for entry in page.items if entry.personal is not None}
    assert set(sealed.values()) == {"erased"}
    assert set(sealed) == {
        "interview.suspended",
        "interview.terminated",
        "termination.contested",
        "termination.upheld",
        "termination.overturned",
        "interview.withdrawn",
    }
    terminated = next(e for e in page.items if e.type == "interview.terminated")
    assert terminated.facts["exit"]["actor"]["id"] == HR.id
    assert terminated.facts["exit"]["reason_code"] == "answer_misconduct"
