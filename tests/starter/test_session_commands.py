"""``exitflow session``: starts a session as the API does, reads it as the API does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import WorkflowEnvironment

from contract.codes import ErrorCode
from contract.sessions import PolicyRef, StartSession, WithdrawInput
from sessions.client import SessionClient
from sessions.start import stored_start
from starter import session_commands
from store import Store
from store.anonymise import anonymise_sessions
from tests.fixtures.cli import run_exitflow, run_json_command
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


def _body_file(path: Path, body: StartSession) -> str:
    path.write_text(body.model_dump_json())
    return str(path)


async def test_starting_an_existing_session_with_another_body_is_refused_like_the_api(
    terminal: None,
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same body again finds the session; another body exits 1 with session_conflict."""
    body = session_body()
    first = _body_file(tmp_path / "first.json", body)
    other = _body_file(tmp_path / "other.json", body.model_copy(update={"interviewer_id": "iv-8"}))

    started = await run_json_command(
        session_commands.add_to, ["session", "start", "--file", first], capsys
    )
    again = await run_json_command(
        session_commands.add_to, ["session", "start", "--file", first], capsys
    )
    status, printed = await run_exitflow(["session", "start", "--file", other], capsys, monkeypatch)

    assert started["session_id"] == again["session_id"] == body.session_id
    assert status == 1
    assert printed["error"]["code"] == ErrorCode.SESSION_CONFLICT
    assert [field["field"] for field in printed["error"]["details"]["fields"]] == ["interviewer_id"]
    # Started under the default exit policy's first version, which the CLI pins as the API does.
    default = PolicyRef(policy_id="default", version=1)
    assert await stored_start(dev_env.client, body.session_id) == body.model_copy(
        update={"pinned_policy": default}
    )
