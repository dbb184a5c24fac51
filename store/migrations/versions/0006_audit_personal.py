"""Audit entries keep personal text beside the chain, so that an erasure can reach it.

Creates ``audit_personal`` and re-chains every existing entry: its free text (comments,
explanations, notices, fault details, contest statements, as the body held them) moves to
``audit_personal`` under a salted digest that the new body hashes, already erased for
sessions anonymised before; the body keeps its former ``hash`` and ``prev_hash`` (and what
was wrong with it, if the former chain was already broken there). One ``audit.rechained``
entry then states the former chain's head hash, its length and the new chain's first hash,
so that ``audit verify`` proves the former chain's order and, where the text is kept, its
hashes (see ``store/audit_legacy.py``).

Revision ID: 0006_audit_personal
Revises: 0005_last_seen
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from store.audit import GENESIS_HASH, Sealed, entry_hash, iso_utc, seal
from store.audit_legacy import LEGACY_KEY, RECHAINED, RECHAINED_EVENT_ID, split_legacy
from store.audit_walk import read_link
from store.tables import UTCDateTime

revision: str = "0006_audit_personal"
down_revision: str | None = "0005_last_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_SHORT = sa.String(128)
_TIME = sa.DateTime(timezone=True)
_BATCH = 1000

# The columns the re-chaining reads and writes; UTCDateTime only converts values.
_AUDIT = sa.table(
    "audit_log",
    *(sa.column(name, sa.Text()) for name in ("event_id", "session_id", "candidate_id", "type")),
    *(sa.column(name, sa.Text()) for name in ("body", "prev_hash", "hash")),
    sa.column("id", sa.BigInteger()),
    sa.column("at", UTCDateTime()),
)
_PERSONAL = sa.table(
    "audit_personal",
    *(sa.column(name, sa.Text()) for name in ("event_id", "session_id", "candidate_id")),
    *(sa.column(name, sa.Text()) for name in ("salt", "fields_json")),
    sa.column("erased_at", UTCDateTime()),
)
_SESSIONS = sa.table("sessions", sa.column("session_id"), sa.column("anonymised_at", UTCDateTime()))
# Rows written with explicit ids (restored from a dump, say) leave PostgreSQL's sequence
# behind them: moved past the largest id before the re-anchoring entry takes the next one.
_SEQUENCE = "pg_get_serial_sequence('audit_log', 'id')"
_CATCH_UP = sa.text(
    f"SELECT setval({_SEQUENCE}, GREATEST(COALESCE(pg_sequence_last_value({_SEQUENCE}::regclass),"
    " 0), (SELECT MAX(id) FROM audit_log)), true)"
)


def upgrade() -> None:
    """Create ``audit_personal`` and re-chain the existing entries (see the module's text)."""
    op.create_table(
        "audit_personal",
        sa.Column("event_id", _SHORT, nullable=False),
        sa.Column("session_id", _SHORT, nullable=False),
        sa.Column("candidate_id", _SHORT, nullable=False),
        sa.Column("salt", sa.String(64), nullable=True),
        sa.Column("fields_json", sa.Text(), nullable=True),
        sa.Column("erased_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_audit_personal_session_id", "audit_personal", ["session_id"])
    op.create_index("ix_audit_personal_candidate_id", "audit_personal", ["candidate_id"])
    _Rechaining(op.get_bind()).run()


def downgrade() -> None:
    """Drop ``audit_personal``; the chain stays re-chained (0005's walk accepts it).

    The text it held is lost from the audit trail; the exits and contests keep theirs.
    """
    op.drop_table("audit_personal")


class _Rechaining:
    """One pass over the chain in order, ``_BATCH`` entries at a time."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._former_prev = GENESIS_HASH
        self._prev = GENESIS_HASH
        self._first_hash: str | None = None
        self._entries = 0
        self._first_bad_event: str | None = None

    def run(self) -> None:
        query = (
            sa.select(*_AUDIT.c, _SESSIONS.c.anonymised_at)
            .select_from(_AUDIT.outerjoin(_SESSIONS, _SESSIONS.c.session_id == _AUDIT.c.session_id))
            .order_by(_AUDIT.c.id)
            .limit(_BATCH)
        )
        after = 0
        while rows := self._conn.execute(query.where(_AUDIT.c.id > after)).all():
            self._rechain(rows)
            after = rows[-1].id
        if self._entries:
            self._append_rechained()

    def _rechain(self, rows: Sequence[Any]) -> None:
        updates, personal = [], []
        for row in rows:
            _, problem = read_link(row, self._former_prev)
            self._former_prev = row.hash
            former: dict[str, Any] = {"hash": row.hash, "prev_hash": row.prev_hash}
            if problem is not None:
                former["problem"] = problem
                self._first_bad_event = self._first_bad_event or row.event_id
            facts, text = split_legacy(row.event_id, row.type, row.at, row.body)
            sealed = seal({**facts, LEGACY_KEY: former}, text)
            link = self._link(sealed)
            updates.append({"b_id": row.id, **{f"b_{key}": value for key, value in link.items()}})
            if sealed.fields_json is not None:
                personal.append(_personal_row(row, sealed))
        self._conn.execute(
            sa.update(_AUDIT)
            .where(_AUDIT.c.id == sa.bindparam("b_id"))
            .values(
                body=sa.bindparam("b_body"),
                prev_hash=sa.bindparam("b_prev_hash"),
                hash=sa.bindparam("b_hash"),
            ),
            updates,
        )
        if personal:
            self._conn.execute(sa.insert(_PERSONAL), personal)

    def _link(self, sealed: Sealed) -> dict[str, str]:
        link = {"body": sealed.body, "prev_hash": self._prev}
        link["hash"] = self._prev = entry_hash(self._prev, sealed.body)
        self._first_hash = self._first_hash or self._prev
        self._entries += 1
        return link

    def _append_rechained(self) -> None:
        at = datetime.now(UTC)
        facts = {
            "event_id": RECHAINED_EVENT_ID,
            "type": RECHAINED,
            "at": iso_utc(at),
            "revision": revision,
            "legacy_head_hash": self._former_prev,
            "legacy_entries": self._entries,
            "legacy_ok": self._first_bad_event is None,
            "legacy_first_bad_event": self._first_bad_event,
            "first_hash": self._first_hash,
        }
        link = self._link(seal(facts, {}))
        self._entries -= 1
        values = {"event_id": RECHAINED_EVENT_ID, "type": RECHAINED, "at": at, **link}
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(_CATCH_UP)
        self._conn.execute(sa.insert(_AUDIT).values(session_id="", candidate_id="", **values))


def _personal_row(row: Any, sealed: Sealed) -> dict[str, Any]:
    erased = row.anonymised_at is not None
    return {
        "event_id": row.event_id,
        "session_id": row.session_id,
        "candidate_id": row.candidate_id,
        "salt": None if erased else sealed.salt,
        "fields_json": None if erased else sealed.fields_json,
        "erased_at": row.anonymised_at,
    }
