"""``InterviewSessionWorkflow``: one candidate's interview, from start to however it ends."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.codes import EventType, ExitKind, SessionStatus
    from contract.events import SessionEvent
    from contract.sessions import (
        CompleteInput,
        ExitPreview,
        ExitReceipt,
        ExitRecord,
        FaultAck,
        FaultInfo,
        FaultInput,
        HeartbeatInput,
        ResumeInput,
        SegmentInput,
        SessionView,
        StartSession,
        TerminateInput,
        WithdrawInput,
    )
    from contract.stuck import RetryStuckSteps, StuckSession
    from workflows import candidate_texts, pipeline
    from workflows.clock import SOONEST
    from workflows.contest import ContestHandlers
    from workflows.downstream_steps import DownstreamSteps
    from workflows.patches import (
        CANCEL_DOWNSTREAM_BY_OWN_STATUS,
        CLOCK_FREE_TIMER_DECISIONS,
        READ_LAST_SEEN_BEFORE_ABANDON,
    )
    from workflows.session_run import SessionRun, new_id
    from workflows.session_state import SessionState


def session_workflow_id(session_id: str) -> str:
    """The contract's workflow id of a session."""
    return f"interview-session-{session_id}"


@workflow.defn
class InterviewSessionWorkflow(ContestHandlers):
    """A session that keeps the candidate's work whatever ends it, and tells everyone once.

    Commands that can be refused are updates with validators, so a refusal leaves no trace
    in history; the heartbeat is a signal; reads are queries. Every suspension and every
    end runs the exit pipeline: the record is saved before the command answers (one the
    database refuses for good waits as a stuck step, stuck_steps.py), then the HR
    system, the candidate and the downstream steps are dealt with concurrently. A termination
    may be contested: the session stays open for that (``ContestHandlers``, contest.py).
    What the workflow shares with its handlers and its downstream steps is one
    ``SessionRun`` (session_run.py).
    """

    @workflow.init
    def __init__(self, start: StartSession) -> None:
        """Build the state before any handler runs, so updates-with-start see it."""
        info = workflow.info()
        state = SessionState(
            start, workflow_id=info.workflow_id, run_id=info.run_id, now=self._now()
        )
        self._run = SessionRun(state)
        self._started = self._event(EventType.STARTED)
        self._downstream = DownstreamSteps(self._run)

    @workflow.run
    async def run(self, start: StartSession) -> SessionView:
        """Live until a terminal status, then until every message is delivered."""
        state = self._run.state
        self._run.publish_search_attributes()
        await self._downstream.start()
        await self._run.record(self._started, then=lambda: self._run.notify(self._started))
        while not state.status.is_terminal or await self._hear_contest():
            if state.status is SessionStatus.ACTIVE:
                await self._watch_heartbeats()
            else:
                await self._run_resume_window()
        await workflow.wait_condition(
            lambda: self._run.background_done() and workflow.all_handlers_finished()
        )
        return state.view()

    # Messages from the platform and HR.

    @workflow.update
    async def progress(self, segment: SegmentInput) -> SessionView:
        """Save a segment; a repeated ``segment_id`` replaces the earlier one."""
        state = self._run.state
        if state.save_segment(segment, self._now()):
            self._run.publish_search_attributes()
        return state.view()

    @progress.validator
    def _validate_progress(self, segment: SegmentInput) -> None:
        self._run.state.check_segment(segment)

    @workflow.signal
    def heartbeat(self, beat: HeartbeatInput) -> None:
        """The candidate's page is alive; ignored unless the session is active."""
        state = self._run.state
        if state.status is SessionStatus.ACTIVE:
            state.see_heartbeat(beat.client, self._now())

    @workflow.update
    async def report_fault(self, fault: FaultInput) -> FaultAck:
        """Suspend after a fault: keep the work, open the resume window, tell everyone."""
        state = self._run.state
        record = state.suspend(
            kind=ExitKind.SYSTEM_FAULT,
            reason_code=fault.cause.value,
            fault=FaultInfo(cause=fault.cause, detail=fault.detail, client=fault.client),
            now=self._now(),
            new_id=new_id,
        )
        suspension = state.suspension
        assert suspension is not None
        await self._transition(EventType.SUSPENDED, record)
        return FaultAck(
            status=state.status,
            resume_deadline=suspension.resume_deadline,
            resume_token=suspension.resume_token,
        )

    @report_fault.validator
    def _validate_fault(self, fault: FaultInput) -> None:
        self._run.state.check_active("report a fault")

    @workflow.update
    async def resume(self, request: ResumeInput) -> SessionView:
        """The candidate is back: active again with every saved segment."""
        state = self._run.state
        state.resume(self._now())
        await self._transition(EventType.RESUMED)
        return state.view()

    @resume.validator
    def _validate_resume(self, request: ResumeInput) -> None:
        self._run.state.check_resume(request.resume_token, self._now())

    @workflow.update
    async def withdraw(self, request: WithdrawInput) -> ExitReceipt:
        """The candidate quits on purpose; returns the receipt once the exit is recorded."""
        state = self._run.state
        record = state.end(
            SessionStatus.WITHDRAWN,
            kind=ExitKind.WITHDRAWN,
            reason_code=request.reason_code.value,
            comment=request.comment,
            now=self._now(),
            new_id=new_id,
        )
        assert record is not None
        await self._transition(EventType.WITHDRAWN, record)
        start = state.start
        return self._receipt(
            record, candidate_texts.withdrawal_message(start.candidate, start.policy)
        )

    @withdraw.validator
    def _validate_withdraw(self, request: WithdrawInput) -> None:
        self._run.state.check_can_exit("withdraw")

    @workflow.update
    async def terminate(self, request: TerminateInput) -> ExitReceipt:
        """The employer stops the interview; the notice sent is kept verbatim."""
        state = self._run.state
        start = state.start
        notice = candidate_texts.termination_notice(
            start.candidate, start.job, request.reason_code, request.explanation
        )
        record = state.end(
            SessionStatus.TERMINATED,
            kind=ExitKind.TERMINATED,
            reason_code=request.reason_code.value,
            explanation=request.explanation,
            actor=request.actor,
            notice_text=notice,
            now=self._now(),
            new_id=new_id,
        )
        assert record is not None
        self._open_contest_window(record)
        await self._transition(EventType.TERMINATED, record)
        return self._receipt(record, candidate_texts.termination_message(start.candidate))

    @terminate.validator
    def _validate_terminate(self, request: TerminateInput) -> None:
        self._run.state.check_can_exit("terminate")

    @workflow.update
    async def complete(self, request: CompleteInput) -> SessionView:
        """The interview finished; downstream steps are left to run."""
        state = self._run.state
        state.end(SessionStatus.COMPLETED, now=self._now(), new_id=new_id)
        await self._transition(EventType.COMPLETED)
        return state.view()

    @complete.validator
    def _validate_complete(self, request: CompleteInput) -> None:
        self._run.state.check_active("complete")

    @workflow.query
    def get_status(self) -> SessionView:
        """The session view."""
        return self._run.state.view()

    # Operations: pipeline steps that failed for good (workflows/stuck_steps.py).

    @workflow.update
    async def retry_stuck_steps(self, request: RetryStuckSteps) -> StuckSession:
        """Retry (or give up) one stuck step, or every one; answers with the steps chosen."""
        steps = self._run.stuck.answer(request)
        return StuckSession(session_id=self._run.state.start.session_id, steps=steps)

    @retry_stuck_steps.validator
    def _validate_retry_stuck_steps(self, request: RetryStuckSteps) -> None:
        self._run.stuck.check_retry(request)

    @workflow.query
    def get_stuck_steps(self) -> StuckSession:
        """The pipeline steps that failed for good and wait for operations."""
        steps = list(self._run.state.stuck_steps.values())
        return StuckSession(session_id=self._run.state.start.session_id, steps=steps)

    @workflow.query
    def get_exit_preview(self) -> ExitPreview:
        """What quitting now would mean, in the candidate's language."""
        state = self._run.state
        stages = {segment.stage for segment in state.segments.values()}
        return candidate_texts.exit_preview(
            state.start.candidate, state.start.policy, len(state.segments), len(stages)
        )

    # The session's own clock: heartbeats, the resume window, the reminder.

    async def _watch_heartbeats(self) -> None:
        # The timer is not reset by each heartbeat (that would cost two history events per
        # beat); it fires at the deadline known now and re-arms if a sign of life came.
        if not workflow.patched(CLOCK_FREE_TIMER_DECISIONS):
            return await self._watch_heartbeats_by_clock()
        state = self._run.state
        seen, alive = state.transitions, state.signs_of_life
        remaining = state.heartbeat_deadline() - self._now()
        if await self._wait_for_change(seen, max(remaining, SOONEST)):
            return
        if state.signs_of_life != alive:
            return
        if workflow.patched(READ_LAST_SEEN_BEFORE_ABANDON) and await self._heard_through_api(
            seen, alive
        ):
            return
        record = state.abandon(now=self._now(), new_id=new_id)
        await self._transition(EventType.SUSPENDED, record)

    async def _heard_through_api(self, seen: int, alive: int) -> bool:
        """Whether the page was alive after all: a beat noted by the API, or any change
        while the record was read. A beat within the timeout moves the deadline to it.

        The API notes heartbeats on the session's row instead of signalling (a signal costs a
        history event and a workflow task per beat); the workflow reads that row once per
        timeout, when its timer fires without a signal. Sessions started before
        ``READ_LAST_SEEN_BEFORE_ABANDON`` decide on signals alone.
        """
        state = self._run.state
        heard = await pipeline.read_last_seen(state.start.session_id)
        if state.transitions != seen or state.signs_of_life != alive:
            return True
        timeout = state.start.policy.heartbeat_timeout_seconds
        if heard.seconds_ago is None or heard.seconds_ago >= timeout:
            return False
        state.see_heartbeat(heard.client, self._now() - timedelta(seconds=heard.seconds_ago))
        return True

    async def _run_resume_window(self) -> None:
        if not workflow.patched(CLOCK_FREE_TIMER_DECISIONS):
            return await self._run_resume_window_by_clock()
        state = self._run.state
        suspension = state.suspension
        assert suspension is not None
        seen = state.transitions
        reminder_at = state.reminder_due_at()
        if reminder_at is not None:
            if not await self._wait_for_change(seen, max(reminder_at - self._now(), SOONEST)):
                await self._remind(suspension.suspension_id)
            return
        remaining = suspension.resume_deadline - self._now()
        if not await self._wait_for_change(seen, max(remaining, SOONEST)):
            record = state.expire(now=self._now(), new_id=new_id)
            await self._transition(EventType.EXPIRED, record)

    async def _remind(self, suspension_id: str) -> None:
        self._run.state.reminded_suspension_id = suspension_id
        reminder = self._event(EventType.RESUME_REMINDER)
        await self._run.record(reminder, then=lambda: self._run.notify(reminder))

    # Before CLOCK_FREE_TIMER_DECISIONS: kept so that sessions started earlier still replay.

    async def _watch_heartbeats_by_clock(self) -> None:
        state = self._run.state
        seen = state.transitions
        remaining = state.heartbeat_deadline() - self._now()
        if remaining > timedelta(0) and await self._wait_for_change(seen, remaining):
            return
        if state.transitions == seen and self._now() >= state.heartbeat_deadline():
            record = state.abandon(now=self._now(), new_id=new_id)
            await self._transition(EventType.SUSPENDED, record)

    async def _run_resume_window_by_clock(self) -> None:
        state = self._run.state
        suspension = state.suspension
        assert suspension is not None
        seen = state.transitions
        reminder_at = state.reminder_due_at()
        if reminder_at is not None and reminder_at > self._now():
            if not await self._wait_for_change(seen, reminder_at - self._now()):
                await self._remind(suspension.suspension_id)
            return
        remaining = suspension.resume_deadline - self._now()
        if remaining > timedelta(0) and await self._wait_for_change(seen, remaining):
            return
        if state.transitions == seen:
            record = state.expire(now=self._now(), new_id=new_id)
            await self._transition(EventType.EXPIRED, record)

    async def _wait_for_change(self, seen: int, at_most: timedelta) -> bool:
        """Wait until the state moves on (True) or ``at_most`` passes (False)."""
        state = self._run.state
        try:
            await workflow.wait_condition(lambda: state.transitions != seen, timeout=at_most)
        except TimeoutError:
            return False
        return True

    # The exit pipeline.

    async def _transition(self, type_: EventType, record: ExitRecord | None = None) -> None:
        """Publish the new state, save the event, then notify and cancel in the background."""
        self._run.publish_search_attributes()
        event = self._event(type_, record)
        ends_here = self._ends_with_cancellation()
        await self._run.record(event, then=lambda: self._run.notify(event))
        # The session may have moved on while the record was retried (a suspension whose
        # window closed meanwhile has already expired and cancelled): what cancels is this
        # transition's status, not the current one. Found by the 1,000-session chaos run,
        # where reading the current status cancelled the steps twice (two
        # ``downstream.cancelled`` events under two webhook ids). Sessions that took the
        # other branch before CANCEL_DOWNSTREAM_BY_OWN_STATUS keep it on replay.
        if ends_here != self._ends_with_cancellation() and not workflow.patched(
            CANCEL_DOWNSTREAM_BY_OWN_STATUS
        ):
            ends_here = not ends_here
        if ends_here:
            self._downstream.cancel_in_background()

    def _ends_with_cancellation(self) -> bool:
        status = self._run.state.status
        return status.is_terminal and status is not SessionStatus.COMPLETED

    # Small helpers.

    def _event(self, type_: EventType, record: ExitRecord | None = None) -> SessionEvent:
        return self._run.state.event(type_, now=self._now(), exit_record=record)

    def _receipt(self, record: ExitRecord, message: str) -> ExitReceipt:
        return ExitReceipt(
            exit_id=record.exit_id,
            kind=record.kind,
            reason_code=record.reason_code,
            at=record.at,
            message=message,
            can_reapply=self._run.state.start.policy.can_reapply,
            notice_text=record.notice_text,
        )

    @staticmethod
    def _now() -> datetime:
        return workflow.now()
