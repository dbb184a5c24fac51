"""``GET /v1/reports/dashboard``: the reports as one HTML page with SVG charts (role hr).

A browser opens it directly: with an OIDC issuer configured, a person without a session is
sent to sign in (``starter.api.signin``) and comes back with the session cookie; without
one, the browser asks for HTTP Basic credentials, any user name and the hr key as the
password. API clients may send the usual ``Authorization: Bearer`` instead.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from identity.principal import Principal
from reports import ReportTimeout
from reports.dashboard import Account, dashboard_page
from starter.api.auth import ApiError, authenticate, authenticate_signed_in, invalid_field
from starter.api.browser_session import SESSION_COOKIE, signer
from starter.api.deps import State
from starter.api.query_times import in_utc
from starter.api.reports import report_filter, report_timeout

router = APIRouter(prefix="/v1/reports", tags=["reports"])
_REALM = 'Basic realm="exitflow reports", charset="UTF-8"'


async def require_hr(request: Request) -> Principal:
    """Admit a Bearer hr credential, HTTP Basic with the hr key as password, or a signed-in
    hr person's session cookie; else send a browser to sign in, or ask for credentials.

    Raises:
        ApiError: 303 to ``/signin`` for a browser when sign-in is served, 401 with a Basic
            challenge otherwise, or 403 for another role.
    """
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    basic = scheme.lower() == "basic"
    if not scheme:
        try:
            person = await authenticate_signed_in(request, ("hr",))
        except ApiError as err:
            if err.status != 401:
                raise
            person = None  # the token in the cookie expired or its key is gone: sign in again
        if person is not None:
            return person
        if signer(request) is not None and "text/html" in request.headers.get("accept", ""):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            to = "/signin?" + urlencode({"next": here})
            raise ApiError(303, "sign_in_required", "Sign in first.", None, {"Location": to})
    try:
        return await authenticate(
            request, ("hr",), token=_basic_password(credentials) if basic else None
        )
    except ApiError as err:
        if err.status != 401:
            raise
        message = "Sign in with the hr API key as password." if basic else err.message
        raise ApiError(401, err.code, message, None, {"WWW-Authenticate": _REALM}) from None


def _sign_out_csrf(request: Request) -> str | None:
    """The sign-out form's CSRF token, when the session cookie signed this request in."""
    keeper, session = signer(request), request.cookies.get(SESSION_COOKIE)
    if keeper is None or not session or request.headers.get("authorization"):
        return None
    return keeper.csrf_token(session)


def _basic_password(credentials: str) -> str:
    # binascii.Error, non-ASCII text (the header is read as Latin-1) and non-UTF-8 bytes
    # are all ValueErrors: any of them is a wrong password, never a 500.
    try:
        _, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except ValueError:
        return ""
    return password


def _when(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as err:
        raise invalid_field(name, f"{name} must be a date or an ISO 8601 time.") from err
    try:
        return in_utc(parsed)
    except ValueError as err:
        raise invalid_field(name, f"{name} {err}.") from err


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    summary="Exit analytics dashboard (HTML)",
    openapi_extra={"x-roles": ["hr"]},
)
async def dashboard(
    request: Request,
    state: State,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    job_id: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    """Funnel, reasons, fault causes and interviewer comparison for the window and job."""
    reader = await require_hr(request)
    account = None
    if reader.kind == "person":
        account = Account(name=reader.name or reader.subject, csrf_token=_sign_out_csrf(request))
    where = report_filter(
        reader, since=_when("since", since), until=_when("until", until), job_id=job_id or None
    )
    try:
        page = await dashboard_page(
            state.store.engine,
            where,
            since=since or "",
            until=until or "",
            job_id=job_id or "",
            account=account,
            timeout_seconds=state.report_timeout_seconds,
        )
    except ReportTimeout as err:
        raise report_timeout(err) from None
    return HTMLResponse(page)
