"""Signed resume tokens: pure code, checked against a fixed clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from links.resume import (
    InvalidResumeToken,
    ResumeTokenExpired,
    open_resume_token,
    sign_resume_token,
)

SECRET = b"a-test-secret-of-reasonable-length"
DEADLINE = datetime(2024, 5, 11, 9, 30, 15, 250000, tzinfo=UTC)
BEFORE = DEADLINE - timedelta(hours=1)


def _sign(session_id: str = "s-1", raw: str = "raw-token-1") -> str:
    return sign_resume_token(SECRET, session_id=session_id, raw_token=raw, resume_deadline=DEADLINE)


def test_a_signed_token_opens_to_the_raw_token() -> None:
    """Opening a token for its own session inside the window gives back the raw token."""
    assert open_resume_token(SECRET, _sign(), session_id="s-1", now=BEFORE) == "raw-token-1"


def test_signing_is_deterministic() -> None:
    """The same suspension always signs to the same token (email and API agree)."""
    assert _sign() == _sign()
    assert _sign(raw="raw-token-2") != _sign()


def test_the_format_is_claims_dot_signature() -> None:
    """The first part is base64url JSON of sid, tok and exp (the deadline's whole second)."""
    body, signature = _sign().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims == {"sid": "s-1", "tok": "raw-token-1", "exp": int(DEADLINE.timestamp())}
    assert "=" not in body + signature


def test_a_tampered_signature_is_invalid() -> None:
    """Changing one character of the signature is refused."""
    token = _sign()
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidResumeToken):
        open_resume_token(SECRET, tampered, session_id="s-1", now=BEFORE)


def test_tampered_claims_are_invalid() -> None:
    """Claims re-encoded with a later deadline no longer match the signature."""
    _, signature = _sign().split(".")
    claims = json.dumps({"sid": "s-1", "tok": "raw-token-1", "exp": 4102444800})
    forged = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidResumeToken):
        open_resume_token(SECRET, f"{forged}.{signature}", session_id="s-1", now=BEFORE)


def test_a_token_of_another_session_is_invalid() -> None:
    """A genuine token presented for another session is refused."""
    with pytest.raises(InvalidResumeToken, match="another session"):
        open_resume_token(SECRET, _sign(), session_id="s-2", now=BEFORE)


def test_another_secret_is_invalid() -> None:
    """A token signed with another secret is refused."""
    with pytest.raises(InvalidResumeToken):
        open_resume_token(b"another-secret", _sign(), session_id="s-1", now=BEFORE)


@pytest.mark.parametrize("token", ["", ".", "raw-token-1", "a.b", "é.é", "a.b.c", "e30.x"])
def test_malformed_tokens_are_invalid(token: str) -> None:
    """Raw tokens, junk and non-ASCII text are refused, never crash."""
    with pytest.raises(InvalidResumeToken):
        open_resume_token(SECRET, token, session_id="s-1", now=BEFORE)


def test_a_token_expires_with_its_window() -> None:
    """From the deadline's whole second on, a genuine token is expired."""
    deadline_second = DEADLINE.replace(microsecond=0)
    assert open_resume_token(
        SECRET, _sign(), session_id="s-1", now=deadline_second - timedelta(microseconds=1)
    )
    with pytest.raises(ResumeTokenExpired):
        open_resume_token(SECRET, _sign(), session_id="s-1", now=deadline_second)
