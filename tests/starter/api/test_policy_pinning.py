"""Issue 16: a session runs under its job's exit policy version current at its start."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from sessions.start import stored_start
from tests.starter.api.helpers import HR, PLATFORM, start_body

ACTOR = {"id": "hr-3", "name": "Dana Whitfield"}
SENIOR = {
    "resume_window_hours": 48,
    "reminders_before_deadline_hours": [6, 2],
    "channels": ["sms"],
    "contest_window_days": 14,
    "job_ids": ["job-senior"],
}


def _for_senior(**policy: Any) -> dict[str, Any]:
    body = start_body()
    body["job"]["id"] = "job-senior"
    body["policy"] = policy
    return body


async def _start(api: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await api.post("/v1/sessions", json=body, headers=PLATFORM)


async def test_a_session_pins_its_jobs_policy_and_the_body_overrides_field_by_field(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """The job's policy gives the window, the longest reminder inside it, the channels and
    the contest window; a field the body sets wins; the version is pinned in the input."""
    assert (
        await api.put("/v1/policies/senior", json={"actor": ACTOR, **SENIOR}, headers=HR)
    ).status_code == 201
    body = _for_senior(heartbeat_timeout_seconds=3600, channels=["email"])

    assert (await _start(api, body)).status_code == 201

    stored = await stored_start(dev_env.client, body["session_id"])
    assert stored is not None and stored.pinned_policy is not None
    assert (stored.pinned_policy.policy_id, stored.pinned_policy.version) == ("senior", 1)
    policy = stored.policy
    assert (policy.resume_window_hours, policy.reminder_before_deadline_hours) == (48, 6)
    assert (policy.channels, policy.contest_window_days) == (["email"], 14)
    assert policy.heartbeat_timeout_seconds == 3600


async def test_a_policy_changed_later_reaches_new_sessions_only(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """After a new version, the same start body again is still the same session (200, not
    409: it is compared under the version it pinned), and a new session gets the new one."""
    await api.put("/v1/policies/senior", json={"actor": ACTOR, **SENIOR}, headers=HR)
    early = _for_senior(heartbeat_timeout_seconds=3600)
    assert (await _start(api, early)).status_code == 201
    changed = {"actor": ACTOR, "resume_window_hours": 72}
    assert (await api.put("/v1/policies/senior", json=changed, headers=HR)).status_code == 201

    again = await _start(api, early)
    late = _for_senior(heartbeat_timeout_seconds=3600)
    assert (await _start(api, late)).status_code == 201

    assert again.status_code == 200, again.text
    before = await stored_start(dev_env.client, early["session_id"])
    after = await stored_start(dev_env.client, late["session_id"])
    assert before is not None and after is not None
    assert [before.policy.resume_window_hours, after.policy.resume_window_hours] == [48, 72]
    assert before.pinned_policy is not None and after.pinned_policy is not None
    assert [before.pinned_policy.version, after.pinned_policy.version] == [1, 2]


async def test_a_body_that_does_not_fit_its_jobs_policy_names_the_field(
    api: httpx.AsyncClient,
) -> None:
    """A body window shorter than the policy's only reminder drops the reminder; a body
    reminder longer than the policy's window is 422 naming policy.reminder_before_deadline_hours."""
    await api.put("/v1/policies/senior", json={"actor": ACTOR, **SENIOR}, headers=HR)

    short_window = await _start(api, _for_senior(resume_window_hours=1))
    long_reminder = await _start(api, _for_senior(reminder_before_deadline_hours=50))

    assert short_window.status_code == 201, short_window.text
    assert long_reminder.status_code == 422
    fields = [f["field"] for f in long_reminder.json()["error"]["details"]["fields"]]
    assert fields == ["policy.reminder_before_deadline_hours"]
