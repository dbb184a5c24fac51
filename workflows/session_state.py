"""The state of one interview session and the rules of how it may change.

Plain, deterministic code: the workflow supplies the clock and the id source, so the rules
are tested without a Temporal server and the workflow itself stays a thin shell.
"""

from __future__ import annotations

import hmac
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from contract.codes import (
    ABANDONED_REASON,
    REINSTATED_REASON,
    DownstreamStatus,
    ErrorCode,
    EventType,
    ExitKind,
    SessionStatus,
)
from contract.events import SessionEvent, SessionSnapshot, Suspension
from contract.refusals import refusal
from contract.sessions import (
    ClientInfo,
    Contest,
    DownstreamView,
    ExitRecord,
    FaultInfo,
    Segment,
    SegmentInput,
    SessionView,
    StartSession,
)
from contract.stuck import StuckStep
from workflows.contest_state import ContestState

IdSource = Callable[[], str]
_EVENT_NAMESPACE = uuid.UUID("6f1c3b1e-8d0a-5b7e-9a51-2c4e0f3d9a77")


class SessionState:
    """One session: its status, saved work, exits, suspension and downstream steps."""

    def __init__(
        self, start: StartSession, *, workflow_id: str, now: datetime, run_id: str = ""
    ) -> None:
        """Begin ``active`` at the first stage."""
        self.start = start
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.status = SessionStatus.ACTIVE
        self.stage = start.stages[0]
        self.started_at = now
        self.ended_at: datetime | None = None
        self.last_seen_at = now
        self.signs_of_life = 0
        self.last_client: ClientInfo | None = None
        self.segments: dict[str, Segment] = {}
        self.exits: list[ExitRecord] = []
        self.current_exit: ExitRecord | None = None
        self.suspension: Suspension | None = None
        self.reminded_suspension_id: str | None = None
        self.contests = ContestState()
        self.downstream = {
            step.step_id: DownstreamView(
                step_id=step.step_id,
                kind=step.kind,
                scheduled_at=step.scheduled_at,
                status=DownstreamStatus.SCHEDULED,
            )
            for step in start.downstream
        }
        self.stuck_steps: dict[str, StuckStep] = {}
        """Pipeline steps that failed for good, by step id (workflows/stuck_steps.py)."""
        self.transitions = 0
        self._seq = 0
        self._events_of_type: Counter[EventType] = Counter()

    # Checks: each raises the contract's refusal and changes nothing.

    def check_active(self, action: str) -> None:
        """Refuse ``action`` unless the session is active."""
        if self.status is SessionStatus.SUSPENDED:
            raise refusal(
                ErrorCode.SESSION_SUSPENDED,
                f"Cannot {action}: the session is suspended; resume it first.",
                status=self.status.value,
            )
        self._check_not_ended(action)

    def check_can_exit(self, action: str) -> None:
        """Refuse ``action`` once the session has ended; active and suspended may exit."""
        self._check_not_ended(action)

    def check_segment(self, segment: SegmentInput) -> None:
        """Refuse progress on a closed session or for a stage the session does not have."""
        self.check_active("save progress")
        if segment.stage not in self.start.stages:
            raise refusal(
                ErrorCode.INVALID_FIELD,
                f"Unknown stage {segment.stage!r}; this session's stages are "
                f"{', '.join(self.start.stages)}.",
                field="stage",
            )

    def check_resume(self, token: str, now: datetime) -> None:
        """Refuse a resume that is not for the open suspension, or comes too late."""
        if self.status is SessionStatus.EXPIRED:
            raise refusal(
                ErrorCode.RESUME_WINDOW_CLOSED,
                "The resume window is over; the session has expired.",
                status=self.status.value,
            )
        self._check_not_ended("resume")
        if self.suspension is None:
            raise refusal(
                ErrorCode.SESSION_NOT_SUSPENDED,
                "Cannot resume: the session is active, not suspended.",
                status=self.status.value,
            )
        if not hmac.compare_digest(token.encode(), self.suspension.resume_token.encode()):
            raise refusal(
                ErrorCode.INVALID_RESUME_TOKEN,
                "The resume token does not belong to this session's suspension.",
                field="resume_token",
            )
        if now >= self.suspension.resume_deadline:
            raise refusal(
                ErrorCode.RESUME_WINDOW_CLOSED,
                "The resume window is over.",
                resume_deadline=self.suspension.resume_deadline.isoformat(),
            )

    def _check_not_ended(self, action: str) -> None:
        if self.status.is_terminal:
            raise refusal(
                ErrorCode.SESSION_ENDED,
                f"Cannot {action}: the session has already ended as {self.status.value}.",
                status=self.status.value,
            )

    # Transitions: called only after the matching check passed.

    def save_segment(self, segment: SegmentInput, now: datetime) -> bool:
        """Keep a segment (a repeated ``segment_id`` replaces it); True if the stage moved."""
        saved = Segment(**segment.model_dump(), saved_at=now)
        self.segments.pop(segment.segment_id, None)
        self.segments[segment.segment_id] = saved
        self.last_seen_at = now
        self.signs_of_life += 1
        stages = self.start.stages
        if stages.index(segment.stage) > stages.index(self.stage):
            self.stage = segment.stage
            return True
        return False

    def see_heartbeat(self, client: ClientInfo | None, now: datetime) -> None:
        """Note that the candidate's page is alive."""
        self.last_seen_at = now
        self.signs_of_life += 1
        if client is not None:
            self.last_client = client

    def heartbeat_deadline(self) -> datetime:
        """When an active session without a heartbeat counts as abandoned."""
        seconds = self.start.policy.heartbeat_timeout_seconds
        return self.last_seen_at + timedelta(seconds=seconds)

    def suspend(
        self, *, kind: ExitKind, reason_code: str, fault: FaultInfo, now: datetime, new_id: IdSource
    ) -> ExitRecord:
        """Interrupt the session: keep the work, open the resume window."""
        record = self._add_exit(kind=kind, reason_code=reason_code, now=now, new_id=new_id)
        record.fault = fault
        window = timedelta(hours=self.start.policy.resume_window_hours)
        self.suspension = Suspension(
            suspension_id=new_id(),
            exit_id=record.exit_id,
            suspended_at=now,
            resume_deadline=now + window,
            resume_token=new_id().replace("-", "") + new_id().replace("-", ""),
        )
        self._move_to(SessionStatus.SUSPENDED)
        return record

    def abandon(self, *, now: datetime, new_id: IdSource) -> ExitRecord:
        """The page went silent: suspend exactly as a fault would."""
        return self.suspend(
            kind=ExitKind.ABANDONED,
            reason_code=ABANDONED_REASON,
            fault=FaultInfo(client=self.last_client, detail="no heartbeat"),
            now=now,
            new_id=new_id,
        )

    def resume(self, now: datetime) -> None:
        """The candidate is back: everything saved is theirs again."""
        self.suspension = None
        self.current_exit = None
        self.last_seen_at = now
        self.signs_of_life += 1
        self._move_to(SessionStatus.ACTIVE)

    def reinstate(self, *, now: datetime, new_id: IdSource) -> Suspension:
        """HR overturned the termination: suspended again, with a fresh window and token.

        Every saved segment is kept; the termination stays in ``exits`` as what happened.
        """
        window = timedelta(hours=self.start.policy.resume_window_hours)
        self.suspension = Suspension(
            suspension_id=new_id(),
            exit_id=self.exits[-1].exit_id,
            suspended_at=now,
            resume_deadline=now + window,
            resume_token=new_id().replace("-", "") + new_id().replace("-", ""),
        )
        self.current_exit = None
        self.ended_at = None
        self._move_to(SessionStatus.SUSPENDED)
        return self.suspension

    def restore_cancelled_steps(self) -> list[DownstreamView]:
        """After an overturn: the steps the termination cancelled are scheduled again.

        Only a termination cancels steps and can be undone, so every cancelled step is its.

        Returns:
            Copies of the restored steps, as they are now (scheduled).
        """
        restored = []
        for step in self.downstream.values():
            if step.status is DownstreamStatus.CANCELLED:
                step.status = DownstreamStatus.SCHEDULED
                restored.append(step.model_copy())
        return restored

    def reminder_due_at(self) -> datetime | None:
        """When the open suspension's reminder should go out, or None if none is owed."""
        hours = self.start.policy.reminder_before_deadline_hours
        if self.suspension is None or hours <= 0:
            return None
        if self.reminded_suspension_id == self.suspension.suspension_id:
            return None
        # Compared with the suspension's own start, not the clock: one that would fall
        # before the window opened is not owed at all.
        due_at = self.suspension.resume_deadline - timedelta(hours=hours)
        return due_at if due_at > self.suspension.suspended_at else None

    def expire(self, *, now: datetime, new_id: IdSource) -> ExitRecord:
        """The resume window closed unused; the interruption's reason and fault carry over."""
        # Only a reinstated session is suspended without the exit that interrupted it.
        interrupted = self.current_exit
        record = self._add_exit(
            kind=ExitKind.EXPIRED,
            reason_code=interrupted.reason_code if interrupted else REINSTATED_REASON,
            now=now,
            new_id=new_id,
        )
        record.fault = interrupted.fault if interrupted else None
        self.suspension = None
        self.ended_at = now
        self._move_to(SessionStatus.EXPIRED)
        return record

    def end(
        self,
        status: SessionStatus,
        *,
        now: datetime,
        new_id: IdSource,
        kind: ExitKind | None = None,
        reason_code: str = "",
        **fields: object,
    ) -> ExitRecord | None:
        """Move to a terminal status, recording the exit unless the session completed."""
        record = None
        if kind is not None:
            record = self._add_exit(kind=kind, reason_code=reason_code, now=now, new_id=new_id)
            for name, value in fields.items():
                setattr(record, name, value)
        self.suspension = None
        self.ended_at = now
        self._move_to(status)
        return record

    def _add_exit(
        self, *, kind: ExitKind, reason_code: str, now: datetime, new_id: IdSource
    ) -> ExitRecord:
        record = ExitRecord(
            exit_id=new_id(), kind=kind, reason_code=reason_code, at=now, stage=self.stage
        )
        self.exits.append(record)
        self.current_exit = record
        return record

    def _move_to(self, status: SessionStatus) -> None:
        self.status = status
        self.transitions += 1

    # Views.

    def event(
        self,
        type_: EventType,
        *,
        now: datetime,
        exit_record: ExitRecord | None = None,
        cancelled: list[DownstreamView] | None = None,
        restored: list[DownstreamView] | None = None,
        contest: Contest | None = None,
    ) -> SessionEvent:
        """A numbered event carrying a snapshot of the session as it is now.

        Its id names what it is — the n-th event of its type in this run of this session —
        rather than drawing a random one, so however the run is replayed (a killed worker,
        a restarted server) the same event keeps the same id, and with it the same record,
        ``webhook-id`` and ``Message-ID``.
        """
        self._seq += 1
        self._events_of_type[type_] += 1
        name = f"{self.workflow_id}/{self.run_id}/{type_.value}/{self._events_of_type[type_]}"
        return SessionEvent(
            event_id=str(uuid.uuid5(_EVENT_NAMESPACE, name)),
            type=type_,
            seq=self._seq,
            at=now,
            session=self.snapshot(),
            exit=exit_record,
            cancelled_steps=cancelled or [],
            restored_steps=restored or [],
            contest=contest,
        )

    def snapshot(self) -> SessionSnapshot:
        """The whole session, for the record and the messages."""
        start = self.start
        return SessionSnapshot(
            session_id=start.session_id,
            workflow_id=self.workflow_id,
            candidate=start.candidate,
            job=start.job,
            interviewer_id=start.interviewer_id,
            stages=list(start.stages),
            policy=start.policy,
            status=self.status,
            current_stage=self.stage,
            started_at=self.started_at,
            ended_at=self.ended_at,
            segments=list(self.segments.values()),
            suspension=self.suspension,
            downstream=[step.model_copy() for step in self.downstream.values()],
            consent=start.consent,
            contest_window=self.contests.window,
        )

    def view(self) -> SessionView:
        """The session as the contract's session view."""
        return SessionView(
            session_id=self.start.session_id,
            status=self.status,
            current_stage=self.stage,
            completed_segments=list(self.segments.values()),
            exit=self.current_exit,
            resume_deadline=self.suspension.resume_deadline if self.suspension else None,
            downstream=list(self.downstream.values()),
            candidate_id=self.start.candidate.id,
            job_id=self.start.job.id,
            interviewer_id=self.start.interviewer_id,
            exits=list(self.exits),
            consent=self.start.consent,
            contest=self.contests.view(),
            stuck_steps=list(self.stuck_steps.values()),
        )
