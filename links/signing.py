"""Signed claims: the form shared by every token a candidate carries in a link.

::

    base64url(JSON claims) + "." + base64url(HMAC-SHA256(secret, domain + first_part))

both parts without ``=`` padding. Each kind of token has its own domain string, so a token
of one kind is never accepted as another, and binds itself to a session (``sid``) and a
deadline (``exp``, Unix seconds). Signing is deterministic: the same claims give the same
token, so an email and an API answer can carry the very same one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any


class InvalidLinkToken(Exception):
    """Not a token this secret signed for this session (tampered, foreign, malformed)."""


class LinkTokenExpired(Exception):
    """A genuine token whose window is over."""


def sign_claims(secret: bytes, domain: bytes, claims: dict[str, Any]) -> str:
    """The signed token of ``claims`` (which carry ``sid`` and ``exp``) under ``domain``."""
    body = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64encode(_mac(secret, domain, body))}"


def open_claims(
    secret: bytes, domain: bytes, token: str, *, session_id: str, text_fields: tuple[str, ...]
) -> dict[str, Any]:
    """The claims of a genuine token for ``session_id``; its deadline is the caller's to check.

    Args:
        secret: The secret the token was signed with.
        domain: The kind of token expected.
        token: What the candidate presented.
        session_id: The session it is presented for.
        text_fields: Claims besides ``sid`` that must be present as strings.

    Raises:
        InvalidLinkToken: The signature does not match (a token of another kind among others),
            the claims are malformed, or they belong to another session.
    """
    body, dot, signature = token.partition(".")
    if not dot or not body:
        raise InvalidLinkToken("not a signed token")
    expected = _b64encode(_mac(secret, domain, body))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidLinkToken("the signature does not match")
    try:
        claims = json.loads(_b64decode(body))
        texts = [claims[name] for name in ("sid", *text_fields)]
        exp = claims["exp"]
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidLinkToken("the signed claims are malformed") from err
    if not all(isinstance(text, str) for text in texts) or not isinstance(exp, int):
        raise InvalidLinkToken("the signed claims are malformed")
    if not hmac.compare_digest(claims["sid"].encode(), session_id.encode()):
        raise InvalidLinkToken("the token belongs to another session")
    return claims  # type: ignore[no-any-return]


def has_expired(claims: dict[str, Any], now: datetime) -> bool:
    """Whether the deadline in ``claims`` has passed at ``now`` (timezone-aware)."""
    return bool(now.timestamp() >= claims["exp"])


def _mac(secret: bytes, domain: bytes, body: str) -> bytes:
    return hmac.new(secret, domain + body.encode(), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        raw = text.encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, binascii.Error) as err:
        raise ValueError("not base64url") from err
