"""Rate limits per credential and per candidate link: token buckets in this process's memory.

Each API process keeps its own buckets, so N processes behind a balancer admit up to N times
the rates in ``Settings``. A caller over its rate gets 429 with ``Retry-After`` (whole seconds
until its next token). Each table of buckets is bounded: past its size the least recently
used bucket is dropped, so callers rotating keys or session ids cannot grow it, and a dropped
bucket only means that caller starts again from a full burst. A candidate link's client is
the peer address uvicorn reports (the proxy's, unless it runs with ``--proxy-headers``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from config import Settings
from starter.api.auth import ApiError, ApiKey
from starter.api.errors import error_response
from starter.api.session_busy import too_many


class TokenBuckets:
    """One token bucket per key: ``burst`` tokens, refilled at ``per_second``."""

    def __init__(
        self,
        *,
        per_second: float,
        burst: int,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start with no bucket; ``clock`` is monotonic seconds."""
        self._rate = per_second
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        """How many buckets are kept now."""
        return len(self._buckets)

    def take(self, key: Hashable) -> float:
        """Take one of ``key``'s tokens.

        Returns:
            0 when a token was taken; else the seconds until the next one is there.
        """
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self._rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True)
class RateLimits:
    """The API's buckets: per credential (every keyed route), per candidate link (pages)."""

    credentials: TokenBuckets
    links: TokenBuckets

    @classmethod
    def for_settings(cls, settings: Settings) -> RateLimits:
        """The rates and table size ``settings`` name."""
        return cls(
            credentials=TokenBuckets(
                per_second=settings.rate_limit_key_per_second,
                burst=settings.rate_limit_key_burst,
                max_keys=settings.rate_limit_table_size,
            ),
            links=TokenBuckets(
                per_second=settings.rate_limit_link_per_minute / 60,
                burst=settings.rate_limit_link_burst,
                max_keys=settings.rate_limit_table_size,
            ),
        )


def too_many_requests(wait_seconds: float) -> ApiError:
    """The 429 of a caller over its rate."""
    message = "Too many requests; wait for the seconds in Retry-After, then try again."
    return too_many("rate_limited", message, wait_seconds)


def check_link(request: Request, session_id: str) -> None:
    """Count one request on the candidate link of ``session_id`` from this client's address.

    Raises:
        ApiError: 429 ``rate_limited`` with ``Retry-After`` when over the rate.
    """
    limits: RateLimits = request.app.state.rate_limits
    wait = limits.links.take((session_id, request.client.host if request.client else ""))
    if wait:
        raise too_many_requests(wait)


class CredentialRateLimit:
    """Counts each request that carries a configured API key against that key's bucket.

    Runs before the route, so a caller over its rate costs neither a body read nor a
    Temporal call. A request without a known key is left to the route's own 401.
    """

    def __init__(self, app: ASGIApp, *, limits: RateLimits, keys: Sequence[ApiKey]) -> None:
        """Wrap ``app``, counting against ``limits`` the requests that carry one of ``keys``."""
        self.app = app
        self.limits = limits
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 429 for a credential over its rate; pass everything else on."""
        if scope["type"] == "http":
            credential = _credential(scope, self.keys)
            wait = self.limits.credentials.take(credential) if credential is not None else 0
            if wait:
                refused = too_many_requests(wait)
                response = error_response(
                    refused.status, refused.code, refused.message, refused.details, refused.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _credential(scope: Scope, keys: Sequence[ApiKey]) -> int | None:
    """The index of the configured key the request carries (Bearer, or Basic's password)."""
    presented = _presented_key(scope)
    found = None
    if presented:
        # Compare with every key, so the time taken says nothing about which one matched.
        for index, known in enumerate(keys):
            if hmac.compare_digest(known.secret, presented):
                found = index
    return found


def _presented_key(scope: Scope) -> bytes:
    header = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            header = value
            break
    scheme, _, credentials = header.partition(b" ")
    if scheme.lower() == b"bearer":
        return credentials.strip()
    if scheme.lower() == b"basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True)
        except (binascii.Error, ValueError):
            return b""
        return decoded.partition(b":")[2]
    return b""


def document_rate_limits(app: FastAPI) -> None:
    """Add the 429 every keyed route may answer to the app's OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "x-roles" in operation:
                    operation.setdefault("responses", {}).setdefault("429", _TOO_MANY)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_TOO_MANY: dict[str, Any] = {
    "description": "Too many requests from this key (rate_limited), or the session is busy "
    "with other commands (session_busy): retry after Retry-After seconds.",
    "headers": {
        "Retry-After": {
            "description": "Whole seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorResponse"},
            "example": {
                "error": {
                    "code": "rate_limited",
                    "message": "Too many requests; wait for the seconds in Retry-After, "
                    "then try again.",
                    "details": {"retry_after_seconds": 1},
                }
            },
        }
    },
}
