"""Request bodies over the limit are refused with 413 before the key is checked, over a real
uvicorn socket: at once by ``Content-Length``, and part-way through a chunked body."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from store import Store
from tests.fixtures.api import over_http
from tests.starter.api.helpers import PLATFORM

MiB = 1024 * 1024
_PAGE_BYTES = resource.getpagesize()


@contextlib.asynccontextmanager
async def _connection(base_url: str) -> AsyncIterator[tuple[asyncio.StreamReader, Any]]:
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], dict[str, Any]]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines if line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers, json.loads(body)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


async def test_an_announced_400_mb_body_is_413_before_the_key(signed_app: FastAPI) -> None:
    """Finding 6: ``Content-Length: 400000000`` without a key is answered 413 in the error
    shape at once, before a byte of the body is sent."""
    async with over_http(signed_app) as base, _connection(base) as (reader, writer):
        writer.write(
            b"POST /v1/sessions HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400000000\r\n\r\n"
        )
        await writer.drain()
        status, headers, body = await asyncio.wait_for(_response(reader), 30)

    assert status == 413
    assert headers["connection"] == "close"
    assert body["error"]["code"] == "body_too_large"
    assert body["error"]["details"] == {"max_bytes": MiB}


async def test_a_chunked_body_is_cut_off_past_the_limit(signed_app: FastAPI) -> None:
    """Finding 6: a chunked body of unknown length and no key is read only up to the limit:
    413, the connection closed before the sender is done, and the server's memory does not
    grow with what it was sent."""
    chunk = b"x" * (64 * 1024)
    to_send = 256 * MiB
    sent = 0
    peak = baseline = _rss_bytes()

    async with over_http(signed_app) as base, _connection(base) as (reader, writer):
        writer.write(
            b"POST /v1/sessions HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        answer = asyncio.create_task(_response(reader))
        with contextlib.suppress(ConnectionError):
            while sent < to_send and not answer.done():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
                peak = max(peak, _rss_bytes())
        status, _, body = await asyncio.wait_for(answer, 30)

    assert status == 413
    assert body["error"]["code"] == "body_too_large"
    assert sent < to_send / 4, "the server kept reading past the limit"
    # Generous: the sender's own buffers and the interpreter move too, but reading the body
    # whole would grow by the whole body.
    assert peak - baseline < 64 * MiB


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_at_the_limit_reaches_the_route(
    dev_env: WorkflowEnvironment,
    api_settings: Settings,
    store: Store,
    task_queue: str,
    chunked: bool,
) -> None:
    """Finding 6: the limit is configurable (``EXITFLOW_MAX_REQUEST_BODY_BYTES``): a body of
    exactly the limit reaches the route, one byte more is 413, with or without a length."""
    settings = api_settings.model_copy(update={"max_request_body_bytes": 4096})
    app = create_app(settings, client=dev_env.client, store=store, task_queue=task_queue)

    def body(size: int) -> bytes:
        start = b'{"session_id": "'
        return start + b"a" * (size - len(start) - 2) + b'"}'

    async def post(content: bytes) -> tuple[int, dict[str, Any]]:
        framing = (
            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(content), content)
            if chunked
            else b"Content-Length: %d\r\n\r\n%s" % (len(content), content)
        )
        auth = PLATFORM["Authorization"].encode()
        async with _connection(base) as (reader, writer):
            writer.write(
                b"POST /v1/sessions HTTP/1.1\r\nHost: api\r\nAuthorization: %s\r\n"
                b"Content-Type: application/json\r\n%s" % (auth, framing)
            )
            status, _, answer = await asyncio.wait_for(_response(reader), 30)
        return status, answer

    async with over_http(app) as base:
        at_limit = await post(body(4096))
        over_limit = await post(body(4097))

    assert at_limit[0] == 422, at_limit  # The route read it: the session id is too long.
    assert over_limit[0] == 413
    assert over_limit[1]["error"]["details"] == {"max_bytes": 4096}
