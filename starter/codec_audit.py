"""Who decoded which sessions' payloads, kept in the audit chain by the codec server.

The Web UI and the CLI send the namespace (``X-Namespace``) and the payloads, never the
workflow id; the sessions are what the decoded payloads name (a top-level ``session_id``:
a session's start, its events and its view do). One entry covers a reader's decodes of
the same sessions in one ``WINDOW_SECONDS`` window (``store.access_audit``): the store writes
it for the first and this process remembers it for the rest, so a UI refreshing a page
costs neither a write nor a read.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import Payload

from identity.principal import Principal
from store import Store

MAX_LISTED_SESSIONS = 20
"""Sessions an entry names; a decode revealing more counts the rest as unlisted."""
MAX_SESSION_ID_LENGTH = 128
WINDOW_SECONDS = 300
"""One entry covers a reader's decodes of the same sessions within these aligned seconds."""
_REMEMBERED = 10_000


@dataclass(frozen=True)
class Reader:
    """Who decoded: a person's subject or a key's name, with the role it was admitted as.

    ``kind`` is ``person`` or ``key`` (from the proven :class:`Principal`), or ``dev-web-ui``
    for the embedded stack's Web UI, admitted without a credential (see ``codec_server``).
    """

    kind: str
    role: str
    subject: str

    @classmethod
    def of(cls, principal: Principal) -> Reader:
        """The reader a proven credential names."""
        return cls(kind=principal.kind, role=principal.role, subject=principal.subject)

    def as_facts(self) -> dict[str, str]:
        """The reader as the audit entry states it."""
        return {"kind": self.kind, "role": self.role, "subject": self.subject}


def session_ids_in(payloads: Sequence[Payload]) -> list[str]:
    """The distinct session ids that decoded JSON payloads name at their top level."""
    found: dict[str, None] = {}
    for payload in payloads:
        if payload.metadata.get("encoding") != b"json/plain":
            continue
        try:
            value = json.loads(payload.data)
        except ValueError:
            continue
        session_id = value.get("session_id") if isinstance(value, dict) else None
        if isinstance(session_id, str) and 0 < len(session_id) <= MAX_SESSION_ID_LENGTH:
            found[session_id] = None
    return list(found)


class DecodeAudit:
    """Writes the audit entry for each decode before its answer leaves, without repeats."""

    def __init__(self, store: Store) -> None:
        """Audit into ``store``'s chain."""
        self._store = store
        self._recent: OrderedDict[tuple[object, ...], None] = OrderedDict()

    async def record(
        self, reader: Reader, *, namespace: str, session_ids: list[str], at: datetime | None = None
    ) -> None:
        """Make sure an entry covers this decode.

        Raises:
            Exception: Whatever the store raises; the caller must not answer then.
        """
        at = at or datetime.now(UTC)
        start = int(at.timestamp()) // WINDOW_SECONDS * WINDOW_SECONDS
        listed = sorted(session_ids)[:MAX_LISTED_SESSIONS]
        key = (reader, namespace, tuple(listed), start)
        if key in self._recent:
            return
        window_start = datetime.fromtimestamp(start, UTC)
        await self._store.record_decode(
            reader=reader.as_facts(),
            namespace=namespace,
            session_ids=listed,
            sessions_unlisted=len(session_ids) - len(listed),
            window=(window_start, window_start + timedelta(seconds=WINDOW_SECONDS)),
            at=at,
        )
        self._recent[key] = None
        while len(self._recent) > _REMEMBERED:
            self._recent.popitem(last=False)
