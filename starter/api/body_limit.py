"""Bodies over a size limit are refused with 413 before anything else reads them.

FastAPI reads a route's whole body before its dependencies check the key, so without a
limit anyone could make the process hold any amount of memory. This ASGI middleware sits in
front of the routes: a ``Content-Length`` over the limit is refused at once, without reading
a byte; any other body (chunked, or shorter than announced) is read here, counting as it
arrives, and refused as soon as it passes the limit. What fits is handed on whole, so the
app never holds more than ``max_bytes`` of a body.

After a refusal the connection closes. Closing a socket with unread data resets it, and a
client still sending its body may then lose the 413 it was sent, so the answer goes out
first and whatever more the client sends is read and dropped, for a bounded number of bytes
and seconds, before the connection closes (nginx's "lingering close").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BYTES = 1024 * 1024
LINGER_BYTES = 16 * 1024 * 1024
"""After a 413, at most this much more of the body is read (and dropped) before closing."""
LINGER_SECONDS = 2.0
"""After a 413, the connection closes after this long at the latest."""


class BodyLimit:
    """ASGI middleware: 413 ``body_too_large`` for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """Wrap ``app``; bodies of more than ``max_bytes`` bytes are refused."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body, or serve the request with its body read in full."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        announced = headers.get("content-length", "")
        if announced.isascii() and announced.isdigit() and int(announced[:20]) > self.max_bytes:
            # A client waiting for "100 Continue" sends no body once it has the answer.
            expects = headers.get("expect", "").lower() == "100-continue"
            await self._refuse(receive, send, linger=not expects)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # Nobody is left to answer.
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(receive, send, linger=message.get("more_body", False))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, receive: Receive, send: Send, *, linger: bool) -> None:
        error = {
            "code": "body_too_large",
            "message": f"The request body may be at most {self.max_bytes} bytes.",
            "details": {"max_bytes": self.max_bytes},
        }
        body = json.dumps({"error": error}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        # The whole answer is on its way; the response ends (and the server closes the
        # connection) only once the client has stopped sending or the linger is over.
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if linger:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_drop_body(receive), LINGER_SECONDS)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _drop_body(receive: Receive) -> None:
    """Read and drop the rest of a body, up to ``LINGER_BYTES``."""
    dropped = 0
    while dropped <= LINGER_BYTES:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one message, then waits for the disconnect."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def document_body_refusals(app: FastAPI, max_bytes: int) -> None:
    """Add the 400 and 413 every route that takes a body may answer to the OpenAPI document:
    a body that is not (I-)JSON, and one over ``max_bytes``."""
    build = app.openapi
    refusals = {
        "400": "The body is not JSON, or not UTF-8 (malformed_json).",
        "413": f"The body is over {max_bytes} bytes (body_too_large).",
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}

    def openapi() -> dict[str, Any]:
        schema = build()
        operations = (op for path in schema.get("paths", {}).values() for op in path.values())
        for operation in operations:
            if isinstance(operation, dict) and "requestBody" in operation:
                for status, description in refusals.items():
                    response = {"description": description, "content": error}
                    operation["responses"].setdefault(status, response)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
