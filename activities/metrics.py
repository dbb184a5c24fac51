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

_DESCRIPTIONS = {
    EXITS: "Session exits recorded, by exit kind.",
    WEBHOOK_DELIVERIES: "HR webhook delivery attempts, by outcome.",
    EMAIL_SENDS: "Candidate email attempts, by outcome.",
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
