"""Exit policies (``Store.policies``), versioned and audited, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import ValidationError

from contract.policies import ExitPolicyFields
from contract.sessions import Actor, SessionPolicy
from store import PolicyConflict, Store
from store.policies import POLICY_SAVED
from tests.store.helpers import fetch

_HR = Actor(id="hr-3", name="Dana Whitfield", verified=False)


def _fields(**values: object) -> ExitPolicyFields:
    return ExitPolicyFields.model_validate(values)


async def test_default_version_1_holds_todays_session_defaults(store: Store) -> None:
    """A fresh store has ``default`` version 1 by ``system``, with SessionPolicy's defaults."""
    default = await store.policies.get("default")
    today = SessionPolicy()

    assert default is not None
    assert (default.version, default.author.id, default.author.verified) == (1, "system", True)
    assert default.fields.resume_window_hours == today.resume_window_hours
    assert default.fields.heartbeat_timeout_seconds == today.heartbeat_timeout_seconds
    assert default.fields.reminders_before_deadline_hours == [today.reminder_before_deadline_hours]
    assert default.fields.channels == today.channels
    assert default.fields.can_reapply is today.can_reapply
    assert default.fields.contest_window_days == today.contest_window_days
    assert default.fields.job_ids == ["*"]
    assert [policy.policy_id for policy in await store.policies.list()] == ["default"]


async def test_a_change_makes_a_new_version_and_missing_fields_keep_their_value(
    store: Store,
) -> None:
    """Saving one field makes version 2 with that field changed and every other kept."""
    before = await store.policies.get("default")
    saved, made = await store.policies.save("default", _fields(resume_window_hours=48), author=_HR)

    assert before is not None and made
    assert saved.version == 2
    assert saved.fields.resume_window_hours == 48
    assert saved.fields.model_dump(exclude={"resume_window_hours"}) == before.fields.model_dump(
        exclude={"resume_window_hours"}
    )
    assert (saved.author.id, saved.author.name, saved.author.verified) == (
        "hr-3",
        "Dana Whitfield",
        False,
    )


async def test_a_save_that_changes_nothing_returns_the_current_version(store: Store) -> None:
    """Saving the values the policy already has makes no version and no audit entry."""
    first, _ = await store.policies.save("default", _fields(channels=["sms"]), author=_HR)
    again, made = await store.policies.save("default", _fields(channels=["sms"]), author=_HR)
    empty, made_empty = await store.policies.save("default", _fields(), author=_HR)

    assert (made, made_empty) == (False, False)
    assert again == first == empty
    assert len(await fetch(store, "SELECT 1 FROM audit_log WHERE type = 'policy.saved'")) == 1


async def test_each_version_is_audited_without_names_and_the_chain_holds(store: Store) -> None:
    """Each new version writes ``policy.saved`` with id, version, author id, verified and the
    changed field names (no person's name); ``verify_audit_chain`` holds."""
    await store.policies.save("default", _fields(resume_window_hours=48), author=_HR)
    await store.policies.save("senior", _fields(job_ids=["job-cto"], channels=["sms"]), author=_HR)

    rows = await fetch(store, "SELECT body FROM audit_log ORDER BY id")
    bodies = [json.loads(row["body"]) for row in rows]
    verification = await store.verify_audit_chain()

    assert [(b["type"], b["policy_id"], b["version"]) for b in bodies] == [
        (POLICY_SAVED, "default", 2),
        (POLICY_SAVED, "senior", 1),
    ]
    assert bodies[0]["changed"] == ["resume_window_hours"]
    assert bodies[1]["changed"] == ["channels", "job_ids"]
    assert (bodies[0]["author_id"], bodies[0]["author_verified"]) == ("hr-3", False)
    assert "Dana" not in json.dumps(bodies)
    assert verification.ok and verification.events == 2


async def test_a_new_policy_starts_from_the_default_and_serves_its_jobs(store: Store) -> None:
    """A policy naming a job is that job's policy; other jobs get ``default``."""
    await store.policies.save("default", _fields(contest_window_days=10), author=_HR)
    senior, _ = await store.policies.save(
        "senior", _fields(job_ids=["job-cto", "job-vp"], resume_window_hours=48), author=_HR
    )

    assert senior.version == 1
    assert senior.fields.contest_window_days == 10
    assert (await store.policies.current_for_job("job-vp")).policy_id == "senior"
    assert (await store.policies.current_for_job("job-intern")).policy_id == "default"


async def test_a_job_named_by_two_policies_is_refused_at_the_second(store: Store) -> None:
    """A second policy naming a job another policy names is refused; nothing is written."""
    await store.policies.save("senior", _fields(job_ids=["job-cto"]), author=_HR)

    with pytest.raises(PolicyConflict) as refused:
        await store.policies.save("exec", _fields(job_ids=["job-ceo", "job-cto"]), author=_HR)

    assert refused.value.details == {"policy_id": "senior", "job_ids": ["job-cto"]}
    assert await store.policies.get("exec") is None


async def test_two_saves_naming_one_job_at_once_leave_one_policy_for_it(store: Store) -> None:
    """Concurrent saves of two policies naming the same job: exactly one succeeds."""
    results = await asyncio.gather(
        store.policies.save("a", _fields(job_ids=["job-1"]), author=_HR),
        store.policies.save("b", _fields(job_ids=["job-1"]), author=_HR),
        return_exceptions=True,
    )

    assert sorted(type(result).__name__ for result in results) == ["PolicyConflict", "tuple"]


@pytest.mark.parametrize(
    ("policy_id", "values", "field"),
    [
        ("default", {"resume_window_hours": 1}, "reminders_before_deadline_hours"),
        ("default", {"job_ids": ["job-1"]}, "job_ids"),
        ("senior", {"job_ids": ["*"]}, "job_ids"),
        ("Senior.Roles", {}, ""),
    ],
    ids=["window-below-reminder", "default-jobs", "star-elsewhere", "bad-id"],
)
async def test_a_merged_policy_that_breaks_a_rule_is_refused_naming_the_field(
    store: Store, policy_id: str, values: dict[str, object], field: str
) -> None:
    """The merged policy is checked: shrinking the window below a stored reminder names the
    reminders; only the default holds ``*``; the id is bounded. Nothing is written."""
    with pytest.raises(ValidationError) as refused:
        await store.policies.save(policy_id, _fields(**values), author=_HR)

    assert [".".join(map(str, e["loc"])) for e in refused.value.errors()] == [field]
    assert len(await store.policies.list()) == 1
    assert (await store.policies.get("default")).version == 1  # type: ignore[union-attr]


async def test_history_is_newest_first_and_bounded(store: Store) -> None:
    """``history`` lists versions newest first, at most ``limit``, with the count of all."""
    for hours in (30, 36, 42):
        await store.policies.save("default", _fields(resume_window_hours=hours), author=_HR)

    history = await store.policies.history("default", limit=2)
    pinned = await store.policies.version("default", 1)

    assert history is not None and pinned is not None
    assert [policy.version for policy in history.versions] == [4, 3]
    assert (history.current.version, history.version_count) == (4, 4)
    assert pinned.fields.resume_window_hours == 24
    assert await store.policies.history("nobody") is None
