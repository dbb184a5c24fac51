"""The session's stuck pipeline steps: noted when a step fails for good, redone on request.

Runs inside the workflow. A step that fails for good (contract/stuck.py) is noted in the
session state, so that the session view lists it, under the ``StuckStep`` search attribute,
in a log line and a metric; then the step waits, without holding back any command, until
operations retry it (``retry_stuck_steps``) or give it up. Sessions started before
``STUCK_STEPS`` failed or retried forever instead, and replay so.
"""

from __future__ import annotations

from collections import Counter

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from contract.codes import ErrorCode
    from contract.events import SessionEvent
    from contract.refusals import refusal
    from contract.stuck import FailureType, PipelineStep, RetryStuckSteps, StuckStep
    from workflows import search
    from workflows.patches import STUCK_STEPS

STUCK_STEPS_METRIC = "exitflow_stuck_steps"
_DETAIL_CHARS = 300
_CLASSIFIED = frozenset(
    {FailureType.INVALID_DATA, FailureType.INTEGRITY, FailureType.PERMANENT_DELIVERY}
)
_OUT_OF_RETRIES = frozenset({RetryState.TIMEOUT, RetryState.MAXIMUM_ATTEMPTS_REACHED})


def holds_stuck_steps() -> bool:
    """Whether this run waits on stuck steps (True from ``STUCK_STEPS`` on)."""
    return workflow.patched(STUCK_STEPS)


def failure_of(err: ActivityError) -> tuple[FailureType, str]:
    """Why an activity failed for good, and a detail free of personal data.

    The activities' classified errors (``activities/failures.py``) are built without values
    from the data, so their message is kept; of any other error only its kind is.
    """
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in _CLASSIFIED:
        return FailureType(cause.type), cause.message[:_DETAIL_CHARS]
    kind = cause.type if isinstance(cause, ApplicationError) and cause.type else None
    kind = kind or type(cause or err).__name__
    if err.retry_state in _OUT_OF_RETRIES:
        return FailureType.OUT_OF_RETRIES, f"{kind}: out of retry time"
    return FailureType.OTHER, kind


class StuckSteps:
    """The stuck steps of one session, kept in its state's ``stuck_steps``."""

    def __init__(self, steps: dict[str, StuckStep]) -> None:
        """Work on ``steps``, the dict the session view lists."""
        self._steps = steps
        self._answers: dict[str, bool] = {}
        """Step id -> whether operations gave it up (False: retry it)."""
        self._retries: Counter[str] = Counter()

    def check_retry(self, request: RetryStuckSteps) -> None:
        """Refuse a retry when nothing, or not the step named, is stuck."""
        if request.step_id is None and not self._steps:
            raise refusal(ErrorCode.SESSION_CONFLICT, "No pipeline step of this session is stuck.")
        if request.step_id is not None and request.step_id not in self._steps:
            raise refusal(
                ErrorCode.SESSION_CONFLICT,
                f"Step {request.step_id} is not stuck; the session's stuck steps are "
                f"{', '.join(self._steps) or 'none'}.",
                field="step_id",
            )

    def answer(self, request: RetryStuckSteps) -> list[StuckStep]:
        """Let the named step (or every stuck step) go on: retried, or given up."""
        chosen = [request.step_id] if request.step_id else list(self._steps)
        for step_id in chosen:
            self._answers[step_id] = request.give_up
        return [self._steps[step_id] for step_id in chosen]

    async def hold(
        self, step: PipelineStep, event: SessionEvent, failure: tuple[FailureType, str]
    ) -> bool:
        """Note ``step`` of ``event`` as stuck and wait for operations' answer.

        Returns:
            True when operations asked for a retry, False when they gave the step up.
        """
        return await self.hold_for(step, failure, subject=event.event_id, about=event.type.value)

    async def hold_for(
        self, step: PipelineStep, failure: tuple[FailureType, str], *, subject: str, about: str
    ) -> bool:
        """As :meth:`hold`, for a step not about an event (``subject``: e.g. a step id)."""
        failure_type, detail = failure
        step_id = f"{step.value}:{subject}"
        self._steps[step_id] = StuckStep(
            step_id=step_id,
            step=step,
            event_id=subject,
            event_type=about,
            failure_type=failure_type,
            detail=detail,
            since=workflow.now(),
            retries=self._retries[step_id],
        )
        self._publish()
        workflow.logger.error(
            "pipeline step stuck",
            extra={"step_id": step_id, "event_type": about, "failure_type": failure_type.value},
        )
        workflow.metric_meter().create_counter(
            STUCK_STEPS_METRIC, "Pipeline steps that failed for good, by step and failure type."
        ).add(1, {"step": step.value, "failure_type": failure_type.value})
        await workflow.wait_condition(lambda: step_id in self._answers)
        give_up = self._answers.pop(step_id)
        del self._steps[step_id]
        self._retries[step_id] += 1
        self._publish()
        if give_up:
            workflow.logger.warning("pipeline step given up", extra={"step_id": step_id})
        return not give_up

    def _publish(self) -> None:
        if not self._steps:
            workflow.upsert_search_attributes([search.STUCK_STEP.value_unset()])
            return
        worst = min((step.step for step in self._steps.values()), key=list(PipelineStep).index)
        workflow.upsert_search_attributes([search.STUCK_STEP.value_set(worst.value)])
