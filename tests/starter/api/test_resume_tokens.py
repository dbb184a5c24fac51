"""Signed resume tokens: issued by fault (API and CLI alike), required by resume, in the email."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from contract.codes import ErrorCode
from devstack.mailbox import Mailbox
from links.resume import open_resume_token
from sessions.refusals import SessionRefused
from starter import session_commands
from tests.fixtures.cli import run_json_command
from tests.fixtures.mail import plain_text
from tests.starter.api.conftest import RESUME_TOKEN_SECRET
from tests.starter.api.helpers import PLATFORM, started


async def _view(api: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    response = await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)
    assert response.status_code == 200
    return dict(response.json())


async def _faulted(api: httpx.AsyncClient, **policy: Any) -> tuple[str, dict[str, Any]]:
    sid = (await started(api, **policy))["session_id"]
    response = await api.post(
        f"/v1/sessions/{sid}/fault", json={"cause": "network"}, headers=PLATFORM
    )
    assert response.status_code == 202, response.text
    return sid, dict(response.json())


async def _resume(api: httpx.AsyncClient, sid: str, token: str) -> httpx.Response:
    return await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": token}, headers=PLATFORM
    )


async def _assert_still_suspended(api: httpx.AsyncClient, sid: str) -> None:
    view = await _view(api, sid)
    assert (view["status"], len(view["exits"])) == ("suspended", 1)


def _raw_token(sid: str, ack: dict[str, Any]) -> str:
    """The workflow's raw token inside the signed one of a fault answer."""
    return open_resume_token(
        RESUME_TOKEN_SECRET.encode(),
        ack["resume_token"],
        session_id=sid,
        now=datetime.fromisoformat(ack["resume_deadline"]) - timedelta(minutes=1),
    )


def _refusal(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"]["fields"][0]["field"] == "resume_token"


async def test_fault_returns_a_signed_token_that_resumes(signed_api: httpx.AsyncClient) -> None:
    """The fault answer carries a signed token for this session; it resumes the session."""
    sid, ack = await _faulted(signed_api)
    raw = _raw_token(sid, ack)
    assert raw and raw != ack["resume_token"]

    response = await _resume(signed_api, sid, ack["resume_token"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"


async def test_the_email_link_carries_the_api_token(
    signed_api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """The resume link in the fault email holds exactly the token POST /fault returned."""
    sid, ack = await _faulted(signed_api)

    emails = await mailbox.wait_for(lambda m: m.messages)

    links = [word for word in plain_text(emails[0]).split() if "token=" in word]
    query = parse_qs(urlsplit(links[0]).query)
    assert query["session_id"] == [sid]
    assert query["token"] == [ack["resume_token"]]


async def test_a_tampered_signature_is_403_and_changes_nothing(
    signed_api: httpx.AsyncClient,
) -> None:
    """One changed character is refused with 403; the session stays suspended."""
    sid, ack = await _faulted(signed_api)
    token = ack["resume_token"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = await _resume(signed_api, sid, tampered)

    _refusal(response, 403, "invalid_resume_token")
    await _assert_still_suspended(signed_api, sid)
    assert (await _resume(signed_api, sid, token)).status_code == 200


async def test_the_raw_token_alone_is_403(signed_api: httpx.AsyncClient) -> None:
    """With the secret set, the workflow's raw token is not accepted on its own."""
    sid, ack = await _faulted(signed_api)
    raw = _raw_token(sid, ack)

    _refusal(await _resume(signed_api, sid, raw), 403, "invalid_resume_token")
    await _assert_still_suspended(signed_api, sid)


async def test_a_token_of_another_session_is_403(signed_api: httpx.AsyncClient) -> None:
    """A genuine token of one session does not resume another; both stay suspended."""
    first, first_ack = await _faulted(signed_api)
    second, _ = await _faulted(signed_api)

    response = await _resume(signed_api, second, first_ack["resume_token"])

    _refusal(response, 403, "invalid_resume_token")
    await _assert_still_suspended(signed_api, first)
    await _assert_still_suspended(signed_api, second)


async def test_an_expired_token_is_410_and_changes_nothing(
    signed_api: httpx.AsyncClient, signed_app: FastAPI
) -> None:
    """Once the token's deadline passed, resume is 410 before the workflow is asked."""
    sid, ack = await _faulted(signed_api, resume_window_hours=0.5)
    late = datetime.fromisoformat(ack["resume_deadline"]) + timedelta(seconds=1)
    signed_app.state.api.clock = lambda: late

    response = await _resume(signed_api, sid, ack["resume_token"])

    _refusal(response, 410, "resume_window_closed")
    await _assert_still_suspended(signed_api, sid)


async def test_a_token_for_an_unknown_session_is_404(signed_api: httpx.AsyncClient) -> None:
    """Whatever the token, resuming a session that does not exist is 404."""
    response = await _resume(signed_api, "s-nobody", "x.y")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"


async def test_the_token_session_fault_prints_resumes_through_the_api(
    signed_terminal: None,
    signed_api: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``exitflow session fault`` prints the signed token, which the API resumes with."""
    sid = (await started(signed_api))["session_id"]

    argv = ["session", "fault", sid, "--cause", "network"]
    ack = await run_json_command(session_commands.add_to, argv, capsys)
    response = await _resume(signed_api, sid, ack["resume_token"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"


async def test_the_cli_refuses_the_raw_token_alone_as_the_api_does(
    signed_terminal: None,
    signed_api: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the secret set, ``exitflow session resume`` refuses the raw token, then resumes."""
    sid, ack = await _faulted(signed_api)
    raw = _raw_token(sid, ack)

    def resume(token: str) -> Any:
        argv = ["session", "resume", sid, "--token", token]
        return run_json_command(session_commands.add_to, argv, capsys)

    with pytest.raises(SessionRefused) as refused:
        await resume(raw)
    await _assert_still_suspended(signed_api, sid)
    resumed = await resume(ack["resume_token"])

    assert refused.value.code == ErrorCode.INVALID_RESUME_TOKEN
    assert refused.value.details["fields"][0]["field"] == "resume_token"
    assert resumed["status"] == "active"
