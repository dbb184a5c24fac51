"""Timeouts and retry policies of the exit pipeline's activities, in one place.

Every policy has a maximum interval. What a policy retries is only what retrying may fix: a
failure the data causes (validation, integrity, overflow, a refusal for good) is
non-retryable from the worker's ``FailureInterceptor`` (activities/failures.py), and then
waits as a stuck step for operations (workflows/stuck_steps.py). A retryable failure that
lasts is logged and counted at every tenth attempt (``exitflow_activity_failing_long``).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
"""The record is what everything else stands on: retried until the database is back.

Unbounded in attempts on purpose (a database outage must not lose an event); the
interceptor's report at every tenth attempt is its alert.
"""

LAST_SEEN_TIMEOUT = timedelta(seconds=10)
"""One primary-key read of the session's row (``read_last_seen``, a local activity)."""

HRIS_TIMEOUT = timedelta(seconds=15)
HRIS_DEADLINE = timedelta(days=3)
HRIS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
"""The contract's delivery promise: growing delays for up to three days.

Capped at five minutes so that an HR system back from an outage is caught up within
minutes, not left waiting out a half-hour backoff (seen in the chaos run).
"""

MESSAGE_TIMEOUT = timedelta(seconds=30)
MESSAGE_DEADLINE = timedelta(days=1)
MESSAGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
"""Email and SMS: a message that is a day late is still worth sending, later than that not."""
