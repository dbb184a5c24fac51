"""Group commit of heartbeats: the beats that reach the store together share one transaction.

A note on a session's row costs a few milliseconds of transaction (BEGIN, UPDATE, COMMIT)
whatever it carries, so at thousands of open sessions it is the transaction, not the row,
that costs. The first beat waits a moment for company; while one batch is being written
the next one gathers, so batches grow with the load and a quiet API answers after a few
milliseconds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from activities.database import Store
from activities.database.liveness import Beat
from workflows.codes import SessionStatus
from workflows.models import ClientInfo

GATHER_SECONDS = 0.005
MAX_BATCH = 500


class HeartbeatWriter:
    """Notes heartbeats on the session rows in batches, one transaction per batch."""

    def __init__(
        self,
        store: Store,
        *,
        gather_seconds: float = GATHER_SECONDS,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """Write through ``store``; a batch waits ``gather_seconds`` for its first beat's company.

        Args:
            store: Where the rows are.
            gather_seconds: How long the first beat of a quiet moment waits for others.
            max_batch: The most beats one transaction takes (SQL parameter limits).
        """
        self._store = store
        self._gather_seconds = gather_seconds
        self._max_batch = max_batch
        self._pending: list[tuple[Beat, asyncio.Future[SessionStatus | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def see(
        self, session_id: str, at: datetime, client: ClientInfo | None = None
    ) -> SessionStatus | None:
        """Note one beat, with whichever beats arrive alongside it; the session's status.

        Returns:
            As :meth:`Store.see_heartbeat`: the recorded status (the beat was noted only if
            it is ``active``), or None when the session has no row yet.

        Raises:
            Whatever the store raised for the batch (every beat in it gets the error).
        """
        future: asyncio.Future[SessionStatus | None] = asyncio.get_running_loop().create_future()
        self._pending.append((Beat(session_id, at, client), future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_until_drained())
        return await future

    async def _write_until_drained(self) -> None:
        try:
            await asyncio.sleep(self._gather_seconds)
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)
        except asyncio.CancelledError:
            # The API is shutting down: no beat is left waiting for an answer.
            _settle(self._pending, None)
            self._pending = []
            raise
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Beat, asyncio.Future[SessionStatus | None]]]) -> None:
        try:
            statuses = await self._store.see_heartbeats([beat for beat, _ in batch])
        except asyncio.CancelledError:
            _settle(batch, None)
            raise
        except Exception as err:
            _settle(batch, err)
            return
        for beat, future in batch:
            if not future.done():  # its request may have gone away meanwhile
                future.set_result(statuses[beat.session_id])


def _settle(
    batch: list[tuple[Beat, asyncio.Future[SessionStatus | None]]], err: Exception | None
) -> None:
    """Fail every beat of the batch with ``err``, or cancel them when it is None."""
    for _, future in batch:
        if future.done():
            continue
        if err is None:
            future.cancel()
        else:
            future.set_exception(err)
