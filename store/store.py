"""exitflow's relational store: SQLAlchemy 2 async over SQLite (aiosqlite) or PostgreSQL.

Each call opens its own session and transaction. Writes are idempotent, keyed by the
event they serve, so a retried activity never writes anything twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from contract.codes import EventType, SessionStatus
from contract.events import DeliveryOutcome, DownstreamChange, LastSeen, SessionEvent
from contract.sessions import ClientInfo, SessionView
from store import access_audit, delivery_rows, erasure, liveness, migrations, recording
from store.anonymise import anonymised_at, keep_anonymised
from store.api_keys import ApiKeys
from store.audit import AuditVerification
from store.audit_entries import lock_chain, walk_chain
from store.audit_export import AuditPage, read_entries
from store.contests import Contests
from store.engine import DEFERRED_BEGIN, create_engine
from store.group_commit import GroupCommit
from store.policies import Policies
from store.reads import ExitPage, SchemaRevision, list_exits, read_session_view, session_job
from store.rights import CandidateRights
from store.tables import ExitRow

__all__ = ["AuditVerification", "Store"]

_SCHEMA_LOCK = recording.AUDIT_LOCK + 1


class Store:
    """exitflow's relational store (SQLAlchemy 2 async).

    Create it with ``Store.from_url``, call ``create_schema`` once, share it between
    coroutines (each call uses its own session) and ``dispose`` it at shutdown. It is the
    store's one front door: sessions, exits, deliveries and the audit chain are its
    methods; candidate data rights are ``rights``, the contest review queue ``contests``,
    API keys made at run time ``keys``, exit policies ``policies``.
    Every method takes its second and later arguments by keyword.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Wrap an engine; prefer ``from_url``, which also sets SQLite up for concurrency."""
        self._engine = engine
        self._dialect = engine.dialect.name
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(
            engine, expire_on_commit=False, execution_options={DEFERRED_BEGIN: True}
        )
        # A beat can wait a few ms for company; a delivery's read and note are on the path
        # of a webhook or email, so they batch only with what queued behind a write.
        self._heartbeats = GroupCommit(self._see_heartbeat_batch)
        self._delivery_reads = GroupCommit(self._read_deliveries, gather_seconds=0)
        self._delivery_notes = GroupCommit(self._note_deliveries, gather_seconds=0)
        self._rights = CandidateRights(engine)
        self._contests = Contests(self._read_sessions)
        self._keys = ApiKeys(engine)
        self._policies = Policies(engine)

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A store on ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``.

        SQLite gets its directory created, WAL, a busy timeout and ``BEGIN IMMEDIATE`` for
        writers, so that concurrent writers queue instead of failing.
        """
        return cls(create_engine(url))

    @property
    def engine(self) -> AsyncEngine:
        """The engine underneath, for readiness checks and ad-hoc reports."""
        return self._engine

    @property
    def rights(self) -> CandidateRights:
        """Candidate data rights: litigation holds, erasure requests, retention."""
        return self._rights

    @property
    def contests(self) -> Contests:
        """HR's review queue: contests of terminations, each with its session's record."""
        return self._contests

    @property
    def keys(self) -> ApiKeys:
        """API keys made at run time (``exitflow keys``): hashed, revocable, last use kept."""
        return self._keys

    @property
    def policies(self) -> Policies:
        """Exit policies, versioned and audited; the one a job's sessions run under."""
        return self._policies

    async def create_schema(self, revision: str = "head") -> None:
        """Upgrade the schema with its migrations; safe to call from many processes at once.

        One transaction under one lock: a database made before migrations existed is
        stamped at the baseline first, then upgraded.

        Args:
            revision: The revision to reach; the newest by default.
        """
        async with self._engine.begin() as conn:
            if self._dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            await migrations.upgrade(conn, revision)

    async def schema_revision(self) -> SchemaRevision:
        """The database's migration revision, the newest there is, and whether they match."""
        # A plain read: on SQLite it must not take the write lock from a running worker.
        async with self._engine.connect() as conn:
            await conn.execution_options(**{DEFERRED_BEGIN: True})
            current = await migrations.current(conn)
        head = migrations.head()
        return SchemaRevision(current=current, head=head, up_to_date=current == head)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    async def record_event(self, event: SessionEvent) -> bool:
        """Persist session, segments, exit, event row and audit entry in one transaction.

        The session row only moves to a higher ``seq`` (events may arrive out of order), a
        segment only to a later ``saved_at``, a downstream step only forward. A resumed or
        expired event stamps the session's open ``system_fault``/``abandoned`` exit. A
        session already anonymised (retention, erasure) stays so: a late event (a contest
        filed after an erasure) does not bring its personal data back; nor does the start of
        a session that an erasure could not see yet (``erasure.cover_late_start``).

        Returns:
            False when the event was already recorded (nothing written).
        """
        async with self._sessions() as session, session.begin():
            recorded = await recording.record(session, self._dialect, event)
            if recorded:
                await keep_anonymised(session, event.session.session_id)
                if event.type is EventType.STARTED:
                    await erasure.cover_late_start(session, event)
            return recorded

    async def record_downstream_change(self, change: DownstreamChange) -> None:
        """Record a downstream step's new status; it only moves forward, repeats are no-ops."""
        values = change.model_dump(include={"session_id", "step_id", "scheduled_at", "reason"})
        values |= {"kind": str(change.kind), "status": str(change.status), "updated_at": change.at}
        async with self._sessions() as session, session.begin():
            await recording.upsert_downstream(session, self._dialect, [values])

    async def see_heartbeat(
        self, session_id: str, *, at: datetime, client: ClientInfo | None = None
    ) -> SessionStatus | None:
        """Note the page's heartbeat on an active session; its recorded status, if any.

        Beats that arrive together share one transaction (:class:`GroupCommit`); see
        :func:`store.liveness.see_heartbeats`.
        """
        return await self._heartbeats.submit(liveness.Beat(session_id, at, client))

    async def see_heartbeats(
        self, beats: Sequence[liveness.Beat]
    ) -> dict[str, SessionStatus | None]:
        """Note many sessions' heartbeats in one transaction; each one's recorded status.

        See :func:`store.liveness.see_heartbeats`.
        """
        async with self._sessions() as session, session.begin():
            return await liveness.see_heartbeats(session, beats)

    async def _see_heartbeat_batch(
        self, beats: Sequence[liveness.Beat]
    ) -> list[SessionStatus | None]:
        statuses = await self.see_heartbeats(beats)
        return [statuses[beat.session_id] for beat in beats]

    async def last_seen(self, session_id: str, *, as_of: datetime) -> LastSeen:
        """The session's latest heartbeat noted by :meth:`see_heartbeat`, as of ``as_of``."""
        async with self._read_sessions() as session:
            return await liveness.last_seen(session, session_id, as_of)

    async def delivery_outcome(self, event_id: str, *, channel: str) -> str | None:
        """The recorded outcome (``sent``/``failed``/``skipped``/``pending``) or None.

        Reads that arrive together share one transaction (:class:`GroupCommit`).
        """
        return await self._delivery_reads.submit((event_id, channel))

    async def note_delivery(self, event_id: str, *, outcome: DeliveryOutcome) -> None:
        """Upsert the delivery row keyed (event_id, outcome.channel).

        A final outcome (``sent``/``failed``) is never overwritten by ``pending``. Notes
        that arrive together share one transaction (:class:`GroupCommit`).

        Raises:
            ValueError: When ``outcome.outcome`` is not pending, sent, failed or skipped.
        """
        if outcome.outcome not in delivery_rows.DELIVERY_OUTCOMES:
            raise ValueError(f"unknown delivery outcome {outcome.outcome!r}")
        await self._delivery_notes.submit((event_id, outcome))

    async def _read_deliveries(self, keys: Sequence[delivery_rows.DeliveryKey]) -> list[str | None]:
        async with self._read_sessions() as session:
            return await delivery_rows.read_outcomes(session, keys)

    async def _note_deliveries(self, notes: Sequence[delivery_rows.DeliveryNote]) -> list[None]:
        async with self._sessions() as session, session.begin():
            await delivery_rows.note_outcomes(session, self._dialect, notes)
        return [None] * len(notes)

    async def verify_audit_chain(self) -> AuditVerification:
        """Walk the audit chain in order, in batches, recomputing every hash and link.

        The last entry cannot be checked against anything after it: removing only the
        newest entries goes unnoticed unless the head hash is kept elsewhere.
        """
        async with self._read_sessions() as session:
            return await walk_chain(session)

    async def audit_entries(
        self,
        *,
        candidate_id: str | None = None,
        session_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> AuditPage:
        """Audit entries in chain order after position ``after``, with their personal text
        (or ``"erased"``); see :func:`store.audit_export.read_entries`."""
        async with self._read_sessions() as session:
            return await read_entries(
                session, candidate_id=candidate_id, session_id=session_id, after=after, limit=limit
            )

    async def record_decode(
        self,
        *,
        reader: dict[str, str],
        namespace: str,
        session_ids: list[str],
        sessions_unlisted: int = 0,
        window: tuple[datetime, datetime],
        at: datetime,
    ) -> bool:
        """Audit that ``reader`` decoded payloads (of ``session_ids``, where they showed);
        one entry per reader, sessions and ``window``: see :mod:`store.access_audit`.

        Returns:
            True when this call wrote the entry, False when its window already had it.
        """
        async with self._sessions() as session, session.begin():
            await lock_chain(session, self._dialect)
            return await access_audit.record_decode(
                session,
                reader=reader,
                namespace=namespace,
                session_ids=session_ids,
                sessions_unlisted=sessions_unlisted,
                window=window,
                at=at,
            )

    async def is_anonymised(self, session_id: str) -> bool:
        """Whether the session's personal data was erased or aged out of the store."""
        async with self._read_sessions() as session:
            return await anonymised_at(session, session_id) is not None

    async def get_session(self, session_id: str) -> SessionView | None:
        """The session as last recorded, in the contract's view shape, or None if unknown."""
        async with self._read_sessions() as session:
            return await read_session_view(session, session_id)

    async def list_exits(
        self,
        *,
        session_id: str | None = None,
        kind: str | None = None,
        job_id: str | None = None,
        reason_code: str | None = None,
        interviewer_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        jobs: frozenset[str] | None = None,
    ) -> ExitPage:
        """Exits newest first, filtered, one page at a time.

        Args:
            session_id: Only this session's exits.
            kind: Only this exit kind.
            job_id: Only exits from sessions for this job.
            reason_code: Only this reason code (a fault's cause for ``system_fault``).
            interviewer_id: Only exits from this interviewer's sessions.
            since: Only exits at or after this time.
            until: Only exits strictly before this time.
            limit: Page size, 1 to 500.
            cursor: ``next_cursor`` of the previous page.
            jobs: Only exits from these jobs (an HR person's scope); None: every job.

        Raises:
            ValueError: When ``limit`` is out of range.
            InvalidCursor: When ``cursor`` was not handed out by this store.
        """
        equal_to = {
            ExitRow.session_id: session_id,
            ExitRow.kind: kind,
            ExitRow.job_id: job_id,
            ExitRow.reason_code: reason_code,
            ExitRow.interviewer_id: interviewer_id,
        }
        async with self._read_sessions() as session:
            return await list_exits(
                session,
                equal_to=equal_to,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
                jobs=jobs,
            )

    async def session_job(self, session_id: str) -> str | None:
        """The job a recorded session is for; None when the store does not know it."""
        async with self._read_sessions() as session:
            return await session_job(session, session_id)
