"""``exitflow session status``: reads a session as the API does, scrubbed once anonymised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from contract.sessions import WithdrawInput
from sessions.client import SessionClient
from starter import session_commands
from store import Store
from store.anonymise import anonymise_sessions
from tests.fixtures.cli import run_json_command
from tests.fixtures.temporal import session_body
from tests.store.helpers import fetch

COMMENT = "Ann Lee here: please call me on +8613800000000."


async def _status(session_id: str, capsys: pytest.CaptureFixture[str]) -> Any:
    argv = ["session", "status", session_id]
    return await run_json_command(session_commands.add_to, argv, capsys)


async def test_status_of_an_anonymised_session_comes_from_the_scrubbed_store(
    terminal: None,
    sessions: SessionClient,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: the workflow's view with the comment. After anonymising: the store's, without."""
    body = session_body()
    sid = body.session_id
    await sessions.start(body)
    await sessions.withdraw(sid, WithdrawInput(reason_code="other", comment=COMMENT))
    # The receipt comes once the record is saved.
    assert await fetch(store, "SELECT exit_id FROM exits WHERE session_id = :s", s=sid)
    before = await _status(sid, capsys)

    async with AsyncSession(store.engine) as session, session.begin():
        await anonymise_sessions(session, [sid], at=datetime.now(UTC))
    after = await _status(sid, capsys)

    assert before["exit"]["comment"] == COMMENT
    assert (after["status"], after["exit"]["reason_code"]) == ("withdrawn", "other")
    assert COMMENT not in json.dumps(after)
    # The workflow itself still holds the comment: only the store may answer now.
    held = await sessions.status(sid)
    assert held.exit is not None and held.exit.comment == COMMENT
