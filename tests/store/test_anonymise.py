"""The anonymiser: what it removes, what it keeps, and that reports and the audit hold."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import EventType
from contract.data_rights import ScrubCounts
from contract.events import DeliveryOutcome
from reports import ReportFilter, ReportOptions, run_report
from store import Store
from store.anonymise import ERASED, anonymise_sessions, scrub_payload
from store.audit_entries import lock_chain
from tests.fixtures.database import make_event
from tests.reports.world import record_world
from tests.store.data_rights import PERSONAL_TEXTS, every_report
from tests.store.helpers import execute, fetch


async def _anonymise(store: Store, *session_ids: str) -> ScrubCounts:
    async with AsyncSession(store.engine) as session, session.begin():
        await lock_chain(session, store.engine.dialect.name)
        return await anonymise_sessions(session, session_ids, at=make_event().at)


async def _all_session_ids(store: Store) -> list[str]:
    return [row["session_id"] for row in await fetch(store, "SELECT session_id FROM sessions")]


def test_scrubbing_an_event_removes_personal_fields_and_keeps_the_rest() -> None:
    """Name, email, phone, free text, IP and artifact links go; ids, kinds and times stay."""
    suspended = make_event(EventType.SUSPENDED).model_dump(mode="json")
    terminated = make_event(EventType.TERMINATED).model_dump(mode="json")
    original = json.dumps(suspended)

    scrubbed_suspended = scrub_payload(suspended)
    scrubbed_terminated = scrub_payload(terminated)

    text = json.dumps([scrubbed_suspended, scrubbed_terminated])
    assert not any(personal in text for personal in PERSONAL_TEXTS)
    assert "Answers were read aloud" not in text and "s3://" not in text
    assert json.dumps(suspended) == original
    candidate = scrubbed_suspended["session"]["candidate"]
    assert candidate == {"id": "c-9", "name": None, "email": None, "phone": None, "locale": "en"}
    fault = scrubbed_suspended["exit"]["fault"]
    assert (fault["cause"], fault["detail"], fault["client"]["ip"]) == ("network", None, None)
    assert fault["client"]["browser"] == "Chrome"
    actor = scrubbed_terminated["exit"]["actor"]
    assert actor == {"id": "hr-3", "name": "Dana Whitfield", "verified": False}
    assert scrubbed_terminated["exit"]["reason_code"] == "answer_misconduct"


async def test_anonymising_every_session_leaves_every_report_unchanged(store: Store) -> None:
    """Every report's figures, over all time and over May, are the same after."""
    await record_world(store)
    before = await every_report(store)

    counts = await _anonymise(store, *await _all_session_ids(store))

    assert counts.sessions == 9
    assert await every_report(store) == before
    contacts = await fetch(store, "SELECT candidate_email FROM sessions")
    assert {row["candidate_email"] for row in contacts} == {None}


async def test_an_erased_candidate_leaves_the_reengagement_list(store: Store) -> None:
    """Someone anonymised has no contact to give and asked not to be contacted: not listed."""
    await record_world(store)
    listed = await run_report(store.engine, "reengagement", ReportFilter(), ReportOptions())
    first = listed.candidates[0]  # type: ignore[attr-defined]

    await _anonymise(store, first.session_id)

    after = await run_report(store.engine, "reengagement", ReportFilter(), ReportOptions())
    remaining = [c.session_id for c in after.candidates]  # type: ignore[attr-defined]
    before = [c.session_id for c in listed.candidates]  # type: ignore[attr-defined]
    assert remaining == [sid for sid in before if sid != first.session_id]


async def test_anonymised_rows_hold_no_personal_data_anywhere(store: Store) -> None:
    """Sessions, exits, segments, events and deliveries keep no name, contact or free text."""
    fault, terminated = make_event(EventType.SUSPENDED), make_event(EventType.TERMINATED)
    for event in (fault, terminated):
        await store.record_event(event)
    refusal = "550 5.1.1 <alex.morgan@example.com>: Recipient address rejected"
    bounced = DeliveryOutcome(channel="email", outcome="failed", detail=refusal)
    await store.note_delivery(fault.event_id, outcome=bounced)

    counts = await _anonymise(store, fault.session.session_id, terminated.session.session_id)

    assert counts == ScrubCounts(sessions=2, exits=2, segments=4, events=2, deliveries=1)
    for table in ("sessions", "exits", "segments", "session_events", "deliveries"):
        dumped = json.dumps(await fetch(store, f"SELECT * FROM {table}"), default=str)
        assert not any(personal in dumped for personal in PERSONAL_TEXTS), table
        assert "Answers were read aloud" not in dumped and "WebRTC" not in dumped, table
    [session] = await fetch(
        store, "SELECT * FROM sessions WHERE session_id = :s", s=fault.session.session_id
    )
    assert session["candidate_id"] == "c-9" and session["anonymised_at"] is not None
    [exit_] = await fetch(
        store, "SELECT * FROM exits WHERE session_id = :s", s=fault.session.session_id
    )
    assert (exit_["fault_cause"], exit_["client_browser"], exit_["client_ip"]) == (
        "network",
        "Chrome",
        None,
    )


async def test_anonymising_twice_changes_nothing_more(store: Store) -> None:
    """A second run finds nothing to remove and keeps the first ``anonymised_at``."""
    event = make_event(EventType.WITHDRAWN)
    await store.record_event(event)
    await _anonymise(store, event.session.session_id)
    first = await fetch(store, "SELECT * FROM sessions")
    events_first = await fetch(store, "SELECT payload FROM session_events")

    await _anonymise(store, event.session.session_id)

    assert await fetch(store, "SELECT * FROM sessions") == first
    assert await fetch(store, "SELECT payload FROM session_events") == events_first


async def test_a_later_event_does_not_bring_personal_data_back(store: Store) -> None:
    """An event recorded after anonymisation (e.g. a late cancellation) is scrubbed at once."""
    event = make_event(EventType.WITHDRAWN, seq=1)
    await store.record_event(event)
    await _anonymise(store, event.session.session_id)

    later = make_event(
        EventType.DOWNSTREAM_CANCELLED, session_id=event.session.session_id, seq=2, with_exit=False
    )
    assert await store.record_event(later)

    dumped = json.dumps(await fetch(store, "SELECT * FROM sessions"), default=str)
    dumped += json.dumps(await fetch(store, "SELECT payload FROM session_events"), default=str)
    assert not any(personal in dumped for personal in PERSONAL_TEXTS)


async def test_a_contest_statement_is_replaced_and_its_answer_removed(store: Store) -> None:
    """The contests table keeps the contest (not null) with its text replaced."""
    event = make_event(EventType.TERMINATED)
    await store.record_event(event)
    await execute(
        store,
        "INSERT INTO contests (contest_id, session_id, exit_id, candidate_id, statement, "
        "contested_at, status, decision_explanation) VALUES ('ct-1', :s, :x, 'c-9', "
        "'I, Alex Morgan, did not cheat.', :at, 'rejected', 'Alex Morgan was seen reading.')",
        s=event.session.session_id,
        x=event.exit.exit_id if event.exit else "",
        at=event.at,
    )

    await _anonymise(store, event.session.session_id)

    [contest] = await fetch(store, "SELECT statement, decision_explanation, status FROM contests")
    assert contest == {"statement": ERASED, "decision_explanation": None, "status": "rejected"}


async def test_the_audit_chain_still_verifies_after_anonymising(store: Store) -> None:
    """The chain never held personal data, so anonymising leaves every hash intact."""
    await record_world(store)

    await _anonymise(store, *await _all_session_ids(store))

    verdict = await store.verify_audit_chain()
    assert verdict.ok and verdict.events > 9
