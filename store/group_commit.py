"""Group commit: small writes and reads that arrive together share one transaction.

A small statement costs the store far less than the transaction around it (on SQLite
through aiosqlite each BEGIN, statement and COMMIT is a hop to the connection's thread and
back; on PostgreSQL a round trip). Heartbeat notes and the delivery log are such
statements, many at a time under load. The first item of a quiet moment waits a few
milliseconds for company; while a batch is being written the next one gathers, so batches
grow with the load and a quiet store answers after a few milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

GATHER_SECONDS = 0.005
MAX_BATCH = 500


class GroupCommit(Generic[Item, Result]):
    """Hands the items submitted at about the same time to one call of ``write``."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        gather_seconds: float = GATHER_SECONDS,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """Batch for ``write``, which takes items and returns one result per item, in order.

        Args:
            write: One transaction over a batch; what it raises, every item of it raises.
            gather_seconds: How long the first item of a quiet moment waits for others.
            max_batch: The most items one call takes (SQL parameter limits).
        """
        self._write_batch = write
        self._gather_seconds = gather_seconds
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Write ``item`` with whichever items arrive alongside it; its result.

        Raises:
            Whatever ``write`` raised for the batch the item was in.
        """
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
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
            # The loop is shutting down: nobody is left waiting for an answer.
            _settle(self._pending, None)
            self._pending = []
            raise
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write_batch([item for item, _ in batch])
        except asyncio.CancelledError:
            _settle(batch, None)
            raise
        except Exception as err:
            _settle(batch, err)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # its caller may have gone away meanwhile
                future.set_result(result)


def _settle(batch: list[tuple[Item, asyncio.Future[Result]]], err: Exception | None) -> None:
    """Fail every item of the batch with ``err``, or cancel them when it is None."""
    for _, future in batch:
        if future.done():
            continue
        if err is None:
            future.cancel()
        else:
            future.set_exception(err)
