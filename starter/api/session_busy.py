"""A session busy with commands: Temporal's back-pressure answered as 429, and a gate before it.

Temporal admits a bounded number of in-flight updates per workflow (10 by default): past it,
it answers ``RESOURCE_EXHAUSTED`` or aborts updates it had admitted but not delivered
(``UNAVAILABLE``, "workflow update was aborted"), neither of which changed the session; or the
client's call runs out of time, after which the update may yet run. Either way the caller gets
429 ``session_busy`` with ``Retry-After``, never a 5xx, and retrying is safe: a progress
update with the same ``segment_id`` replaces its segment, and an exit already made is 409.

So that one API process does not run into that limit at all, it sends at most a few progress
updates per session to Temporal at once; a few more wait their turn, and the rest are told
429 at once. The other commands (withdraw, fault, ...) are not gated: they keep the rest of
Temporal's in-flight updates for themselves, so that a burst of progress never delays an exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from starter.api.auth import ApiError

RETRY_AFTER_SECONDS = 1
"""A burst of one session's updates drains within a few workflow tasks."""
WAIT_SECONDS = 5.0
"""How long a progress update waits for its turn before it is told 429."""


def is_temporal_busy(err: BaseException) -> bool:
    """Whether Temporal refused or dropped a call because the workflow had too much in flight."""
    if isinstance(err, WorkflowUpdateRPCTimeoutOrCancelledError):
        return True
    if not isinstance(err, RPCError):
        return False
    if err.status == RPCStatusCode.RESOURCE_EXHAUSTED:
        return True
    # The server's retryable WorkflowUpdateAbortedErr: the update never reached the workflow.
    return err.status == RPCStatusCode.UNAVAILABLE and "update was aborted" in err.message


def too_many(code: str, message: str, wait_seconds: float) -> ApiError:
    """A 429 that says, in ``Retry-After`` and its details, the whole seconds to wait."""
    seconds = max(1, math.ceil(wait_seconds))
    details = {"retry_after_seconds": seconds}
    return ApiError(429, code, message, details, {"Retry-After": str(seconds)})


def session_busy() -> ApiError:
    """The 429 of a session with too many commands in flight."""
    message = "The session is busy with other commands; retry after Retry-After seconds."
    return too_many("session_busy", message, RETRY_AFTER_SECONDS)


@dataclass
class _Turns:
    slots: asyncio.Semaphore
    holders: int = 0
    """Requests holding or waiting for a slot."""


@dataclass
class SessionUpdateGate:
    """Per session, ``in_flight`` updates at a time, ``waiting`` more in line, the rest 429.

    Holds an entry only while a session has requests in it, so it never outgrows the
    requests in progress.
    """

    in_flight: int
    waiting: int
    wait_seconds: float = WAIT_SECONDS
    _sessions: dict[str, _Turns] = field(default_factory=dict)

    def __len__(self) -> int:
        """How many sessions have requests in the gate now."""
        return len(self._sessions)

    @contextlib.asynccontextmanager
    async def turn(self, session_id: str) -> AsyncIterator[None]:
        """Hold one of the session's slots while the body runs.

        Raises:
            ApiError: 429 ``session_busy`` when the line is full or the wait runs out.
        """
        turns = self._sessions.get(session_id)
        if turns is None:
            turns = self._sessions[session_id] = _Turns(asyncio.Semaphore(self.in_flight))
        if turns.holders >= self.in_flight + self.waiting:
            raise session_busy()
        turns.holders += 1
        try:
            try:
                await asyncio.wait_for(turns.slots.acquire(), self.wait_seconds)
            except TimeoutError:
                raise session_busy() from None
            try:
                yield
            finally:
                turns.slots.release()
        finally:
            turns.holders -= 1
            if turns.holders == 0:
                del self._sessions[session_id]
