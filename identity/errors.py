"""Why a person's token was refused, or could not be checked at all."""

from __future__ import annotations

from typing import Literal

TokenRefusal = Literal[
    "too long",
    "malformed",
    "algorithm not allowed",
    "unknown signing key",
    "bad signature",
    "expired",
    "not yet valid",
    "wrong issuer",
    "wrong audience",
    "missing claim",
    "bad subject",
    "no exitflow role",
    "scope too large",
]


class InvalidToken(Exception):
    """The token proves nothing: the API answers 401.

    ``reason`` is one of a fixed set of short phrases, safe to show to the caller; the
    message never carries the token or any of its claims.
    """

    def __init__(self, reason: TokenRefusal) -> None:
        super().__init__(reason)
        self.reason: TokenRefusal = reason


class ProviderUnavailable(Exception):
    """The provider's keys could not be read, so no token can be checked: the API answers 503.

    ``reason`` is a short phrase naming what failed (never a URL's secrets or a body).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
