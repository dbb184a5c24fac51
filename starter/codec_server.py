"""The codec server: ``POST /encode`` and ``/decode`` for the Temporal Web UI and CLI.

It speaks the Temporal codec-server protocol: the body is a ``Payloads`` message as
protobuf JSON, the answer is the same with every payload run through exitflow's
encryption codec. Only the final path segment counts, so ``/default/decode`` works for the
CLI's ``--codec-endpoint http://host:8081/{namespace}``. Decrypting shows a candidate's
data, so every call needs an ``ops`` key (``Authorization: Bearer``); the Web UI's origins
(``EXITFLOW_WEB_UI_ORIGIN``) may call it from the browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from config import Settings
from config.payload_keys import parse_payload_keys
from runtime.codec import EncryptionCodec, PayloadDecryptionError
from starter.api.auth import ApiError, authorize, parse_api_keys
from starter.api.errors import install_error_handlers
from starter.api.strict_json import NotIJson, loads_i_json

log = structlog.get_logger("exitflow.codec")

CORS_HEADERS = ["Authorization", "Content-Type", "X-Namespace"]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Room for a batch of payloads at Temporal's default 2 MB blob limit, as base64 JSON."""

Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def create_codec_app(settings: Settings) -> FastAPI:
    """Build the codec server for ``settings``' payload keys, API keys and UI origins.

    Raises:
        ValueError: When ``EXITFLOW_PAYLOAD_KEYS`` is unset (there is nothing to serve) or
            ``EXITFLOW_API_KEYS`` is malformed.
    """
    if settings.payload_keys is None:
        raise ValueError("the codec server needs EXITFLOW_PAYLOAD_KEYS")
    codec = EncryptionCodec(parse_payload_keys(settings.payload_keys.get_secret_value()))
    app = FastAPI(title="exitflow codec server", docs_url=None, redoc_url=None, openapi_url=None)
    keys = settings.api_keys.get_secret_value() if settings.api_keys else None
    app.state.api_keys = parse_api_keys(keys)
    install_error_handlers(app)

    async def transform(request: Request, path: str) -> Response:
        role = authorize(request, ("ops",))
        action = path.rstrip("/").rsplit("/", 1)[-1]
        if action not in ("encode", "decode"):
            raise ApiError(404, "not_found", "Call POST /encode or POST /decode.")
        payloads = _read_payloads(await _bounded_body(request))
        run: Transform = codec.encode if action == "encode" else codec.decode
        result = []
        for index, payload in enumerate(payloads.payloads):
            try:
                result.extend(await run([payload]))
            except PayloadDecryptionError as err:
                field = f"payloads.{index}.data"
                raise ApiError(
                    400,
                    "undecodable_payload",
                    f"{field}: {err}",
                    {"fields": [{"field": field, "message": str(err)}]},
                ) from err
        log.info(
            f"codec.{action}",
            role=role,
            namespace=request.headers.get("x-namespace"),
            payloads=len(result),
        )
        body = json_format.MessageToJson(Payloads(payloads=result))
        return Response(body, media_type="application/json")

    app.add_api_route("/{path:path}", transform, methods=["POST"], include_in_schema=False)
    app.add_api_route("/healthz", _healthz, methods=["GET"], include_in_schema=False)
    origins = [o.strip() for o in (settings.web_ui_origin or "").split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["POST"],
        allow_headers=CORS_HEADERS,
        allow_credentials=True,
        max_age=600,
    )
    return app


async def _bounded_body(request: Request) -> bytes:
    """The body, read only after the key was checked, and refused past the limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            message = f"The request body may be at most {MAX_BODY_BYTES} bytes."
            raise ApiError(413, "body_too_large", message, {"max_bytes": MAX_BODY_BYTES})
        chunks.append(chunk)
    return b"".join(chunks)


def _read_payloads(body: bytes) -> Payloads:
    try:
        parsed = loads_i_json(body)
    except NotIJson as err:
        field = ".".join(err.path or []) or "body"
        details = {"fields": [{"field": field, "message": err.message}]}
        raise ApiError(400, "malformed_payloads", err.message, details) from err
    try:
        if not isinstance(parsed, dict):
            raise json_format.ParseError("not a JSON object")
        return json_format.ParseDict(parsed, Payloads())
    except json_format.ParseError as err:
        raise ApiError(
            400, "malformed_payloads", "Send a Payloads message as protobuf JSON."
        ) from err


async def _healthz() -> dict[str, str]:
    return {"status": "ok"}
