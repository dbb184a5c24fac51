"""Contesting a termination end to end: real dev server, database, SMTP and HR inbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from contract.codes import ContestStatus, ErrorCode, SessionStatus
from contract.sessions import ResumeInput, SegmentInput, StartSession
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from store import Store
from store.tables import AuditRow
from tests.fixtures.contest import (
    EXPLANATIONS,
    STATEMENT,
    TERMINATION,
    contest_input,
    decision,
    email_text,
    final_view,
)
from tests.fixtures.contest import link_token as _link_token
from tests.fixtures.mail import plain_text
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id


async def _terminated(sessions: SessionClient, mailbox: Mailbox, **policy: Any) -> tuple[str, str]:
    """A session with two saved segments, terminated; its id and the emailed contest token."""
    body = session_body(downstream_in=None, **policy)
    await sessions.start(body)
    for stage, segment_id in (("self_intro", "seg-1"), ("skill_test", "seg-2")):
        segment = SegmentInput(stage=stage, segment_id=segment_id, kind="video", video_seconds=60)
        await sessions.progress(body.session_id, segment)
    await sessions.terminate(body.session_id, TERMINATION)
    return body.session_id, await _link_token(mailbox, body.session_id, "interview.terminated")


async def test_upheld_contest_tells_the_candidate_is_audited_and_closes_the_session(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """A contest reaches HR with the full record; upheld, the candidate is told and it closes."""
    sid, token = await _terminated(sessions, mailbox)

    receipt = await sessions.contest(sid, contest_input(token))

    assert (receipt.status, receipt.session_status) == ("open", "terminated")
    assert "review" in receipt.message
    contested = await hris_inbox.wait_for(lambda d: d.type == "termination.contested")
    assert contested.data["contest"]["statement"] == STATEMENT
    page = await store.contests.list_tasks(status=ContestStatus.OPEN)
    [task] = [task for task in page.items if task.contest.session_id == sid]
    assert task.contest.statement == STATEMENT
    assert task.termination is not None and task.termination.notice_text
    assert task.session is not None
    assert [s.segment_id for s in task.session.completed_segments] == ["seg-1", "seg-2"]

    decided = await sessions.decide_contest(sid, decision(receipt.contest_id, "upheld"))

    assert (decided.status, decided.session_status) == ("upheld", "terminated")
    final = await final_view(dev_env, sid)
    assert final.status is SessionStatus.TERMINATED
    assert final.contest is not None and final.contest.contest is not None
    assert final.contest.contest.status is ContestStatus.UPHELD
    await hris_inbox.wait_for(lambda d: d.type == "termination.upheld")
    assert STATEMENT in email_text(mailbox, sid, "termination.contested")
    assert EXPLANATIONS["upheld"] in email_text(mailbox, sid, "termination.upheld")
    async with store.engine.connect() as conn:
        bodies = (
            await conn.execute(
                select(AuditRow.type, AuditRow.body)
                .where(AuditRow.session_id == sid)
                .order_by(AuditRow.id)
            )
        ).all()
    audited = {row.type: json.loads(row.body) for row in bodies}
    assert audited["termination.upheld"]["contest"]["status"] == "upheld"
    assert audited["termination.upheld"]["contest"]["decided_by"]["id"] == "hr-9"
    assert "contest_deadline" in audited["interview.terminated"]
    assert (await store.verify_audit_chain()).ok
    assert (await store.contests.list_tasks(status=ContestStatus.UPHELD)).items[
        0
    ].contest.status == ("upheld")


async def test_overturned_contest_lets_the_candidate_resume_with_every_segment(
    sessions: SessionClient, dev_env: WorkflowEnvironment, mailbox: Mailbox, store: Store
) -> None:
    """An overturn suspends the session again; the emailed link resumes it with all its work."""
    sid, token = await _terminated(sessions, mailbox, resume_window_hours=6)
    receipt = await sessions.contest(sid, contest_input(token))

    decided = await sessions.decide_contest(sid, decision(receipt.contest_id, "overturned"))

    assert (decided.status, decided.session_status) == ("overturned", "suspended")
    assert decided.resume_deadline is not None
    suspended = await sessions.status(sid)
    assert (suspended.status, suspended.exit) == ("suspended", None)
    resume_token = await _link_token(mailbox, sid, "termination.overturned")
    assert "apologise" in email_text(mailbox, sid, "termination.overturned")
    view = await sessions.resume(sid, ResumeInput(resume_token=resume_token))
    assert view.status is SessionStatus.ACTIVE
    assert [s.segment_id for s in view.completed_segments] == ["seg-1", "seg-2"]
    await sessions.complete(sid)
    final = await final_view(dev_env, sid)
    assert final.status is SessionStatus.COMPLETED
    assert [e.kind for e in final.exits] == ["terminated"]
    stored = await store.contests.list_tasks(status=ContestStatus.OVERTURNED)
    assert [task.contest.session_id for task in stored.items] == [sid]
    assert (await store.verify_audit_chain()).ok


async def _refused(handle: WorkflowHandle[Any, Any], name: str, payload: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(name, payload)
    assert isinstance(caught.value.cause, ApplicationError)
    return caught.value.cause


async def _accepted_updates(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for event in history.events if event.event_type == accepted)


async def test_refused_contests_and_decisions_leave_no_trace(
    sessions: SessionClient, dev_env: WorkflowEnvironment, mailbox: Mailbox
) -> None:
    """A wrong token, a second contest, a bad statement or a stale decision is refused."""
    sid, token = await _terminated(sessions, mailbox)
    handle = dev_env.client.get_workflow_handle(session_workflow_id(sid))
    before = await _accepted_updates(handle)

    wrong = await _refused(handle, "contest", {"contest_token": "guessed", "statement": "Unfair."})
    empty = await _refused(handle, "contest", {"contest_token": token, "statement": ""})
    long = await _refused(handle, "contest", {"contest_token": token, "statement": "x" * 4001})
    early = await _refused(handle, "decide_contest", decision("nothing-yet", "upheld"))

    assert wrong.type == ErrorCode.INVALID_CONTEST_TOKEN
    assert [e.type for e in (empty, long)] == [ErrorCode.INVALID_FIELD] * 2
    assert empty.details[0]["fields"][0]["field"] == "statement"
    assert early.type == ErrorCode.NO_OPEN_CONTEST
    assert await _accepted_updates(handle) == before
    first = await sessions.contest(sid, contest_input(token))
    again = await _refused(handle, "contest", contest_input(token, "Second thoughts."))
    stale = await _refused(handle, "decide_contest", decision("another-contest", "overturned"))
    assert again.type == ErrorCode.ALREADY_CONTESTED
    assert again.details[0]["contest_id"] == first.contest_id
    assert stale.type == ErrorCode.NO_OPEN_CONTEST
    await sessions.decide_contest(sid, decision(first.contest_id, "upheld"))
    with pytest.raises(SessionRefused) as twice:
        await sessions.decide_contest(sid, decision(first.contest_id, "overturned"))
    assert twice.value.code == ErrorCode.NO_OPEN_CONTEST


async def test_only_a_terminated_session_can_be_contested(
    sessions: SessionClient, dev_env: WorkflowEnvironment
) -> None:
    """Contesting a running session is a conflict, not a contest."""
    body: StartSession = session_body(downstream_in=None)
    await sessions.start(body)

    with pytest.raises(SessionRefused) as caught:
        await sessions.contest(body.session_id, contest_input("any-token"))

    assert caught.value.code == ErrorCode.SESSION_NOT_TERMINATED
    assert (await sessions.status(body.session_id)).status is SessionStatus.ACTIVE


async def test_without_a_contest_window_the_session_closes_at_termination(
    sessions: SessionClient, dev_env: WorkflowEnvironment, mailbox: Mailbox
) -> None:
    """``contest_window_days: 0`` closes at once, offers no link, and refuses a contest as late."""
    body = session_body(downstream_in=None, contest_window_days=0)
    await sessions.start(body)
    await sessions.terminate(body.session_id, TERMINATION)

    final = await final_view(dev_env, body.session_id)

    assert (final.status, final.contest) == ("terminated", None)
    [email] = await mailbox.wait_for(lambda m: m.messages)
    assert "token=" not in plain_text(email)
    with pytest.raises(SessionRefused) as caught:
        await sessions.contest(body.session_id, contest_input("any-token"))
    assert caught.value.code == ErrorCode.CONTEST_WINDOW_CLOSED
