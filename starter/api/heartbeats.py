"""Heartbeat coalescing: at most one beat per session per quarter of its timeout goes on.

A page may beat every few seconds. The beat that goes on is noted on the session's row
(or, before the session has one, sent as a signal, which costs Temporal a history event
and a workflow task); one per ``heartbeat_timeout_seconds / 4`` still tells the workflow
well inside its timeout that the page is alive.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

DEFAULT_TIMEOUT_SECONDS = 120.0
_MAX_SESSIONS = 50_000


class HeartbeatGate:
    """Remembers, per session, its timeout and when a beat was last forwarded.

    Bounded: the least recently seen sessions are forgotten first, which only means their
    next beat is forwarded.
    """

    def __init__(
        self,
        *,
        max_sessions: int = _MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start empty; ``clock`` is monotonic seconds."""
        self._timeouts: OrderedDict[str, float] = OrderedDict()
        self._forwarded_at: dict[str, float] = {}
        self._max = max_sessions
        self._clock = clock

    def learn_timeout(self, session_id: str, timeout_seconds: float) -> None:
        """Note a session's ``heartbeat_timeout_seconds`` (from its start body)."""
        self._timeouts[session_id] = timeout_seconds
        self._timeouts.move_to_end(session_id)
        while len(self._timeouts) > self._max:
            forgotten, _ = self._timeouts.popitem(last=False)
            self._forwarded_at.pop(forgotten, None)

    def knows(self, session_id: str) -> bool:
        """Whether this session's timeout is known."""
        return session_id in self._timeouts

    def forget(self, session_id: str) -> None:
        """Drop what is known about a session (it ended, or a forward failed)."""
        self._timeouts.pop(session_id, None)
        self._forwarded_at.pop(session_id, None)

    async def beat(self, session_id: str, forward: Callable[[], Awaitable[None]]) -> bool:
        """Forward this beat unless one was forwarded within the last quarter timeout.

        Returns:
            Whether the beat was forwarded to the workflow.
        """
        now = self._clock()
        interval = self._timeouts.get(session_id, DEFAULT_TIMEOUT_SECONDS) / 4
        last = self._forwarded_at.get(session_id)
        if last is not None and now - last < interval:
            return False
        # Claim the slot before awaiting, so concurrent beats do not all go through.
        self._forwarded_at[session_id] = now
        try:
            await forward()
        except BaseException:
            if self._forwarded_at.get(session_id) == now:
                del self._forwarded_at[session_id]
            raise
        return True
