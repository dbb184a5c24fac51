"""Contests through the HTTP API, with signed tokens: the email link, HR's queue, decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contract.codes import ErrorCode
from devstack.mailbox import Mailbox
from links.contest import open_contest_token
from sessions.refusals import SessionRefused
from starter import contest_commands
from tests.fixtures.cli import run_json_command
from tests.fixtures.contest import STATEMENT, TERMINATION, link_token
from tests.starter.api.conftest import RESUME_TOKEN_SECRET
from tests.starter.api.helpers import HR, PLATFORM, started

_DECISION = {
    "explanation": "Two reviewers watched the whole recording and found no second screen.",
    "actor": {"id": "hr-9", "name": "Lee Park"},
}


async def _terminated(api: httpx.AsyncClient, mailbox: Mailbox) -> tuple[str, str]:
    """A session with one saved segment, terminated by HR; its id and the emailed token."""
    sid = (await started(api))["session_id"]
    segment = {"stage": "self_intro", "segment_id": "seg-1", "kind": "video", "video_seconds": 90}
    assert (
        await api.post(f"/v1/sessions/{sid}/progress", json=segment, headers=PLATFORM)
    ).is_success
    terminate = TERMINATION.model_dump(mode="json")
    response = await api.post(f"/v1/sessions/{sid}/terminate", json=terminate, headers=HR)
    assert response.status_code == 200, response.text
    return sid, await link_token(mailbox, sid, "interview.terminated")


async def _contest(
    api: httpx.AsyncClient, sid: str, token: str, statement: str = STATEMENT
) -> httpx.Response:
    body = {"contest_token": token, "statement": statement}
    return await api.post(f"/v1/sessions/{sid}/contest", json=body, headers=PLATFORM)


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


async def test_the_emailed_link_contests_hr_reviews_the_record_and_overturns(
    signed_api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """Email link → 202 receipt → a review task with the full record → overturn → resume."""
    sid, token = await _terminated(signed_api, mailbox)

    filed = await _contest(signed_api, sid, token)

    assert filed.status_code == 202, filed.text
    receipt = filed.json()
    assert (receipt["status"], receipt["session_status"]) == ("open", "terminated")
    queue = await signed_api.get("/v1/contests", params={"status": "open"}, headers=HR)
    assert queue.status_code == 200, queue.text
    [task] = [t for t in queue.json()["items"] if t["contest"]["session_id"] == sid]
    assert task["contest"]["statement"] == STATEMENT
    assert TERMINATION.explanation in task["termination"]["notice_text"]
    assert [s["segment_id"] for s in task["session"]["completed_segments"]] == ["seg-1"]
    assert task["contest"]["contest_id"] == receipt["contest_id"]
    assert task["session"]["status"] == "terminated"
    one = await signed_api.get(f"/v1/contests/{receipt['contest_id']}", headers=HR)
    assert one.json() == task

    decided = await signed_api.post(
        f"/v1/contests/{receipt['contest_id']}/decision",
        json={"outcome": "overturned", **_DECISION},
        headers=HR,
    )

    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["session_status"]) == (
        "overturned",
        "suspended",
    )
    resume_token = await link_token(mailbox, sid, "termination.overturned")
    resumed = await signed_api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": resume_token}, headers=PLATFORM
    )
    assert resumed.status_code == 200, resumed.text
    assert [s["segment_id"] for s in resumed.json()["completed_segments"]] == ["seg-1"]
    again = await signed_api.post(
        f"/v1/contests/{receipt['contest_id']}/decision",
        json={"outcome": "upheld", **_DECISION},
        headers=HR,
    )
    _refused(again, 409, "no_open_contest")


async def test_bad_tokens_are_403_and_a_second_contest_is_409(
    signed_api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """Tampered, raw, foreign or resume tokens are 403; once contested, another is 409."""
    sid, token = await _terminated(signed_api, mailbox)
    other, other_token = await _terminated(signed_api, mailbox)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for bad in (tampered, "raw-guess", other_token):
        error = _refused(await _contest(signed_api, sid, bad), 403, "invalid_contest_token")
        assert error["details"]["fields"][0]["field"] == "contest_token"
    assert (await _contest(signed_api, sid, token)).status_code == 202
    _refused(await _contest(signed_api, sid, token, "Second try."), 409, "already_contested")
    assert (await _contest(signed_api, other, other_token)).status_code == 202


async def test_fields_are_checked_and_unknown_contests_are_404(
    signed_api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """An empty or overlong statement or short explanation is 422; an unknown contest 404."""
    sid, token = await _terminated(signed_api, mailbox)

    empty = _refused(await _contest(signed_api, sid, token, ""), 422, "invalid_field")
    long = _refused(await _contest(signed_api, sid, token, "x" * 4001), 422, "invalid_field")
    short = await signed_api.post(
        "/v1/contests/c-unknown/decision",
        json={**_DECISION, "outcome": "upheld", "explanation": "No."},
        headers=HR,
    )
    unknown = await signed_api.post(
        "/v1/contests/c-unknown/decision", json={"outcome": "upheld", **_DECISION}, headers=HR
    )

    assert empty["details"]["fields"][0]["field"] == long["details"]["fields"][0]["field"]
    assert empty["details"]["fields"][0]["field"] == "statement"
    assert _refused(short, 422, "invalid_field")["details"]["fields"][0]["field"] == "explanation"
    _refused(unknown, 404, "contest_not_found")
    _refused(await signed_api.get("/v1/contests/c-unknown", headers=HR), 404, "contest_not_found")


async def test_a_contest_after_the_window_is_410_and_changes_nothing(
    signed_api: httpx.AsyncClient, signed_app: FastAPI, mailbox: Mailbox
) -> None:
    """Past the token's deadline the API refuses with 410 before the session hears of it."""
    sid, token = await _terminated(signed_api, mailbox)
    signed_app.state.api.clock = lambda: datetime.now(UTC) + timedelta(days=30, minutes=1)

    response = await _contest(signed_api, sid, token)

    _refused(response, 410, "contest_window_closed")
    view = (await signed_api.get(f"/v1/sessions/{sid}", headers=HR)).json()
    assert view["contest"]["contest"] is None
    signed_app.state.api.clock = lambda: datetime.now(UTC)
    assert (await _contest(signed_api, sid, token)).status_code == 202


async def test_contesting_a_session_that_was_not_terminated_is_409(
    api: httpx.AsyncClient,
) -> None:
    """An active session has nothing to contest: 409, and it stays active."""
    sid = (await started(api))["session_id"]

    response = await _contest(api, sid, "any-token")

    _refused(response, 409, "session_not_terminated")
    assert (await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)).json()["status"] == "active"


async def test_the_cli_files_with_the_link_token_and_refuses_the_raw_one_as_the_api_does(
    signed_terminal: None,
    signed_api: httpx.AsyncClient,
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the secret set, ``exitflow contest file`` refuses the raw token, then files."""
    sid, token = await _terminated(signed_api, mailbox)
    raw = open_contest_token(
        RESUME_TOKEN_SECRET.encode(), token, session_id=sid, now=datetime.now(UTC)
    ).raw_token

    def file(with_token: str) -> Any:
        argv = ["contest", "file", sid, "--token", with_token, "--statement", STATEMENT]
        return run_json_command(contest_commands.add_to, argv, capsys)

    with pytest.raises(SessionRefused) as refused:
        await file(raw)
    filed = await file(token)

    assert refused.value.code == ErrorCode.INVALID_CONTEST_TOKEN
    assert refused.value.details["fields"][0]["field"] == "contest_token"
    assert filed["status"] == "open"
