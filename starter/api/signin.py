"""Browser sign-in for the HR pages: OIDC authorization code with PKCE, then a session cookie.

``GET /signin?next=/path`` sends the person to the provider with a PKCE challenge (S256), a
``state`` and a ``nonce``, kept in a signed ten-minute cookie on ``/signin`` only.
``GET /signin/callback`` checks the state, exchanges the code at the provider's token
endpoint, verifies the token with the API's own ``TokenVerifier`` (the ID token, its nonce
checked; else a JWT access token) and sets the session cookie of
:mod:`starter.api.browser_session`. ``POST /signout`` (CSRF token required) clears it.
Served only when ``EXITFLOW_OIDC_ISSUER`` is set.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import structlog
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from config import Settings
from identity.oidc import InvalidToken, ProviderUnavailable, TokenVerifier
from starter.api.auth import invalid_field
from starter.api.browser_session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_MAX_SECONDS,
    CookieSigner,
    secure_cookies,
)
from starter.api.oidc_client import CodeRefused, SignInClient, provider_json

FLOW_COOKIE = "exitflow_signin"
FLOW_SECONDS = 600
DEFAULT_NEXT = "/v1/reports/dashboard"
MAX_NEXT_LENGTH = 1000
MAX_FORM_BYTES = 4096
router = APIRouter(include_in_schema=False)
log = structlog.get_logger()


def install_sign_in(app: FastAPI, settings: Settings) -> None:
    """Serve the sign-in routes and read session cookies, when an issuer is configured."""
    if not settings.oidc_issuer:
        return
    secret = settings.oidc_client_secret
    app.state.cookie_signer = CookieSigner.from_settings(settings)
    app.state.sign_in = SignInClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id or settings.oidc_audience or "",
        client_secret=secret.get_secret_value() if secret else None,
        signer=app.state.cookie_signer,
    )
    app.include_router(router)


def local_path(raw: str) -> str | None:
    """``raw`` when it is a path on this site (no scheme, host, ``//`` or backslash)."""
    if not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return None
    if not raw.isascii() or not raw.isprintable():
        return None
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else None


def _page(status: int, title: str, text: str, *, again: bool = True) -> HTMLResponse:
    link = '<p><a href="/signin">Sign in</a></p>' if again else ""
    return HTMLResponse(
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{link}</html>",
        status_code=status,
    )


def _set(response: Response, request: Request, name: str, value: str, **kwargs: Any) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="lax", secure=secure_cookies(request), **kwargs
    )


@router.get("/signin")
async def sign_in(
    request: Request,
    next_path: Annotated[str, Query(alias="next", max_length=MAX_NEXT_LENGTH)] = DEFAULT_NEXT,
) -> Response:
    """Send the person to the provider to sign in, then back to ``next``."""
    target = local_path(next_path)
    if target is None:
        raise invalid_field("next", "next must be a path on this site, such as /v1/reports.")
    client: SignInClient = request.app.state.sign_in
    try:
        authorize, _ = await client.discovered()
    except ProviderUnavailable:
        return _page(503, "Sign-in unavailable", "The sign-in provider cannot be reached.")
    verifier = secrets.token_urlsafe(48)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "next": target,
        "exp": int(time.time()) + FLOW_SECONDS,
    }
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": str(request.url_for("sign_in_callback")),
            "scope": "openid profile email",
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{authorize}?{query}", status_code=303)
    sealed = client.signer.sign(
        "flow", base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
    )
    _set(response, request, FLOW_COOKIE, sealed, max_age=FLOW_SECONDS, path="/signin")
    return response


def _flow(request: Request, client: SignInClient) -> dict[str, Any] | None:
    payload = client.signer.unsign("flow", request.cookies.get(FLOW_COOKIE, ""))
    if payload is None:
        return None
    flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return flow if flow["exp"] > time.time() else None


def _claims(token: str) -> dict[str, Any]:
    """The payload of a token the verifier has already accepted."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def _verified(verifier: TokenVerifier, tokens: dict[str, Any], nonce: str) -> str | None:
    """The token to keep: the ID token with our nonce, else a JWT access token; else None."""
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    candidates = [(id_token, True), (access_token, False)]
    for token, is_id_token in candidates:
        if not isinstance(token, str) or token.count(".") != 2:
            continue
        try:
            await verifier.verify(token)
        except InvalidToken:
            continue
        if is_id_token and _claims(token).get("nonce") != nonce:
            return None  # a replayed or injected ID token: refuse, do not fall back
        return token
    return None


@router.get("/signin/callback", name="sign_in_callback")
async def sign_in_callback(
    request: Request,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=256)] = "",
    error: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Finish the sign-in the provider sent the person back from."""
    client: SignInClient = request.app.state.sign_in
    flow = _flow(request, client)
    if flow is None or not secrets.compare_digest(state, flow["state"]):
        return _page(400, "Sign-in not recognised", "This sign-in expired or began elsewhere.")
    if error or not code:
        return _page(400, "Sign-in refused", "The provider did not sign you in.")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": str(request.url_for("sign_in_callback")),
        "code_verifier": flow["verifier"],
    }
    auth = None
    if client.client_secret is None:
        data["client_id"] = client.client_id
    else:
        auth = (client.client_id, client.client_secret)
    try:
        _, token_endpoint = await client.discovered()
        tokens = await provider_json("POST", token_endpoint, data=data, auth=auth)
        token = await _verified(request.app.state.verifier, tokens, flow["nonce"])
    except ProviderUnavailable:
        return _page(503, "Sign-in unavailable", "The sign-in provider did not answer usably.")
    except CodeRefused as refused:
        # invalid_client: the provider wants EXITFLOW_OIDC_CLIENT_SECRET (or another one)
        log.warning("sign-in code refused by the provider", error=refused.error)
        return _page(401, "Sign-in refused", f"The provider refused the sign-in ({refused.error}).")
    if token is None:
        return _page(401, "Sign-in refused", "The provider's token was not accepted.")
    expires_at = min(int(_claims(token)["exp"]), int(time.time()) + SESSION_MAX_SECONDS)
    sealed = client.signer.seal_session(token, expires_at)
    if sealed is None:
        return _page(400, "Sign-in refused", "Your token is too large for a browser session.")
    response = RedirectResponse(flow["next"], status_code=303)
    max_age = max(expires_at - int(time.time()), 1)
    _set(response, request, SESSION_COOKIE, sealed, max_age=max_age, path="/")
    response.delete_cookie(FLOW_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    """Clear the session cookie; the form must carry the session's CSRF token."""
    client: SignInClient = request.app.state.sign_in
    body = await request.body()
    try:
        form = parse_qs(body[:MAX_FORM_BYTES].decode("latin-1"), max_num_fields=10)
    except ValueError:  # more fields than any of our forms has
        form = {}
    presented = form.get(CSRF_FIELD, [""])[0]
    if not client.signer.csrf_matches(request.cookies.get(SESSION_COOKIE), presented):
        return _page(403, "Not signed out", "The form's CSRF token is missing or wrong.")
    response = RedirectResponse("/signed-out", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response


@router.get("/signed-out")
async def signed_out() -> HTMLResponse:
    """Where signing out lands."""
    return _page(200, "Signed out", "You are signed out of exitflow.")
