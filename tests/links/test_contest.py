"""Signed contest tokens: pure code, checked against a fixed clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from links.contest import (
    ContestTokenExpired,
    InvalidContestToken,
    open_contest_token,
    sign_contest_token,
)
from links.resume import InvalidResumeToken, open_resume_token, sign_resume_token

SECRET = b"a-test-secret-of-reasonable-length"
DEADLINE = datetime(2024, 6, 9, 9, 30, 15, 250000, tzinfo=UTC)
BEFORE = DEADLINE - timedelta(days=1)


def _sign(session_id: str = "s-1", exit_id: str = "x-1", raw: str = "raw-1") -> str:
    return sign_contest_token(
        SECRET, session_id=session_id, exit_id=exit_id, raw_token=raw, deadline=DEADLINE
    )


def test_a_signed_token_opens_to_its_raw_token_termination_and_deadline() -> None:
    """Opening a token for its session inside the window gives the raw token and the exit."""
    opened = open_contest_token(SECRET, _sign(), session_id="s-1", now=BEFORE)

    assert (opened.raw_token, opened.exit_id) == ("raw-1", "x-1")
    assert opened.deadline == DEADLINE.replace(microsecond=0)
    assert _sign() == _sign(), "deterministic: every email of one termination agrees"


def test_the_claims_bind_session_termination_token_and_deadline() -> None:
    """The first part is base64url JSON of sid, xid, tok and exp."""
    body, _ = _sign().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims == {"sid": "s-1", "xid": "x-1", "tok": "raw-1", "exp": int(DEADLINE.timestamp())}


def test_resume_and_contest_tokens_are_never_taken_for_each_other() -> None:
    """Same secret, same claims shape where they overlap: the domain strings keep them apart."""
    resume = sign_resume_token(
        SECRET, session_id="s-1", raw_token="raw-1", resume_deadline=DEADLINE
    )
    with pytest.raises(InvalidContestToken, match="signature"):
        open_contest_token(SECRET, resume, session_id="s-1", now=BEFORE)
    with pytest.raises(InvalidResumeToken, match="signature"):
        open_resume_token(SECRET, _sign(), session_id="s-1", now=BEFORE)


def test_tampered_foreign_and_malformed_tokens_are_invalid() -> None:
    """A changed signature, forged claims, another session or secret, or junk is refused."""
    token = _sign()
    _, signature = token.split(".")
    claims = json.dumps({"sid": "s-1", "xid": "x-1", "tok": "raw-1", "exp": 4102444800})
    forged = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
    refused = [
        (SECRET, token[:-1] + ("A" if token[-1] != "A" else "B"), "s-1"),
        (SECRET, f"{forged}.{signature}", "s-1"),
        (SECRET, token, "s-2"),
        (b"another-secret", token, "s-1"),
        *((SECRET, junk, "s-1") for junk in ["", ".", "raw-1", "a.b", "é.é", "e30.x"]),
    ]
    for secret, presented, session_id in refused:
        with pytest.raises(InvalidContestToken):
            open_contest_token(secret, presented, session_id=session_id, now=BEFORE)


def test_a_token_expires_with_its_contest_window() -> None:
    """From the deadline's whole second on, a genuine token is expired."""
    deadline_second = DEADLINE.replace(microsecond=0)
    open_contest_token(
        SECRET, _sign(), session_id="s-1", now=deadline_second - timedelta(seconds=1)
    )
    with pytest.raises(ContestTokenExpired):
        open_contest_token(SECRET, _sign(), session_id="s-1", now=deadline_second)
