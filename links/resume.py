"""Signed resume tokens: the workflow's raw token, bound to its session and deadline.

The workflow issues a random raw token per suspension and checks it itself. Outside
Temporal the candidate carries a signed form of it::

    base64url(JSON {"sid": session_id, "tok": raw_token, "exp": deadline_unix_seconds})
    + "." + base64url(HMAC-SHA256(secret, "exitflow.resume.v1." + first_part))

both parts without ``=`` padding. Signing is deterministic, so the fault email and the
``POST /fault`` answer carry the very same token. ``exp`` is the deadline rounded down to
the second: a token never outlives the window it belongs to.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import SecretStr

from links.signing import (
    InvalidLinkToken,
    LinkTokenExpired,
    has_expired,
    open_claims,
    sign_claims,
)

_DOMAIN = b"exitflow.resume.v1."


class InvalidResumeToken(InvalidLinkToken):
    """Not a resume token this secret signed for this session (tampered, foreign, malformed)."""


class ResumeTokenExpired(LinkTokenExpired):
    """A genuine token whose resume window is over."""


def resume_token_key(secret: SecretStr | None) -> bytes | None:
    """``EXITFLOW_RESUME_TOKEN_SECRET`` as HMAC key bytes; None keeps tokens raw."""
    return secret.get_secret_value().encode() if secret is not None else None


def sign_resume_token(
    secret: bytes, *, session_id: str, raw_token: str, resume_deadline: datetime
) -> str:
    """The signed token for one suspension of one session.

    Args:
        secret: ``EXITFLOW_RESUME_TOKEN_SECRET`` as bytes.
        session_id: The session the token may resume.
        raw_token: The workflow's token for this suspension.
        resume_deadline: When the window closes (timezone-aware).
    """
    claims = {"sid": session_id, "tok": raw_token, "exp": int(resume_deadline.timestamp())}
    return sign_claims(secret, _DOMAIN, claims)


def open_resume_token(secret: bytes, token: str, *, session_id: str, now: datetime) -> str:
    """The raw token inside a signed one, once signature, session and deadline hold.

    Args:
        secret: The secret the token was signed with.
        token: What the candidate presented.
        session_id: The session it is presented for.
        now: The current time (timezone-aware).

    Raises:
        InvalidResumeToken: The signature does not match, the token is malformed, or it
            belongs to another session.
        ResumeTokenExpired: The token is genuine but its window is over.
    """
    try:
        claims = open_claims(secret, _DOMAIN, token, session_id=session_id, text_fields=("tok",))
    except InvalidLinkToken as err:
        raise InvalidResumeToken(str(err)) from err
    if has_expired(claims, now):
        raise ResumeTokenExpired("the resume window is over")
    return str(claims["tok"])
