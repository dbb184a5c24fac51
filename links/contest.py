"""Signed contest tokens: the workflow's raw token, bound to its session, termination and window.

The workflow issues a random raw token per termination and checks it itself. Outside
Temporal the candidate carries a signed form of it, made like a resume token
(``links/signing.py``) with the same secret but its own domain string, so that
neither kind of token is ever accepted as the other::

    base64url(JSON {"sid": session_id, "xid": exit_id, "tok": raw_token, "exp": deadline})
    + "." + base64url(HMAC-SHA256(secret, "exitflow.contest.v1." + first_part))

``exp`` is the contest window's deadline rounded down to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from links.signing import (
    InvalidLinkToken,
    LinkTokenExpired,
    has_expired,
    open_claims,
    sign_claims,
)

_DOMAIN = b"exitflow.contest.v1."


class InvalidContestToken(InvalidLinkToken):
    """Not a contest token this secret signed for this session (tampered, foreign, malformed)."""


class ContestTokenExpired(LinkTokenExpired):
    """A genuine token whose contest window is over."""


@dataclass(frozen=True)
class OpenedContestToken:
    """What a genuine contest token says."""

    raw_token: str
    exit_id: str
    deadline: datetime


def sign_contest_token(
    secret: bytes, *, session_id: str, exit_id: str, raw_token: str, deadline: datetime
) -> str:
    """The signed token for contesting one termination of one session.

    Args:
        secret: ``EXITFLOW_RESUME_TOKEN_SECRET`` as bytes.
        session_id: The session whose termination may be contested.
        exit_id: The termination's exit id.
        raw_token: The workflow's token for this termination's contest window.
        deadline: When the contest window closes (timezone-aware).
    """
    claims = {"sid": session_id, "xid": exit_id, "tok": raw_token, "exp": int(deadline.timestamp())}
    return sign_claims(secret, _DOMAIN, claims)


def open_contest_token(
    secret: bytes, token: str, *, session_id: str, now: datetime
) -> OpenedContestToken:
    """The raw token and termination inside a signed token, once its signature holds.

    Args:
        secret: The secret the token was signed with.
        token: What the candidate presented.
        session_id: The session it is presented for.
        now: The current time (timezone-aware).

    Raises:
        InvalidContestToken: The signature does not match (a resume token among others),
            the token is malformed, or it belongs to another session.
        ContestTokenExpired: The token is genuine but its contest window is over.
    """
    try:
        claims = open_claims(
            secret, _DOMAIN, token, session_id=session_id, text_fields=("xid", "tok")
        )
    except InvalidLinkToken as err:
        raise InvalidContestToken(str(err)) from err
    if has_expired(claims, now):
        raise ContestTokenExpired("the contest window is over")
    deadline = datetime.fromtimestamp(claims["exp"], tz=UTC)
    return OpenedContestToken(raw_token=claims["tok"], exit_id=claims["xid"], deadline=deadline)
