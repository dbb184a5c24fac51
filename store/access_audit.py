"""Audit entries for reading sessions' payloads: who decoded what through the codec server.

The Temporal Web UI decodes each event's payloads with a request of its own, and again on
every refresh, so one entry per request would bury the chain. An entry instead covers every
decode by one reader, of one set of sessions, in one namespace, within a window the caller
chooses: the first such decode writes it (before its answer leaves), the others find it.
Entries name readers and sessions by id only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from store.audit import canonical_json, iso_utc
from store.audit_entries import append_entry, recorded_facts

PAYLOADS_DECODED = "payloads.decoded"


async def record_decode(
    session: AsyncSession,
    *,
    reader: dict[str, str],
    namespace: str,
    session_ids: list[str],
    sessions_unlisted: int,
    window: tuple[datetime, datetime],
    at: datetime,
) -> bool:
    """Append the entry covering this decode unless ``window`` has one; True when appended.

    The caller holds ``lock_chain``. The entry's ``session_id`` column names the session
    when the decode revealed exactly one, so ``audit export --session-id`` finds it.
    """
    facts = {
        "reader": reader,
        "namespace": namespace,
        "session_ids": sorted(session_ids),
        "window_start": iso_utc(window[0]),
    }
    digest = hashlib.sha256(canonical_json(facts).encode()).hexdigest()[:40]
    event_id = f"{PAYLOADS_DECODED}:{digest}"
    if await recorded_facts(session, event_id) is not None:
        return False
    await append_entry(
        session,
        event_id=event_id,
        type=PAYLOADS_DECODED,
        at=at,
        facts={**facts, "window_end": iso_utc(window[1]), "sessions_unlisted": sessions_unlisted},
        session_id=session_ids[0] if len(session_ids) == 1 else "",
    )
    return True
