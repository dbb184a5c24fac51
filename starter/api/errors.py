"""Every failure leaves the API as ``{"error": {"code", "message", "details"}}``.

Refusals of the workflow keep their contract code; request validation names each field;
nothing a caller sends can produce a 500.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from contract.codes import ErrorCode
from sessions.refusals import SessionRefused
from starter.api.auth import ApiError, authenticate
from starter.api.session_busy import is_temporal_busy, session_busy

log = structlog.get_logger()

STATUS_OF_CODE: dict[str, int] = {
    ErrorCode.INVALID_FIELD: 422,
    ErrorCode.SESSION_NOT_FOUND: 404,
    ErrorCode.SESSION_ENDED: 409,
    ErrorCode.SESSION_SUSPENDED: 409,
    ErrorCode.SESSION_NOT_SUSPENDED: 409,
    ErrorCode.SESSION_CONFLICT: 409,
    ErrorCode.RESUME_WINDOW_CLOSED: 410,
    ErrorCode.INVALID_RESUME_TOKEN: 403,
    ErrorCode.SESSION_NOT_TERMINATED: 409,
    ErrorCode.CONTEST_WINDOW_CLOSED: 410,
    ErrorCode.INVALID_CONTEST_TOKEN: 403,
    ErrorCode.ALREADY_CONTESTED: 409,
    ErrorCode.NO_OPEN_CONTEST: 409,
    ErrorCode.CONTEST_NOT_FOUND: 404,
}


class ErrorDetail(BaseModel):
    """What went wrong, for a program (``code``) and for a person (``message``)."""

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response in the contract's shape."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def request_field_errors(err: RequestValidationError) -> list[dict[str, str]]:
    """Name each invalid field as ``a.b.0`` without FastAPI's ``body``/``query`` prefix."""
    fields = []
    for item in err.errors():
        loc = [str(part) for part in item.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        fields.append({"field": ".".join(loc) or "body", "message": str(item.get("msg", ""))})
    return fields


async def _api_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    return error_response(err.status, err.code, err.message, err.details, err.headers)


async def _refused(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, SessionRefused)
    status = STATUS_OF_CODE.get(err.code)
    if status is None:
        log.error("unmapped refusal", code=err.code, message=err.message)
        return error_response(500, "internal_error", "The session failed to answer; try again.")
    return error_response(status, err.code, err.message, err.details)


async def _invalid_request(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    # The body is parsed before any dependency runs: check the key first, so that a caller
    # without one learns that, not what was wrong with its JSON.
    roles = _route_roles(request)
    if roles is not None:
        try:
            await authenticate(request, roles)
        except ApiError as refused:
            return await _api_error(request, refused)
    if any(item.get("type") == "json_invalid" for item in err.errors()):
        return _malformed_json()
    fields = request_field_errors(err)
    names = ", ".join(item["field"] for item in fields)
    return error_response(
        422,
        ErrorCode.INVALID_FIELD,
        f"Invalid value for {names}: {fields[0]['message']}",
        {"fields": fields},
    )


def _malformed_json() -> JSONResponse:
    return error_response(
        400, "malformed_json", "The request body is not valid JSON.", {"fields": []}
    )


async def _http_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    if err.status_code == 400:
        # FastAPI's own answer to a body it cannot decode at all (bad UTF-8, nesting too
        # deep for the parser): the same refusal as any other malformed JSON.
        return _malformed_json()
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(err.status_code, "http_error")
    message = "No such route." if err.status_code == 404 else str(err.detail)
    return error_response(err.status_code, code, message, None, dict(err.headers or {}) or None)


async def _temporal_unreachable(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RPCError | RPCTimeoutOrCancelledError)
    if is_temporal_busy(err):
        # Back-pressure of one session, not an outage: a retry after a second will do.
        log.info("temporal session busy", error=type(err).__name__, message=str(err))
        return await _api_error(request, session_busy())
    log.warning("temporal call failed", status=str(getattr(err, "status", None)), message=str(err))
    return error_response(
        503, "temporal_unavailable", "The session service is unreachable; retry shortly."
    )


async def _unexpected(request: Request, err: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=err)
    return error_response(500, "internal_error", "Something failed on our side; try again.")


def _route_roles(request: Request) -> tuple[str, ...] | None:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    roles = extra.get("x-roles")
    return tuple(roles) if roles is not None else None


def install_error_handlers(app: FastAPI) -> None:
    """Turn every exception a route can raise into the contract's error body."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(SessionRefused, _refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RPCError, _temporal_unreachable)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _temporal_unreachable)
    app.add_exception_handler(Exception, _unexpected)
