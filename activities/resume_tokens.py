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

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime

from pydantic import SecretStr

_DOMAIN = b"exitflow.resume.v1."


class ResumeTokenError(Exception):
    """A signed resume token was refused."""


class InvalidResumeToken(ResumeTokenError):
    """Not a token this secret signed for this session (tampered, foreign, malformed)."""


class ResumeTokenExpired(ResumeTokenError):
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
    body = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64encode(_mac(secret, body))}"


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
    body, dot, signature = token.partition(".")
    if not dot or not body:
        raise InvalidResumeToken("not a signed resume token")
    expected = _b64encode(_mac(secret, body))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidResumeToken("the signature does not match")
    try:
        claims = json.loads(_b64decode(body))
        sid, raw, exp = claims["sid"], claims["tok"], claims["exp"]
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidResumeToken("the signed claims are malformed") from err
    if not (isinstance(sid, str) and isinstance(raw, str) and isinstance(exp, int)):
        raise InvalidResumeToken("the signed claims are malformed")
    if not hmac.compare_digest(sid.encode(), session_id.encode()):
        raise InvalidResumeToken("the token belongs to another session")
    if now.timestamp() >= exp:
        raise ResumeTokenExpired("the resume window is over")
    return raw


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, _DOMAIN + body.encode(), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        raw = text.encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, binascii.Error) as err:
        raise ValueError("not base64url") from err
