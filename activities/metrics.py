"""Counters the activities add to the worker's metrics, once per outcome they reach.

They go through ``activity.metric_meter()``, so they reach the worker's Prometheus
endpoint (``EXITFLOW_METRICS_BIND``) beside the SDK's own metrics, carrying the
activity's namespace, task queue and type; without a metrics runtime they are no-ops.
"""

from __future__ import annotations

from temporalio import activity

EXITS = "exitflow_exits"
WEBHOOK_DELIVERIES = "exitflow_webhook_deliveries"
EMAIL_SENDS = "exitflow_email_sends"
PERMANENT_FAILURES = "exitflow_activity_permanent_failures"
FAILING_LONG = "exitflow_activity_failing_long"

_DESCRIPTIONS = {
    EXITS: "Session exits recorded, by exit kind.",
    WEBHOOK_DELIVERIES: "HR webhook delivery attempts, by outcome.",
    EMAIL_SENDS: "Candidate email attempts, by outcome.",
    PERMANENT_FAILURES: "Activities failed for good by their data, by activity and failure type.",
    FAILING_LONG: "Retryable activity failures at every tenth attempt, by activity.",
}


def count(name: str, **labels: str) -> None:
    """Add one to counter ``name`` with ``labels``, from inside a running activity."""
    counter = activity.metric_meter().create_counter(name, _DESCRIPTIONS[name])
    counter.add(1, labels)


def count_exit(kind: str) -> None:
    """One more exit of ``kind`` (``withdrawn``, ``system_fault``, ...)."""
    count(EXITS, kind=kind)


def count_webhook(outcome: str) -> None:
    """One more HR webhook attempt that ended in ``outcome``."""
    count(WEBHOOK_DELIVERIES, outcome=outcome)


def count_email(outcome: str) -> None:
    """One more candidate email attempt that ended in ``outcome``."""
    count(EMAIL_SENDS, outcome=outcome)


def count_permanent_failure(activity_type: str, failure_type: str) -> None:
    """One more activity that failed for good (``invalid_data``, ``integrity``, ...)."""
    count(PERMANENT_FAILURES, activity=activity_type, failure_type=failure_type)


def count_failing_long(activity_type: str) -> None:
    """One more activity whose retries passed another ``ALERT_AFTER_ATTEMPTS``."""
    count(FAILING_LONG, activity=activity_type)
