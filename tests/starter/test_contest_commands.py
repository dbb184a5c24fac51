"""``exitflow contest``: file, list, show and decide against a real server and database."""

from __future__ import annotations

from typing import Any

import pytest

from contract.codes import ErrorCode
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from starter import contest_commands
from tests.fixtures.cli import run_json_command
from tests.fixtures.contest import STATEMENT, TERMINATION, link_token
from tests.fixtures.temporal import session_body


async def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    return await run_json_command(contest_commands.add_to, argv, capsys)


async def test_hr_lists_shows_and_decides_a_contest_from_the_terminal(
    terminal: None,
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
