"""Holds, erasure and retention in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from contract.codes import EventType
from contract.data_rights import (
    ErasureInput,
    ErasureStatus,
    HoldInput,
    LiftHoldInput,
    RetentionBatch,
    ScrubCounts,
)
from contract.sessions import Actor
from store import CandidateRights, RightsRefused, Store
from tests.store.data_rights import PERSONAL_TEXTS, candidate_event, days_ago
from tests.store.helpers import execute, fetch

HR = Actor(id="hr-3", name="Dana Whitfield")
MATTER = "Tribunal claim ET/2024/017 brought by Alex Morgan"


@pytest.fixture
def rights(store: Store) -> CandidateRights:
    """The data-rights operations on the test's store."""
    return store.rights


async def _audit(store: Store) -> list[dict[str, object]]:
    return await fetch(
        store, "SELECT event_id, type, candidate_id, body FROM audit_log ORDER BY id"
    )


async def _emails(store: Store, candidate_id: str) -> set[str | None]:
    rows = await fetch(
        store, "SELECT candidate_email FROM sessions WHERE candidate_id = :c", c=candidate_id
    )
    return {row["candidate_email"] for row in rows}


async def test_a_hold_is_set_once_lifted_and_kept_as_history(
    rights: CandidateRights, store: Store
) -> None:
    """Setting twice changes nothing; lifting keeps the hold, with who lifted it and why."""
    status, created = await rights.set_hold("c-1", request=HoldInput(reason=MATTER, actor=HR))
    again, created_again = await rights.set_hold("c-1", request=HoldInput(reason="other", actor=HR))
    lifted = await rights.lift_hold("c-1", request=LiftHoldInput(actor=HR, reason="settled"))

    assert (created, created_again) == (True, False)
    assert status.held and status.hold is not None and status.hold.reason == MATTER
    assert again.hold == status.hold
    assert not lifted.held and lifted.hold is None
    [hold] = lifted.history
    assert (hold.reason, hold.lifted_by, hold.lift_reason) == (MATTER, HR, "settled")
    with pytest.raises(RightsRefused) as refused:
        await rights.lift_hold("c-1", request=LiftHoldInput(actor=HR))
    assert refused.value.code == "not_on_hold"
    entries = await _audit(store)
    assert [entry["type"] for entry in entries] == ["hold.set", "hold.lifted"]
    assert all(entry["candidate_id"] == "c-1" for entry in entries)
    assert "Alex Morgan" not in json.dumps(entries) and "Tribunal" not in json.dumps(entries)
    assert (await store.verify_audit_chain()).ok


async def test_erasure_is_refused_under_a_hold_or_with_a_session_open(
    rights: CandidateRights, store: Store
) -> None:
    """A held candidate, or one mid-interview, cannot be erased; nothing is recorded."""
    await store.record_event(candidate_event("c-open", EventType.SUSPENDED))
    await rights.set_hold("c-held", request=HoldInput(reason=MATTER, actor=HR))

    with pytest.raises(RightsRefused) as held:
        await rights.request_erasure("c-held", request=ErasureInput(actor=HR))
    with pytest.raises(RightsRefused) as open_session:
        await rights.request_erasure("c-open", request=ErasureInput(actor=HR))

    assert held.value.code == "candidate_on_hold"
    assert open_session.value.code == "candidate_has_open_session"
    assert "suspended" in open_session.value.message
    assert await fetch(store, "SELECT * FROM erasure_requests") == []


async def test_erasure_scrubs_only_that_candidate_and_is_audited_by_id(
    rights: CandidateRights, store: Store
) -> None:
    """Every session of the candidate loses its personal data; others keep theirs."""
    for event in (
        candidate_event("c-gone", EventType.WITHDRAWN),
        candidate_event("c-gone", EventType.TERMINATED),
        candidate_event("c-stays", EventType.WITHDRAWN),
    ):
        await store.record_event(event)

    view, created = await rights.request_erasure(
        "c-gone", request=ErasureInput(actor=HR, reason="ticket")
    )
    same, created_again = await rights.request_erasure("c-gone", request=ErasureInput(actor=HR))
    outcome = await rights.erase(view.request_id)
    repeated = await rights.erase(view.request_id)

    assert (created, created_again, same.request_id) == (True, False, view.request_id)
    assert outcome == repeated
    assert outcome.status is ErasureStatus.COMPLETED
    assert outcome.counts == ScrubCounts(sessions=2, exits=2, segments=4, events=2, deliveries=0)
    assert len(outcome.session_ids) == 2
    assert await _emails(store, "c-gone") == {None}
    assert await _emails(store, "c-stays") == {"alex.morgan@example.com"}
    stored = await rights.erasure(view.request_id)
    assert stored is not None and stored.status is ErasureStatus.COMPLETED
    assert stored.counts == outcome.counts and stored.webhook is None
    [entry] = [e for e in await _audit(store) if e["type"] == "candidate.erased"]
    body = json.loads(str(entry["body"]))
    assert body["session_ids"] == outcome.session_ids and body["candidate_id"] == "c-gone"
    assert not any(personal in str(entry["body"]) for personal in PERSONAL_TEXTS)
    assert (await store.verify_audit_chain()).ok


async def test_a_session_open_but_unrecorded_when_the_erasure_ran_is_anonymised_on_arrival(
    rights: CandidateRights, store: Store
) -> None:
    """The start recorded after the erasure is scrubbed at once; a later application is not."""
    await store.record_event(candidate_event("c-late", EventType.WITHDRAWN))
    view, _ = await rights.request_erasure("c-late", request=ErasureInput(actor=HR))
    outcome = await rights.erase(view.request_id)
    assert outcome.status is ErasureStatus.COMPLETED
    # Started a moment before the request, its first record lands only now.
    open_then = candidate_event("c-late", EventType.STARTED)
    assert open_then.session.started_at < datetime.now(UTC)
    later = candidate_event("c-late", EventType.STARTED)
    reapplied = later.session.model_copy(
        update={"started_at": datetime.now(UTC) + timedelta(minutes=1)}
    )
    later = later.model_copy(update={"session": reapplied})

    await store.record_event(open_then)
    await store.record_event(later)

    rows = await fetch(
        store,
        "SELECT session_id, candidate_email, anonymised_at FROM sessions WHERE candidate_id = :c",
        c="c-late",
    )
    by_id = {row["session_id"]: row for row in rows}
    assert by_id[open_then.session.session_id]["candidate_email"] is None
    assert by_id[open_then.session.session_id]["anonymised_at"] is not None
    assert by_id[later.session.session_id]["candidate_email"] == "alex.morgan@example.com"
    assert by_id[later.session.session_id]["anonymised_at"] is None
    after = await rights.erase(view.request_id)
    assert after.session_ids == [*outcome.session_ids, open_then.session.session_id]
    assert after.counts.sessions == outcome.counts.sessions + 1
    late_id = f"candidate.erased:{view.request_id}:{open_then.session.session_id}"
    [late] = [entry for entry in await _audit(store) if entry["event_id"] == late_id]
    assert late["type"] == "candidate.erased"
    assert json.loads(str(late["body"]))["recorded_after_the_erasure"] is True
    assert not any(personal in str(late["body"]) for personal in PERSONAL_TEXTS)
    assert (await store.verify_audit_chain()).ok


async def test_a_hold_set_after_the_request_stops_the_erasure(
    rights: CandidateRights, store: Store
) -> None:
    """The erasure checks the hold again when it runs: refused, nothing scrubbed."""
    await store.record_event(candidate_event("c-1", EventType.WITHDRAWN))
    view, _ = await rights.request_erasure("c-1", request=ErasureInput(actor=HR))
    await rights.set_hold("c-1", request=HoldInput(reason=MATTER, actor=HR))

    outcome = await rights.erase(view.request_id)

    assert outcome.status is ErasureStatus.REFUSED
    assert outcome.detail is not None and "litigation hold" in outcome.detail
    assert await _emails(store, "c-1") == {"alex.morgan@example.com"}
    types = [entry["type"] for entry in await _audit(store)]
    assert types[-2:] == ["hold.set", "candidate.erasure_refused"]


async def test_retention_takes_old_ended_sessions_only_and_skips_held_candidates(
    rights: CandidateRights, store: Store
) -> None:
    """Young, still-open and held sessions keep their data; old ended ones lose it."""
    events = {
        "old": candidate_event("c-old", at=days_ago(400)),
        "young": candidate_event("c-young", at=days_ago(10)),
        "open": candidate_event("c-open", EventType.SUSPENDED, at=days_ago(400)),
        "held": candidate_event("c-held", at=days_ago(400)),
    }
    for event in events.values():
        await store.record_event(event)
    await rights.set_hold("c-held", request=HoldInput(reason=MATTER, actor=HR))
    cutoff = days_ago(365)

    plan = await rights.retention_plan(cutoff)
    counts = await rights.retention_batch(
        RetentionBatch(run_id="r1", batch=0, cutoff=cutoff, size=10)
    )
    repeated = await rights.retention_batch(
        RetentionBatch(run_id="r1", batch=0, cutoff=cutoff, size=10)
    )

    assert (plan.sessions, plan.held_sessions) == (1, 1)
    assert counts == repeated and counts.sessions == 1
    assert await _emails(store, "c-old") == {None}
    for kept in ("c-young", "c-open", "c-held"):
        assert await _emails(store, kept) == {"alex.morgan@example.com"}, kept
    runs = [entry for entry in await _audit(store) if entry["type"] == "retention.run"]
    assert len(runs) == 1
    assert json.loads(str(runs[0]["body"]))["session_ids"] == [events["old"].session.session_id]
    assert (await rights.retention_plan(cutoff)).sessions == 0
    assert (await store.verify_audit_chain()).ok


async def test_retention_batches_take_the_oldest_first_and_end_when_short(
    rights: CandidateRights, store: Store
) -> None:
    """Batches of one walk the due sessions oldest first; an empty batch is still audited."""
    ages = [500, 450, 400]
    for age in ages:
        await store.record_event(candidate_event(f"c-{age}", at=days_ago(age)))
    cutoff = days_ago(365)

    sizes = [
        (
            await rights.retention_batch(RetentionBatch(run_id="r", batch=n, cutoff=cutoff, size=1))
        ).sessions
        for n in range(4)
    ]

    assert sizes == [1, 1, 1, 0]
    bodies = [
        json.loads(str(e["body"])) for e in await _audit(store) if e["type"] == "retention.run"
    ]
    assert [body["session_ids"] for body in bodies][:3] == [
        [row["session_id"]]
        for row in await fetch(
            store, "SELECT session_id FROM sessions ORDER BY updated_at, session_id"
        )
    ]
    assert bodies[3]["session_ids"] == []


async def test_retention_waits_for_hr_to_decide_an_open_contest(
    rights: CandidateRights, store: Store
) -> None:
    """A terminated session whose contest is still open is not due, however old."""
    event = candidate_event("c-contesting", EventType.TERMINATED, at=days_ago(400))
    await store.record_event(event)
    insert = (
        "INSERT INTO contests (contest_id, session_id, exit_id, candidate_id, statement, "
        "contested_at, status) VALUES ('ct-1', :s, 'x-1', 'c-contesting', 'I object.', :at, :st)"
    )
    await execute(store, insert, s=event.session.session_id, at=event.at, st="open")

    open_plan = await rights.retention_plan(days_ago(365))
    await execute(store, "UPDATE contests SET status = 'upheld'")
    decided_plan = await rights.retention_plan(days_ago(365))

    assert (open_plan.sessions, decided_plan.sessions) == (0, 1)
