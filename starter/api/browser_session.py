"""The HR pages' signed cookies: the sign-in session, the sign-in flow's state, and CSRF.

The session cookie holds the person's verified token itself, with an expiry no later than
the token's ``exp``: every page view then goes through the same ``authenticate`` as a
Bearer token (signature against the provider's current keys, role and job scope read anew),
so nothing about the person is trusted from the cookie alone and a rotated-away key or an
expired token ends the session. A provider's token (about 1 KB; a scope of many jobs makes
it longer) stays below the browsers' 4 KB per cookie; a longer one is refused at sign-in.

Every value is ``<payload>.<HMAC-SHA256 over purpose and payload>`` with
``EXITFLOW_SESSION_COOKIE_SECRET`` (or a random per-process secret). The CSRF token of a
form is an HMAC of the session cookie's value, so it changes with every sign-in and a page
of another site can neither read nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time

from fastapi import Request

from config import Settings

SESSION_COOKIE = "exitflow_session"
MAX_COOKIE_CHARS = 3800
"""Browsers keep at most 4096 bytes of name, value and attributes per cookie."""
SESSION_MAX_SECONDS = 8 * 3600
"""A sign-in lasts a working day at most, however long the provider's token lives."""
CSRF_FIELD = "csrf"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class CookieSigner:
    """Seals and opens the HR pages' cookies with one secret."""

    def __init__(self, secret: bytes) -> None:
        """Sign with ``secret`` (at least 32 bytes)."""
        if len(secret) < 32:
            raise ValueError("the session cookie secret must be at least 32 bytes")
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> CookieSigner:
        """``EXITFLOW_SESSION_COOKIE_SECRET``, or a random secret of this process."""
        configured = settings.session_cookie_secret
        if configured is None:
            return cls(secrets.token_bytes(32))
        return cls(configured.get_secret_value().encode())

    def _mac(self, purpose: str, payload: str) -> str:
        message = f"{purpose}\x00{payload}".encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def sign(self, purpose: str, payload: str) -> str:
        """``payload`` (cookie-safe text) with its signature for ``purpose``."""
        return f"{payload}.{self._mac(purpose, payload)}"

    def unsign(self, purpose: str, value: str) -> str | None:
        """The payload of a value :meth:`sign` made for ``purpose``; None if it did not."""
        if len(value) > MAX_COOKIE_CHARS or not value.isascii():
            return None
        payload, _, mac = value.rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(purpose, payload)):
            return None
        return payload

    def seal_session(self, token: str, expires_at: int) -> str | None:
        """The session cookie's value for ``token``; None when it would be too long."""
        value = self.sign("session", f"{expires_at}.{token}")
        return value if len(value) <= MAX_COOKIE_CHARS else None

    def open_session(self, value: str, *, now: float | None = None) -> str | None:
        """The token a session cookie holds; None when tampered with, malformed or expired."""
        payload = self.unsign("session", value)
        if payload is None:
            return None
        expires, _, token = payload.partition(".")
        if not expires.isdigit() or len(expires) > 12 or not token:
            return None
        if int(expires) <= (time.time() if now is None else now):
            return None
        return token

    def csrf_token(self, session_value: str) -> str:
        """The CSRF token the HR pages' forms carry for this session cookie."""
        return self._mac("csrf", session_value)

    def csrf_matches(self, session_value: str | None, presented: str | None) -> bool:
        """Whether ``presented`` is the CSRF token of ``session_value``."""
        if not session_value or not presented or len(presented) > 100:
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a 500 otherwise).
        return hmac.compare_digest(presented.encode(), self.csrf_token(session_value).encode())


def signer(request: Request) -> CookieSigner | None:
    """The app's cookie signer; None when no OIDC issuer is configured (no sign-in)."""
    found: CookieSigner | None = getattr(request.app.state, "cookie_signer", None)
    return found


def session_token(request: Request) -> str | None:
    """The verified-at-sign-in token the request's session cookie holds, if it holds one."""
    keeper = signer(request)
    value = request.cookies.get(SESSION_COOKIE)
    if keeper is None or not value:
        return None
    return keeper.open_session(value)


def secure_cookies(request: Request) -> bool:
    """Whether cookies get ``Secure``: always, except over plain http to a loopback host."""
    if request.url.scheme != "http":
        return True
    host = (request.url.hostname or "").strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
