"""``exitflow session stuck`` lists what failed for good; ``exitflow session retry`` redoes it."""

from __future__ import annotations

from typing import Any

import pytest

from contract.sessions import WithdrawInput
from sessions.client import SessionClient
from starter import session_commands
from store import Store
from tests.fixtures.cli import run_exitflow, run_json_command
from tests.fixtures.poison import cure, poison
from tests.fixtures.temporal import session_body
from tests.fixtures.waiting import eventually
from tests.store.helpers import count


async def _stuck_of(session_id: str, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    """The stuck steps ``exitflow session stuck`` lists for one session."""
    printed = await run_json_command(session_commands.add_to, ["session", "stuck"], capsys)
    listed = [s for s in printed["sessions"] if s["session_id"] == session_id]
    return listed[0]["steps"] if listed else []


async def test_stuck_lists_the_session_and_retry_saves_its_records(
    terminal: None, sessions: SessionClient, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """finding 1: operations find the session whose records the database refused, with each
    stuck step, and once the cause is fixed one command saves them."""
    body = session_body(downstream_in=None)
    sid = body.session_id
    await poison(store, sid)
    await sessions.start(body)
    await sessions.withdraw(sid, WithdrawInput(reason_code="other"))

    steps = await eventually(lambda: _stuck_of(sid, capsys), lambda found: len(found) == 2)
    assert {(s["step"], s["event_type"]) for s in steps} == {
        ("record", "interview.started"),
        ("record", "interview.withdrawn"),
    }

    await cure(store)
    one = steps[0]["step_id"]
    answered = await run_json_command(
        session_commands.add_to, ["session", "retry", sid, "--step", one], capsys
    )
    assert [s["step_id"] for s in answered["steps"]] == [one]
    await run_json_command(session_commands.add_to, ["session", "retry", sid], capsys)

    await eventually(lambda: count(store, "session_events", sid), lambda n: n == 2)
    assert await count(store, "audit_log", sid) == 2
    assert (await sessions.status(sid)).stuck_steps == []


async def test_retry_of_a_session_with_nothing_stuck_is_refused(
    terminal: None,
    sessions: SessionClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``exitflow session retry`` on a healthy session exits 1 with the refusal's code."""
    body = session_body(downstream_in=None)
    await sessions.start(body)

    status, printed = await run_exitflow(["session", "retry", body.session_id], capsys, monkeypatch)

    assert status == 1
    assert printed["error"]["code"] == "session_conflict"
