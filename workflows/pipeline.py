"""The exit pipeline, as the session workflow runs it: record first, then every channel.

Runs inside the workflow (deterministic, activities only). The record is awaited before a
command answers, so a receipt stands for a saved record (or for one the database refused for
good, listed as a stuck step in the session view); the channels that follow do
not depend on one another and run concurrently, each absorbing its own failure so that one
broken channel never holds back the others. A channel that fails for good (out of retry
time, refused for good, or its data cannot make a message) waits as a stuck step until
operations retry or give it up (stuck_steps.py); a record that fails for good is held the
same way by the session's run (session_run.py).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.database import DatabaseActivities, RecordDelivery
    from activities.email.activities import EmailActivities
    from activities.hris.activities import HrisActivities
    from activities.sms import SmsActivities
    from contract.events import DeliveryOutcome, LastSeen, LastSeenRequest, SessionEvent
    from contract.stuck import FailureType, PipelineStep
    from workflows.activity_policies import (
        HRIS_DEADLINE,
        HRIS_RETRY,
        HRIS_TIMEOUT,
        LAST_SEEN_TIMEOUT,
        MESSAGE_DEADLINE,
        MESSAGE_RETRY,
        MESSAGE_TIMEOUT,
        RECORD_RETRY,
        RECORD_TIMEOUT,
    )
    from workflows.stuck_steps import StuckSteps, failure_of, holds_stuck_steps


async def record(event: SessionEvent) -> None:
    """Save the event (session, segments, exit, audit entry) in one transaction."""
    await workflow.execute_activity_method(
        DatabaseActivities.record_session_event,
        event,
        start_to_close_timeout=RECORD_TIMEOUT,
        retry_policy=RECORD_RETRY,
    )


async def read_last_seen(session_id: str) -> LastSeen:
    """The page's latest heartbeat noted by the API, as of the workflow's now: a short read of
    the local store, so a local activity, retried until the database answers."""
    try:
        return await workflow.execute_local_activity_method(
            DatabaseActivities.read_last_seen,
            LastSeenRequest(session_id=session_id, as_of=workflow.now()),
            start_to_close_timeout=LAST_SEEN_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
    except ActivityError:
        # Failed for good: no beat is known, and the session goes by its signals alone.
        if not holds_stuck_steps():
            raise
        workflow.logger.warning("last seen unreadable", extra={"session_id": session_id})
        return LastSeen()


async def notify(event: SessionEvent, stuck: StuckSteps | None = None) -> None:
    """Tell the HR system and, where the event concerns them, the candidate.

    With ``stuck``, a channel that fails for good waits there for operations; without it
    (and in sessions started before ``STUCK_STEPS``) the failure is only recorded.
    """
    channels = [_deliver(event, "hris", stuck)] if event.type.goes_to_hris else []
    policy = event.session.policy
    if event.type.emails_candidate and "email" in policy.channels:
        channels.append(_deliver(event, "email", stuck))
    if event.type.emails_candidate and "sms" in policy.channels and event.session.candidate.phone:
        channels.append(_deliver(event, "sms", stuck))
    await asyncio.gather(*channels)


_CHANNELS: dict[str, tuple[Any, timedelta, timedelta, RetryPolicy]] = {
    "hris": (HrisActivities.deliver_hris_event, HRIS_TIMEOUT, HRIS_DEADLINE, HRIS_RETRY),
    "email": (
        EmailActivities.send_candidate_email,
        MESSAGE_TIMEOUT,
        MESSAGE_DEADLINE,
        MESSAGE_RETRY,
    ),
    "sms": (SmsActivities.send_candidate_sms, MESSAGE_TIMEOUT, MESSAGE_DEADLINE, MESSAGE_RETRY),
}


async def _deliver(event: SessionEvent, channel: str, stuck: StuckSteps | None) -> None:
    while True:
        failure = await _attempt(event, channel)
        if failure is None or stuck is None or not holds_stuck_steps():
            return
        if not await stuck.hold(PipelineStep(channel), event, failure):
            return


async def _attempt(event: SessionEvent, channel: str) -> tuple[FailureType, str] | None:
    """Deliver once (with the channel's retries); why it failed for good, or None."""
    method, attempt_timeout, deadline, retry_policy = _CHANNELS[channel]
    try:
        outcome = await workflow.execute_activity_method(
            method,
            event,
            start_to_close_timeout=attempt_timeout,
            schedule_to_close_timeout=deadline,
            retry_policy=retry_policy,
        )
    except ActivityError as err:
        # Out of retries (or time): the event stays recorded, the failure is made visible.
        detail = str(err.cause or err)
        workflow.logger.warning(
            "delivery gave up", extra={"channel": channel, "event_id": event.event_id}
        )
        outcome = DeliveryOutcome(channel=channel, outcome="failed", detail=detail[:500])
        await workflow.execute_activity_method(
            DatabaseActivities.record_delivery,
            RecordDelivery(event_id=event.event_id, outcome=outcome),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
        return failure_of(err)
    if isinstance(outcome, DeliveryOutcome) and outcome.outcome == "failed":
        # Refused for good and recorded by the activity; its text may quote the candidate.
        code = f" ({outcome.status_code})" if outcome.status_code else ""
        return FailureType.PERMANENT_DELIVERY, f"{channel} refused for good{code}"
    return None
