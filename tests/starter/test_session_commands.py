"""``exitflow session status``: reads a session as the API does, scrubbed once anonymised."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.database import Store
from activities.database.anonymise import anonymise_sessions
from config import get_settings
from starter import local_stack, session_commands
from starter.sessions import SessionClient
from tests.activities.database.helpers import fetch
from tests.fixtures.temporal import session_body
from workflows.models import WithdrawInput

COMMENT = "Ann Lee here: please call me on +8613800000000."


@pytest.fixture
async def configured(
    dev_env: WorkflowEnvironment,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[None]:
    """The CLI's environment names this test's server, task queue and database."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv(
        "EXITFLOW_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host
    )
    monkeypatch.setenv("EXITFLOW_TASK_QUEUE", task_queue)
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _status(session_id: str, capsys: pytest.CaptureFixture[str]) -> Any:
    parser = argparse.ArgumentParser(prog="exitflow")
    session_commands.add_to(parser.add_subparsers())
    args = parser.parse_args(["session", "status", session_id])
    capsys.readouterr()
    assert await args.run(args) == 0
    # The test's worker logs to the same stdout: the command's JSON starts a line with "{".
    out = capsys.readouterr().out
    start = out.index("{") if out.startswith("{") else out.index("\n{") + 1
    return json.JSONDecoder().raw_decode(out, start)[0]


async def test_status_of_an_anonymised_session_comes_from_the_scrubbed_store(
    configured: None,
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
