"""A session's exit policy: its job's current version, which the start body overrides.

Contract section 10: a session runs under the policy version current when it started (the
job's own, else ``default``); the start body's ``policy`` overrides it field by field. The
version is pinned in the workflow's input (``pinned_policy``), so a later change of the
policy never reaches a session already running, and a repeat of the same start body is
compared against the same version, not the current one.

Applied so far: the resume window, heartbeat timeout, reminder (the longest lead time that
falls inside the window: the session sends one reminder), channels, whether the candidate
may reapply, and the contest window. Channels per event, downstream cancellation and the
exit-risk fields are carried by the policy and wait for the workflow to use them.
"""

from __future__ import annotations

from typing import Any

from contract.policies import ExitPolicy
from contract.sessions import PolicyRef, SessionPolicy, StartSession


def pinned(body: StartSession, policy: ExitPolicy) -> StartSession:
    """``body`` under ``policy``: the policy's fields, then the fields the body set.

    Raises:
        pydantic.ValidationError: When the two together break a rule of ``SessionPolicy``
            (named as in the body).
    """
    sent = body.policy.model_dump(mode="json", include=body.policy.model_fields_set)
    fields = policy.fields
    merged: dict[str, Any] = {
        name: value
        for name, value in (
            ("resume_window_hours", fields.resume_window_hours),
            ("heartbeat_timeout_seconds", fields.heartbeat_timeout_seconds),
            ("channels", fields.channels),
            ("can_reapply", fields.can_reapply),
            ("contest_window_days", fields.contest_window_days),
        )
        if value is not None
    }
    merged |= sent
    reminders = fields.reminders_before_deadline_hours
    if "reminder_before_deadline_hours" not in sent and reminders is not None:
        window = merged.get("resume_window_hours", SessionPolicy().resume_window_hours)
        merged["reminder_before_deadline_hours"] = max(
            (lead for lead in reminders if lead < window), default=0
        )
    return body.model_copy(
        update={
            "policy": SessionPolicy.model_validate(merged),
            "pinned_policy": PolicyRef(policy_id=policy.policy_id, version=policy.version),
        }
    )
