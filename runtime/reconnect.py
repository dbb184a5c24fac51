"""Riding out a Temporal outage: which errors are worth waiting out, and for how long.

A worker that meets a Temporal server which is down or restarting waits for it with
growing delays instead of exiting; a configuration that can never work still fails fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")

_TRANSIENT_STATUSES = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})
# How the SDK words those failures where it raises a bare RuntimeError (Client.connect, a
# worker's namespace check and polls): the Rust core's transport error or gRPC status.
_TRANSIENT_WORDING = (
    "tcp connect error",
    "dns error",
    "code: Unavailable",
    "code: DeadlineExceeded",
)


def is_transient(err: BaseException) -> bool:
    """Whether ``err`` says Temporal cannot be reached right now, so a later try may work.

    Transient, worth waiting out:

    - ``RPCError`` with status ``UNAVAILABLE`` or ``DEADLINE_EXCEEDED``: the server is down,
      restarting or not answering in time.
    - The ``RuntimeError`` the SDK raises from ``Client.connect`` and from a failing
      ``Worker`` (it has no error type of its own there) when its text, or a cause's,
      reports a failed TCP connect, a failed DNS lookup (a stopped container has no DNS
      name under Docker Compose), or one of those two statuses.

    Anything else is not: ``ValueError`` for an unparseable address, a failed TLS handshake,
    a server that answers but is not Temporal, ``NOT_FOUND`` for a namespace that does not
    exist, ``PERMISSION_DENIED``/``UNAUTHENTICATED``, and every bug of our own.
    """
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, RPCError):
            return cause.status in _TRANSIENT_STATUSES
        if isinstance(cause, RuntimeError) and any(
            wording in str(cause) for wording in _TRANSIENT_WORDING
        ):
            return True
        cause = cause.__cause__
    return False


async def check_namespace(client: Client) -> None:
    """Ask the server about the client's namespace once, without the SDK's own retries.

    Raises:
        RPCError: ``UNAVAILABLE`` while the server is down, ``NOT_FOUND`` for a namespace
            that does not exist.
    """
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace),
        retry=False,
        timeout=timedelta(seconds=5),
    )


@dataclass
class Backoff:
    """Delays between attempts that double from ``first_seconds`` up to ``max_seconds``."""

    first_seconds: float = 0.5
    max_seconds: float = 10.0
    attempt: int = 0
    """Failed attempts since the last success."""

    def next_delay(self) -> float:
        """Count one more failed attempt and return how long to wait before the next."""
        self.attempt += 1
        return min(self.first_seconds * 2 ** (self.attempt - 1), self.max_seconds)

    def reset(self) -> None:
        """An attempt worked: the next failure starts again from ``first_seconds``."""
        self.attempt = 0


class Stopped(Exception):
    """A stop (SIGINT or SIGTERM) came while waiting on Temporal."""


async def unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T:
    """``work``'s result, unless ``stop`` is set first.

    Raises:
        Stopped: ``stop`` was set before ``work`` finished (``work`` is then cancelled).
    """
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        finished = task.done()
        task.cancel()
    if not finished:
        raise Stopped
    return task.result()
