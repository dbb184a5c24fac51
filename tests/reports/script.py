"""Build known report data through the store's own ``record_event``, one session at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contract.codes import ABANDONED_REASON, EventType, ExitKind, FaultCause
from contract.events import SessionEvent
from contract.sessions import DEFAULT_STAGES, Candidate, ClientInfo, FaultInfo
from store import Store
from tests.fixtures.database import STARTED_AT, make_event


class SessionScript:
    """One session's life, recorded event by event; times are minutes after its start."""

    def __init__(
        self,
        store: Store,
        session_id: str,
        *,
        job_id: str = "job-a",
        interviewer_id: str = "iv-1",
        candidate_id: str | None = None,
        started_at: datetime = STARTED_AT,
        stages: tuple[str, ...] = DEFAULT_STAGES,
    ) -> None:
        """Name the session; nothing is recorded until ``start``."""
        self.store = store
        self.session_id = session_id
        self.job_id = job_id
        self.interviewer_id = interviewer_id
        self.candidate = Candidate(
            id=candidate_id or f"c-{session_id}",
            name=f"Candidate {session_id}",
            email=f"{candidate_id or session_id}@example.com",
            phone="+14155550100",
            locale="en",
        )
        self.started_at = started_at
        self.stages = list(stages)
        self.stage = self.stages[0]
        self.seq = 0

    async def start(self) -> SessionScript:
        """The session starts at its first stage."""
        await self._record(EventType.STARTED, 0)
        return self

    async def reach(self, stage: str, minute: float = 1) -> SessionScript:
        """Progress moves the session to ``stage``."""
        self.stage = stage
        await self._record(EventType.STARTED, minute)
        return self

    async def withdraw(self, reason: str, minute: float = 5) -> None:
        """The candidate quits for ``reason``."""
        await self._record(EventType.WITHDRAWN, minute, reason_code=reason)

    async def terminate(self, reason: str = "answer_misconduct", minute: float = 5) -> None:
        """The employer stops the interview."""
        await self._record(EventType.TERMINATED, minute, reason_code=reason)

    async def complete(self, minute: float = 30) -> None:
        """The interview finishes."""
        await self._record(EventType.COMPLETED, minute)

    async def fault(self, cause: FaultCause, minute: float = 5, **client: Any) -> SessionScript:
        """A fault with the given client setup suspends the session."""
        fault = FaultInfo(cause=cause, detail="broke", client=ClientInfo(**client))
        await self._record(EventType.SUSPENDED, minute, reason_code=cause, fault=fault)
        return self

    async def abandon(self, minute: float = 5) -> SessionScript:
        """Heartbeats stop: the session is suspended as abandoned."""
        await self._record(
            EventType.SUSPENDED,
            minute,
            kind=ExitKind.ABANDONED,
            reason_code=ABANDONED_REASON,
            fault=FaultInfo(detail="no heartbeat"),
        )
        return self

    async def resume(self, minute: float) -> SessionScript:
        """The candidate is back."""
        await self._record(EventType.RESUMED, minute)
        return self

    async def expire(self, minute: float) -> None:
        """The resume window closes unused."""
        await self._record(EventType.EXPIRED, minute)

    def event(self, type_: EventType, minute: float, **exit_fields: Any) -> SessionEvent:
        """The event ``type_`` at ``minute``, shaped like the workflow's."""
        self.seq += 1
        at = self.started_at + timedelta(minutes=minute)
        base = make_event(
            type_,
            session_id=self.session_id,
            seq=self.seq,
            at=at,
            job_id=self.job_id,
            interviewer_id=self.interviewer_id,
            # make_event reads a suspension's reason as a fault cause: set it afterwards.
            reason_code=None if type_ is EventType.SUSPENDED else exit_fields.get("reason_code"),
        )
        session = base.session.model_copy(
            update={
                "candidate": self.candidate,
                "stages": self.stages,
                "current_stage": self.stage,
                "started_at": self.started_at,
            }
        )
        record = base.exit
        if record is not None:
            record = record.model_copy(update={"stage": self.stage, **exit_fields})
        return base.model_copy(update={"session": session, "exit": record})

    async def _record(self, type_: EventType, minute: float, **exit_fields: Any) -> None:
        assert await self.store.record_event(self.event(type_, minute, **exit_fields))
