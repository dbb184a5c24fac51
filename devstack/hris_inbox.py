"""A local HR-system webhook receiver, for the embedded dev stack and for tests.

It checks each delivery's Standard Webhooks signature, keeps what it received (in memory and,
when given a directory, one JSON file per delivery) and answers as scripted, so that tests
can play an HR system that is down, slow, rate-limiting or refusing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import uvicorn
from fastapi import FastAPI, Request, Response

from activities.hris.signing import WebhookVerificationError, verify


@dataclass(frozen=True)
class ScriptedResponse:
    """How the inbox answers one verified delivery."""

    status_code: int = 204
    retry_after: str | int | None = None
    """Sent as the ``Retry-After`` header when set (seconds or an HTTP-date)."""
    delay_seconds: float = 0.0
    """How long to wait before answering, e.g. to outlast the sender's timeout."""
    body: str = ""


@dataclass(frozen=True)
class Delivery:
    """One POST the inbox received, and how it answered."""

    seq: int
    received_at: datetime
    webhook_id: str | None
    webhook_timestamp: str | None
    webhook_signature: str | None
    raw_body: bytes = field(repr=False)
    body: Any
    """The parsed JSON body, or None when it was not JSON."""
    verified: bool
    status_code: int
    error: str | None = None
    """Why verification failed, for rejected deliveries."""

    @property
    def type(self) -> str | None:
        """The event type named in the body, if any."""
        return self.body.get("type") if isinstance(self.body, dict) else None

    @property
    def data(self) -> dict[str, Any]:
        """The body's ``data`` object, or an empty dict."""
        data = self.body.get("data") if isinstance(self.body, dict) else None
        return data if isinstance(data, dict) else {}

    @property
    def accepted(self) -> bool:
        """Whether the inbox answered 2xx."""
        return 200 <= self.status_code < 300

    def to_json(self) -> dict[str, Any]:
        """The delivery as written to disk."""
        record = asdict(self)
        record["received_at"] = self.received_at.isoformat()
        record["raw_body"] = self.raw_body.decode("utf-8", errors="replace")
        return record


class HrisInbox:
    """Receives, verifies and records HR webhooks; answers from a script."""

    def __init__(
        self,
        key: bytes,
        *,
        directory: Path | None = None,
        default_status: int = 204,
        tolerance_seconds: int = 300,
    ) -> None:
        """Set up an empty inbox.

        Args:
            key: The raw HMAC key deliveries must be signed with.
            directory: Where to write one JSON file per delivery; None keeps them in memory only.
            default_status: The answer once the script is used up.
            tolerance_seconds: How old or new a ``webhook-timestamp`` may be.
        """
        self.key = key
        self.directory = directory
        self.default_status = default_status
        self.tolerance_seconds = tolerance_seconds
        self.deliveries: list[Delivery] = []
        self.url: str | None = None
        """Where the inbox listens, set by `InboxServer` once started."""
        self._script: deque[ScriptedResponse] = deque()
        self._seq = itertools.count(1)

    def script(self, *responses: ScriptedResponse | int) -> None:
        """Queue answers for the next verified deliveries, one per delivery, in order."""
        self._script.extend(
            ScriptedResponse(status_code=r) if isinstance(r, int) else r for r in responses
        )

    @property
    def accepted(self) -> list[Delivery]:
        """Deliveries answered 2xx."""
        return [d for d in self.deliveries if d.accepted]

    @property
    def rejected(self) -> list[Delivery]:
        """Deliveries whose signature did not verify."""
        return [d for d in self.deliveries if not d.verified]

    def by_type(self, event_type: str) -> list[Delivery]:
        """Deliveries of one event type, e.g. ``interview.withdrawn``, in arrival order."""
        return [d for d in self.deliveries if d.type == event_type]

    async def wait_for(
        self,
        predicate: Callable[[Delivery], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain argument reads better in tests
    ) -> Delivery:
        """Wait until a delivery matching ``predicate`` has arrived, and return the first.

        Raises:
            TimeoutError: None arrived within ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for delivery in self.deliveries:
                        if predicate(delivery):
                            return delivery
                    # Polling keeps this usable whichever loop or thread serves the inbox.
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise TimeoutError(
                f"no matching HR webhook within {timeout}s; received {self.deliveries!r}"
            ) from None

    async def receive(self, headers: dict[str, str], body: bytes) -> ScriptedResponse:
        """Verify and record one delivery, and decide the answer.

        Args:
            headers: The request headers, names lower-cased.
            body: The exact request body.

        Returns:
            The answer to give (a 401 when the signature does not verify).
        """
        error: str | None = None
        try:
            verify(self.key, headers, body, tolerance_seconds=self.tolerance_seconds)
        except WebhookVerificationError as err:
            error = str(err)
        if error is not None:
            answer = ScriptedResponse(status_code=401, body=error)
        elif self._script:
            answer = self._script.popleft()
        else:
            answer = ScriptedResponse(status_code=self.default_status)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        delivery = Delivery(
            seq=next(self._seq),
            received_at=datetime.now(UTC),
            webhook_id=headers.get("webhook-id"),
            webhook_timestamp=headers.get("webhook-timestamp"),
            webhook_signature=headers.get("webhook-signature"),
            raw_body=body,
            body=parsed,
            verified=error is None,
            status_code=answer.status_code,
            error=error,
        )
        self.deliveries.append(delivery)
        if self.directory is not None:
            await asyncio.to_thread(self._write, delivery)
        return answer

    def _write(self, delivery: Delivery) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", delivery.webhook_id or "no-id")[:100]
        # The UTC time first sorts files by arrival across restarts; seq breaks ties.
        name = f"{delivery.received_at:%Y%m%dT%H%M%S%fZ}-{delivery.seq:06d}-{safe_id}.json"
        text = json.dumps(delivery.to_json(), ensure_ascii=False, indent=2)
        (self.directory / name).write_text(text, encoding="utf-8")


def create_inbox_app(inbox: HrisInbox) -> FastAPI:
    """The inbox's HTTP face: POST a webhook to any path; GET ``/deliveries`` to look."""
    app = FastAPI(title="exitflow HR webhook inbox", docs_url=None, redoc_url=None)

    @app.get("/deliveries")
    async def list_deliveries() -> list[dict[str, Any]]:
        return [d.to_json() for d in inbox.deliveries]

    @app.post("/{path:path}")
    async def receive(request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        answer = await inbox.receive(headers, await request.body())
        if answer.delay_seconds:
            await asyncio.sleep(answer.delay_seconds)
        extra = {} if answer.retry_after is None else {"retry-after": str(answer.retry_after)}
        return Response(content=answer.body or None, status_code=answer.status_code, headers=extra)

    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        # The process that embeds the inbox owns SIGINT/SIGTERM, not this server.
        yield


class InboxServer:
    """Runs an `HrisInbox` with uvicorn inside the current event loop."""

    def __init__(self, inbox: HrisInbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare, without listening yet.

        Args:
            inbox: The inbox to serve.
            host: Interface to bind.
            port: Port to bind; 0 picks a free one.
        """
        self.inbox = inbox
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """The webhook URL to configure as ``EXITFLOW_HRIS_WEBHOOK_URL``."""
        return f"http://{self.host}:{self.port}/hris"

    async def start(self) -> None:
        """Bind the port, then serve in the background."""
        # Binding here, not in uvicorn, turns a taken port into an OSError for the caller
        # instead of a SystemExit raised through the event loop.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((self.host, self.port))
        except OSError:
            self._socket.close()
            self._socket = None
            raise
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_inbox_app(self.inbox),
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name="hris-inbox"
        )
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError(f"HR inbox stopped while starting on {self.url}")
            await asyncio.sleep(0.01)
        self.inbox.url = self.url

    async def stop(self) -> None:
        """Stop listening and wait for in-flight requests to finish."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        finally:
            if self._socket is not None:
                self._socket.close()
            self._server = self._task = self._socket = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
