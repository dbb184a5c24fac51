"""What each part of the store behind the front door shares: its sessions and its clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from store.audit_entries import lock_chain
from store.engine import DEFERRED_BEGIN


class SubStore:
    """A part of the store (``Store.rights``, ``Store.keys``, ``Store.policies``) on the
    store's engine: read-only sessions, audited writes, and the clock that stamps them."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] | None = None) -> None:
        """Work on ``engine`` (the store's); ``clock`` stamps every change (UTC now by default)."""
        self._dialect = engine.dialect.name
        self._writes = async_sessionmaker(engine, expire_on_commit=False)
        self._reads = async_sessionmaker(
            engine, expire_on_commit=False, execution_options={DEFERRED_BEGIN: True}
        )
        self._clock = clock or (lambda: datetime.now(UTC))

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A transaction that holds the audit chain's lock, so its entries stay in order."""
        async with self._writes() as session, session.begin():
            await lock_chain(session, self._dialect)
            yield session
