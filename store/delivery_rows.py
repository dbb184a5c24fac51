"""The delivery log's rows, read and written many at a time (see ``group_commit.py``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contract.events import DeliveryOutcome
from store.recording import insert
from store.rows import FINAL_DELIVERY_OUTCOMES, Values
from store.tables import Base, DeliveryRow

DELIVERY_OUTCOMES = frozenset({"pending", "sent", "failed", "skipped"})

DeliveryKey = tuple[str, str]
"""A delivery row's key: the event's id and the channel."""

DeliveryNote = tuple[str, DeliveryOutcome]
"""An outcome to note, and the event it is for."""


async def read_outcomes(session: AsyncSession, keys: Sequence[DeliveryKey]) -> list[str | None]:
    """Each key's recorded outcome (``sent``/``failed``/``skipped``/``pending``), or None."""
    event_ids = {event_id for event_id, _ in keys}
    rows = await session.execute(
        select(DeliveryRow.event_id, DeliveryRow.channel, DeliveryRow.outcome).where(
            DeliveryRow.event_id.in_(event_ids)
        )
    )
    outcomes = {(event_id, channel): outcome for event_id, channel, outcome in rows}
    return [outcomes.get(key) for key in keys]


async def note_outcomes(session: AsyncSession, dialect: str, notes: Sequence[DeliveryNote]) -> None:
    """Upsert the delivery rows; a final outcome (``sent``/``failed``) is never overwritten by
    ``pending``, neither in the table nor between two notes of one row in ``notes``."""
    rows: dict[DeliveryKey, Values] = {}
    now = datetime.now(UTC)
    for event_id, outcome in notes:
        key = (event_id, outcome.channel)
        earlier = rows.get(key)
        if (
            earlier
            and earlier["outcome"] in FINAL_DELIVERY_OUTCOMES
            and outcome.outcome == "pending"
        ):
            continue
        rows[key] = {"event_id": event_id, **outcome.model_dump(), "updated_at": now}
    if rows:
        await session.execute(_note_statement(dialect), list(rows.values()))


# Built once per dialect and run as executemany: SQLAlchemy then caches its compiled form.
@functools.cache
def _note_statement(dialect: str) -> sqlite.Insert | postgresql.Insert:
    core = Base.metadata.tables[DeliveryRow.__tablename__]
    stmt = insert(dialect, core)
    return stmt.on_conflict_do_update(
        index_elements=["event_id", "channel"],
        set_={
            key: stmt.excluded[key]
            for key in ("outcome", "attempts", "status_code", "detail", "updated_at")
        },
        # Equalities, not IN: an expanding IN cannot be run as executemany.
        where=not_(
            and_(
                or_(*(core.c.outcome == final for final in FINAL_DELIVERY_OUTCOMES)),
                stmt.excluded.outcome == "pending",
            )
        ),
    )
