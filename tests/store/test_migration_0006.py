"""Revision 0006 moves the audit chain's free text beside it and re-anchors the chain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import insert

from contract.codes import EventType
from contract.data_rights import ErasureInput
from contract.events import SessionEvent
from contract.sessions import Actor
from store import Store
from store.audit import GENESIS_HASH, canonical_json, entry_hash, event_facts, iso_utc
from store.rows import session_values
from store.tables import AuditRow, SessionRow
from tests.fixtures.database import STARTED_AT
from tests.store.data_rights import candidate_event
from tests.store.helpers import execute, fetch
from tests.store.migration_rows import store_before

_TEXTS = ("travel", "Answers were read aloud", "Thank you for your time", "WebRTC")
"""Free text of the events below that the old bodies held."""


@pytest.fixture
async def old_store(database_url: str) -> AsyncIterator[Store]:
    """A store whose schema stops just before revision 0006."""
    async with store_before(database_url, "0006_audit_personal") as store:
        yield store


def _events() -> list[SessionEvent]:
    return [
        candidate_event("c-kept", EventType.STARTED, session_id="s-kept", seq=1),
        candidate_event("c-kept", EventType.WITHDRAWN, session_id="s-kept", seq=2),
        candidate_event("c-gone", EventType.TERMINATED, session_id="s-gone", seq=1),
        candidate_event("c-fault", EventType.SUSPENDED, session_id="s-fault", seq=1),
    ]


async def _write_old_chain(store: Store, events: list[SessionEvent]) -> list[dict[str, Any]]:
    """Sessions and the chain as revision 0005's code wrote them (text inside the bodies);
    ``s-gone`` was anonymised before the upgrade. Returns the audit rows written."""
    hold = {"event_id": "hold.set:h-1", "type": "hold.set", "at": iso_utc(STARTED_AT)}
    entries = [
        (event.event_id, event.session.session_id, event.session.candidate.id, event.at)
        for event in events
    ] + [("hold.set:h-1", "", "c-kept", STARTED_AT)]
    bodies = [canonical_json(event_facts(event)) for event in events]
    bodies.append(canonical_json({**hold, "candidate_id": "c-kept", "hold_id": "h-1"}))
    rows, prev = [], GENESIS_HASH
    for (event_id, session_id, candidate_id, at), body in zip(entries, bodies, strict=True):
        type_ = json.loads(body)["type"]
        ids = {"event_id": event_id, "session_id": session_id, "candidate_id": candidate_id}
        row = {**ids, "type": type_, "at": at, "body": body, "prev_hash": prev}
        row["hash"] = prev = entry_hash(prev, body)
        rows.append(row)
    async with store.engine.begin() as conn:
        latest = {event.session.session_id: event for event in events}
        for session_id, event in latest.items():
            gone = {"anonymised_at": event.at} if session_id == "s-gone" else {}
            await conn.execute(insert(SessionRow).values({**session_values(event), **gone}))
        for row in rows:
            await conn.execute(insert(AuditRow).values(row))
    return rows


async def _chain(store: Store) -> list[dict[str, Any]]:
    return await fetch(store, "SELECT event_id, type, body, hash FROM audit_log ORDER BY id")


async def test_the_upgrade_moves_free_text_out_and_re_anchors_a_chain_that_verifies(
    old_store: Store,
) -> None:
    """finding 3: after 0006 no hashed body holds free text; the text of sessions anonymised
    before is gone, the rest kept beside the chain; one ``audit.rechained`` entry states the
    former head and length; ``audit verify`` holds and still recomputes the former hashes."""
    events = _events()
    old = await _write_old_chain(old_store, events)

    await old_store.create_schema()

    chain = await _chain(old_store)
    personal = {
        row["event_id"]: row
        for row in await fetch(old_store, "SELECT event_id, salt, fields_json FROM audit_personal")
    }
    verdict = await old_store.verify_audit_chain()
    assert (verdict.ok, verdict.events, verdict.erased) == (True, len(old) + 1, 1)
    assert [row["event_id"] for row in chain[:-1]] == [row["event_id"] for row in old]
    assert not any(text in row["body"] for row in chain for text in _TEXTS)
    for row, former in zip(chain, old, strict=False):
        stated = json.loads(row["body"])["legacy"]
        assert stated == {"hash": former["hash"], "prev_hash": former["prev_hash"]}
    rechained = json.loads(chain[-1]["body"])
    assert (chain[-1]["type"], rechained["legacy_entries"]) == ("audit.rechained", len(old))
    assert (rechained["legacy_head_hash"], rechained["legacy_ok"]) == (old[-1]["hash"], True)
    assert rechained["first_hash"] == chain[0]["hash"]
    withdrawn, terminated, suspended = (event.event_id for event in events[1:])
    assert set(personal) == {withdrawn, terminated, suspended}
    assert "travel" in personal[withdrawn]["fields_json"]
    assert "WebRTC" in personal[suspended]["fields_json"]
    assert (personal[terminated]["salt"], personal[terminated]["fields_json"]) == (None, None)

    page = await old_store.audit_entries(candidate_id="c-gone")
    assert [entry.personal for entry in page.items] == ["erased"]


async def test_the_chain_grows_and_erases_as_usual_after_the_upgrade(old_store: Store) -> None:
    """finding 3: new entries link to the re-anchoring; erasing a candidate whose entries
    were re-chained blanks their text, and ``audit verify`` still holds."""
    await _write_old_chain(old_store, _events())
    await old_store.create_schema()
    later = candidate_event("c-fault", EventType.EXPIRED, session_id="s-fault", seq=2)
    assert await old_store.record_event(later)

    view, _ = await old_store.rights.request_erasure(
        "c-kept", request=ErasureInput(actor=Actor(id="hr-3", name="Dana Whitfield"))
    )
    await old_store.rights.erase(view.request_id)

    verdict = await old_store.verify_audit_chain()
    assert (verdict.ok, verdict.erased) == (True, 2)
    kept = await fetch(
        old_store, "SELECT fields_json FROM audit_personal WHERE candidate_id = 'c-kept'"
    )
    assert kept == [{"fields_json": None}]


async def test_a_chain_broken_before_the_upgrade_stays_broken_at_the_same_entry(
    old_store: Store,
) -> None:
    """Re-chaining launders nothing: an entry altered before 0006 is still named by verify,
    and the re-anchoring entry records that the former chain did not hold."""
    old = await _write_old_chain(old_store, _events())
    await execute(
        old_store,
        "UPDATE audit_log SET body = :body WHERE event_id = :e",
        body=old[2]["body"].replace("answer_misconduct", "position_filled"),
        e=old[2]["event_id"],
    )

    await old_store.create_schema()

    verdict = await old_store.verify_audit_chain()
    assert (verdict.ok, verdict.first_bad_event) == (False, old[2]["event_id"])
    assert verdict.detail is not None and "before revision 0006" in verdict.detail
    rechained = json.loads((await _chain(old_store))[-1]["body"])
    assert (rechained["legacy_ok"], rechained["legacy_first_bad_event"]) == (
        False,
        old[2]["event_id"],
    )
