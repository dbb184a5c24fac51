"""``exitflow contest``: file, list, show and decide against a real server and database."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from config import get_settings
from starter import contest_commands, local_stack
from starter.mailbox import Mailbox
from starter.sessions import SessionClient, SessionRefused
from tests.fixtures.contest import STATEMENT, TERMINATION, link_token
from tests.fixtures.temporal import session_body
from workflows.codes import ErrorCode


@pytest.fixture
async def configured(
    sessions: SessionClient,
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
    # No embedded stack's secrets from a developer's var/: this test's worker has none.
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    parser = argparse.ArgumentParser(prog="exitflow")
    contest_commands.add_to(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert await args.run(args) == 0
    # The test's worker logs to the same stdout: the command's JSON starts a line with "{".
    out = capsys.readouterr().out
    start = out.index("{") if out.startswith("{") else out.index("\n{") + 1
    return json.JSONDecoder().raw_decode(out, start)[0]


async def test_hr_lists_shows_and_decides_a_contest_from_the_terminal(
    configured: None,
    sessions: SessionClient,
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A contest filed by hand shows in the open queue, then is upheld by its id."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    await sessions.terminate(body.session_id, TERMINATION)
    token = await link_token(mailbox, body.session_id, "interview.terminated")

    filed = await _run(
        ["contest", "file", body.session_id, "--token", token, "--statement", STATEMENT], capsys
    )
    queue = await _run(["contest", "list"], capsys)
    shown = await _run(["contest", "show", filed["contest_id"]], capsys)
    decided = await _run(
        [
            "contest",
            "decide",
            filed["contest_id"],
            "--outcome",
            "upheld",
            "--explanation",
            "The recording shows a second person answering.",
            "--actor-id",
            "hr-3",
            "--actor-name",
            "Wang Fang",
        ],
        capsys,
    )

    assert [task["contest"]["contest_id"] for task in queue["items"]] == [filed["contest_id"]]
    assert shown["contest"]["statement"] == STATEMENT
    assert shown["termination"]["notice_text"]
    assert (decided["status"], decided["session_status"]) == ("upheld", "terminated")
    assert (await _run(["contest", "list"], capsys))["items"] == []
    with pytest.raises(SessionRefused) as caught:
        await _run(["contest", "show", "no-such-contest"], capsys)
    assert caught.value.code == ErrorCode.CONTEST_NOT_FOUND
