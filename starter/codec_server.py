"""The codec server: ``POST /encode`` and ``/decode`` for the Temporal Web UI and CLI.

It speaks the Temporal codec-server protocol: the body is a ``Payloads`` message as
protobuf JSON, the answer is the same with every payload run through exitflow's
encryption codec. Only the final path segment counts, so ``/default/decode`` works for the
CLI's ``--codec-endpoint http://host:8081/{namespace}``.

Decrypting shows a candidate's data, so every call needs the ``ops`` role: an ops API key,
or an ops person's OIDC access token, which the Web UI passes along when
``TEMPORAL_CODEC_PASS_ACCESS_TOKEN`` is on (the UI sends it to ``https://`` endpoints
only). The Web UI's origins (``EXITFLOW_WEB_UI_ORIGIN``) may call it from the browser.
Every decode is audited before its answer leaves (``starter.codec_audit``).

The embedded stack alone (``exitflow up``) also admits its own Web UI without a
credential, since a browser cannot add one: see :func:`create_codec_app`'s
``dev_ui_origins``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from config import Settings
from config.payload_keys import parse_payload_keys
from runtime.codec import EncryptionCodec, PayloadDecryptionError
from starter.api.auth import ApiError, VerifyPeople, authenticate, parse_api_keys
from starter.api.errors import install_error_handlers
from starter.api.strict_json import NotIJson, loads_i_json
from starter.codec_audit import DecodeAudit, Reader, session_ids_in
from store import Store

log = structlog.get_logger("exitflow.codec")

CORS_HEADERS = ["Authorization", "Content-Type", "X-Namespace"]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Room for a batch of payloads at Temporal's default 2 MB blob limit, as base64 JSON."""
MAX_NAMESPACE_LENGTH = 255
"""Temporal's own limit on a namespace name."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def create_codec_app(
    settings: Settings, *, store: Store, dev_ui_origins: Sequence[str] = ()
) -> FastAPI:
    """Build the codec server for ``settings``' payload keys, credentials and UI origins.

    Args:
        settings: The payload keys, API keys, OIDC provider and Web UI origins.
        store: Where each decode is audited.
        dev_ui_origins: The embedded stack's Web UI origins, whose browser calls are admitted
            as ``ops`` without a credential, and only when they come from this machine to a
            loopback address (``Origin`` one of these, the peer and ``Host`` loopback). The
            dev stack's settings alone may name any (``Settings.for_dev_stack``).

    Raises:
        ValueError: When ``EXITFLOW_PAYLOAD_KEYS`` is unset (there is nothing to serve),
            ``EXITFLOW_API_KEYS`` is malformed, an OIDC issuer has no audience, or
            ``dev_ui_origins`` are given outside the dev stack.
    """
    if settings.payload_keys is None:
        raise ValueError("the codec server needs EXITFLOW_PAYLOAD_KEYS")
    if dev_ui_origins and not settings.dev_stack:
        raise ValueError("only the embedded dev stack admits its Web UI without a credential")
    codec = EncryptionCodec(parse_payload_keys(settings.payload_keys.get_secret_value()))
    audit = DecodeAudit(store)
    people = VerifyPeople(settings)
    app = FastAPI(
        title="exitflow codec server",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=people,
    )
    keys = settings.api_keys.get_secret_value() if settings.api_keys else None
    app.state.api_keys = parse_api_keys(keys)
    app.state.verifier = people.verifier
    app.state.stored_keys = store.keys
    install_error_handlers(app)

    async def transform(request: Request, path: str) -> Response:
        reader = _dev_ui_reader(request, dev_ui_origins) or await _proven_reader(request)
        action = path.rstrip("/").rsplit("/", 1)[-1]
        if action not in ("encode", "decode"):
            raise ApiError(404, "not_found", "Call POST /encode or POST /decode.")
        namespace = _namespace(request)
        payloads = _read_payloads(await _bounded_body(request))
        run: Transform = codec.encode if action == "encode" else codec.decode
        result = await _each(run, payloads.payloads)
        if action == "decode" and result:
            sessions = session_ids_in(result)
            try:
                await audit.record(reader, namespace=namespace, session_ids=sessions)
            except Exception as err:
                log.exception("codec.audit_failed")
                raise ApiError(
                    503,
                    "audit_unavailable",
                    "The decode could not be audited, so it is not shown; retry shortly.",
                    headers={"Retry-After": "5"},
                ) from err
        log.info(
            f"codec.{action}",
            reader_kind=reader.kind,
            reader_role=reader.role,
            reader=reader.subject,
            namespace=namespace,
            payloads=len(result),
        )
        body = json_format.MessageToJson(Payloads(payloads=result))
        return Response(body, media_type="application/json")

    app.add_api_route("/{path:path}", transform, methods=["POST"], include_in_schema=False)
    app.add_api_route("/healthz", _healthz, methods=["GET"], include_in_schema=False)
    origins = [o.strip() for o in (settings.web_ui_origin or "").split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted({*origins, *dev_ui_origins}),
        allow_methods=["POST"],
        allow_headers=CORS_HEADERS,
        allow_credentials=True,
        max_age=600,
    )
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def _proven_reader(request: Request) -> Reader:
    # The one call into authentication: the seam for whatever proves a caller next.
    principal = await authenticate(request, ("ops",))
    return Reader.of(principal)


def _dev_ui_reader(request: Request, origins: Sequence[str]) -> Reader | None:
    """The embedded Web UI, admitted as ``ops`` when everything says it is on this machine.

    A page elsewhere cannot forge ``Origin``, and a DNS-rebound name fails the ``Host``
    check; any process on this machine can, but it can read ``var/dev-secrets.json`` too.
    """
    origin = request.headers.get("origin", "")
    if not origins or origin not in origins or "authorization" in request.headers:
        return None
    peer = request.client.host if request.client else ""
    host = request.headers.get("host", "").rsplit(":", 1)[0]
    if not (is_loopback(peer) and is_loopback(host)):
        return None
    return Reader(kind="dev-web-ui", role="ops", subject=origin)


def _namespace(request: Request) -> str:
    namespace = request.headers.get("x-namespace", "")
    if len(namespace) > MAX_NAMESPACE_LENGTH:
        message = f"at most {MAX_NAMESPACE_LENGTH} characters"
        details = {"fields": [{"field": "X-Namespace", "message": message}]}
        raise ApiError(400, "invalid_header", f"X-Namespace: {message}.", details)
    return namespace


async def _each(run: Transform, payloads: Sequence[Payload]) -> list[Payload]:
    result = []
    for index, payload in enumerate(payloads):
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
    return result


async def _bounded_body(request: Request) -> bytes:
    """The body, read only after the caller was admitted, and refused past the limit."""
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
