"""The stand-in resume and contest pages of the embedded stack, over the real dev server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from devstack.mailbox import Mailbox
from starter.api import create_app
from starter.candidate_pages._html import when
from store import Store
from tests.fixtures.api import serving
from tests.fixtures.contest import TERMINATION, link_token
from tests.starter.api.helpers import HR, KEYS, PLATFORM, started

_SEGMENTS = [
    {"stage": "self_intro", "segment_id": "seg-intro", "kind": "video", "video_seconds": 95},
    {
        "stage": "skill_test",
        "segment_id": "seg-skill",
        "kind": "assessment",
        "questions_answered": 10,
        "questions_correct": 7,
    },
]
_HOSTILE = '<script>alert("x")</script> & I was reading my <b>own</b> notes.'


@pytest.fixture
def page_settings(pipeline_settings: Settings) -> Settings:
    """Settings with API keys and a resume token secret, as ``exitflow up`` has them."""
    keys = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    secret = SecretStr(f"pages-{uuid.uuid4().hex}")
    return pipeline_settings.model_copy(
        update={"api_keys": SecretStr(keys), "resume_token_secret": secret}
    )


@pytest.fixture
def pages_app(
    dev_env: WorkflowEnvironment, page_settings: Settings, task_queue: str, store: Store
) -> FastAPI:
    """The API app with the candidate pages opted in."""
    return create_app(
        page_settings,
        client=dev_env.client,
        store=store,
        task_queue=task_queue,
        candidate_pages=True,
    )


@pytest.fixture
async def web(
    dev_env: WorkflowEnvironment, pages_app: FastAPI, page_settings: Settings, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client on ``pages_app``, with a worker that signs the emailed tokens."""
    async with serving(
        dev_env.client, pages_app, page_settings, task_queue, base_url="http://localhost:8000"
    ) as client:
        yield client


async def _suspended(web: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A session with two saved segments in two stages, then a fault: its id and the ack."""
    sid = (await started(web))["session_id"]
    for segment in _SEGMENTS:
        saved = await web.post(f"/v1/sessions/{sid}/progress", json=segment, headers=PLATFORM)
        assert saved.status_code == 200, saved.text
    fault = await web.post(f"/v1/sessions/{sid}/fault", json={"cause": "network"}, headers=PLATFORM)
    assert fault.status_code == 202, fault.text
    return sid, dict(fault.json())


async def _terminated(
    web: httpx.AsyncClient, mailbox: Mailbox, explanation: str
) -> tuple[str, str]:
    """A terminated session: its id and the token of the termination email's contest link."""
    sid = (await started(web))["session_id"]
    terminate = TERMINATION.model_copy(update={"explanation": explanation})
    response = await web.post(
        f"/v1/sessions/{sid}/terminate", json=terminate.model_dump(mode="json"), headers=HR
    )
    assert response.status_code == 200, response.text
    return sid, await link_token(mailbox, sid, "interview.terminated")


async def _view(web: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    response = await web.get(f"/v1/sessions/{sid}", headers=HR)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


async def test_the_resume_page_shows_the_saved_work_and_the_deadline(
    web: httpx.AsyncClient,
) -> None:
    """The link of the fault email opens a page with each stage's segments, the deadline, a form."""
    sid, ack = await _suspended(web)

    page = await web.get("/resume", params={"session_id": sid, "token": ack["resume_token"]})

    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "stands in for the interview platform" in html
    assert "<h3>self_intro</h3>" in html and "<h3>skill_test</h3>" in html
    assert "seg-intro</code>: video answer of 95 s" in html
    assert "seg-skill</code>: assessment, 10 questions answered, 7 correct" in html
    assert when(datetime.fromisoformat(ack["resume_deadline"])) in html
    assert '<form method="post" action="/resume">' in html
    assert f'value="{ack["resume_token"]}"' in html and "Resume my interview" in html


async def test_the_resume_form_restores_every_segment(web: httpx.AsyncClient) -> None:
    """Posting the form resumes the session as the API does; every segment is back."""
    sid, ack = await _suspended(web)

    page = await web.post("/resume", data={"session_id": sid, "token": ack["resume_token"]})

    assert page.status_code == 200, page.text
    assert "<strong>active</strong>" in page.text and "seg-skill" in page.text
    view = await _view(web, sid)
    assert view["status"] == "active"
    assert [s["segment_id"] for s in view["completed_segments"]] == ["seg-intro", "seg-skill"]


async def test_a_tampered_token_is_refused_and_changes_nothing(web: httpx.AsyncClient) -> None:
    """A changed character is refused on the page and by the form; the session stays suspended."""
    sid, ack = await _suspended(web)
    form = {"session_id": sid, "token": _tampered(ack["resume_token"])}

    shown = await web.get("/resume", params=form)
    posted = await web.post("/resume", data=form)

    for page in (shown, posted):
        assert page.status_code == 404, page.text
        assert "This link does not work" in page.text and "seg-intro" not in page.text
    view = await _view(web, sid)
    assert (view["status"], len(view["exits"])) == ("suspended", 1)


async def test_a_closed_resume_window_is_410(web: httpx.AsyncClient, pages_app: FastAPI) -> None:
    """Past the token's deadline the form is refused with 410 and nothing changes."""
    sid, ack = await _suspended(web)
    late = datetime.fromisoformat(ack["resume_deadline"]) + timedelta(seconds=1)
    pages_app.state.api.clock = lambda: late

    page = await web.post("/resume", data={"session_id": sid, "token": ack["resume_token"]})

    assert page.status_code == 410, page.text
    assert "The time to resume is over" in page.text
    assert (await _view(web, sid))["status"] == "suspended"


async def test_an_ended_session_is_409(web: httpx.AsyncClient) -> None:
    """After a withdrawal the page offers nothing to resume and the form is refused with 409."""
    sid, ack = await _suspended(web)
    quit_ = await web.post(
        f"/v1/sessions/{sid}/withdraw", json={"reason_code": "lost_interest"}, headers=PLATFORM
    )
    assert quit_.status_code == 200, quit_.text
    form = {"session_id": sid, "token": ack["resume_token"]}

    shown = await web.get("/resume", params=form)
    posted = await web.post("/resume", data=form)

    assert shown.status_code == 200 and "Nothing to resume" in shown.text
    assert "<form" not in shown.text
    assert posted.status_code == 409, posted.text
    assert "This interview has ended" in posted.text and "withdrawn" in posted.text
    assert (await _view(web, sid))["status"] == "withdrawn"


async def test_a_missing_or_unusable_field_is_400_naming_it(web: httpx.AsyncClient) -> None:
    """Each page names the field a link or form lacks; an unknown session is a bad link."""
    only_token = await web.get("/resume", params={"token": "x.y"})
    empty_token = await web.get("/contest", params={"session_id": "s-1", "token": ""})
    bad_id = await web.post("/resume", data={"session_id": "<s>", "token": "x.y"})
    no_statement = await web.post("/contest", data={"session_id": "s-1", "token": "x.y"})
    unknown = await web.get("/resume", params={"session_id": "s-nobody", "token": "x.y"})

    for page, field in (
        (only_token, "session_id"),
        (empty_token, "token"),
        (bad_id, "session_id"),
        (no_statement, "statement"),
    ):
        assert page.status_code == 400, page.text
        assert f"The {field} is missing or wrong" in page.text
    assert "<s>" not in bad_id.text
    assert unknown.status_code == 404 and "This link does not work" in unknown.text


async def test_the_contest_pages_file_a_contest_with_every_text_escaped(
    web: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """The termination email's link shows the reason; the form files the statement, escaped."""
    explanation = "Answers were read <b>aloud</b> from another screen during the skill test."
    sid, token = await _terminated(web, mailbox, explanation)

    shown = await web.get("/contest", params={"session_id": sid, "token": token})
    filed = await web.post(
        "/contest", data={"session_id": sid, "token": token, "statement": _HOSTILE}
    )
    again = await web.get("/contest", params={"session_id": sid, "token": token})
    twice = await web.post(
        "/contest", data={"session_id": sid, "token": token, "statement": "Again."}
    )

    assert shown.status_code == 200, shown.text
    assert "read &lt;b&gt;aloud&lt;/b&gt; from" in shown.text and "<b>aloud" not in shown.text
    assert (
        'name="statement"' in shown.text and '<form method="post" action="/contest">' in shown.text
    )
    assert filed.status_code == 200, filed.text
    for page in (filed, again):
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; I was" in page.text
        assert "<script>" not in page.text and "<b>own" not in page.text
    assert "Already contested" in again.text and "<form" not in again.text
    assert twice.status_code == 409 and "Already contested" in twice.text
    contest = (await _view(web, sid))["contest"]["contest"]
    assert (contest["statement"], contest["status"]) == (_HOSTILE, "open")
    assert contest["contest_id"] in filed.text


async def test_a_tampered_contest_token_is_refused(
    web: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """A changed contest token shows nothing of the session and files no contest."""
    sid, token = await _terminated(web, mailbox, TERMINATION.explanation)
    form = {"session_id": sid, "token": _tampered(token), "statement": "Let me explain."}

    shown = await web.get("/contest", params=form)
    posted = await web.post("/contest", data=form)

    for page in (shown, posted):
        assert page.status_code == 404, page.text
        assert "This link does not work" in page.text and TERMINATION.explanation not in page.text
    assert (await _view(web, sid))["contest"]["contest"] is None


async def test_the_pages_are_served_only_when_opted_in_and_never_documented(
    dev_env: WorkflowEnvironment, page_settings: Settings, store: Store, pages_app: FastAPI
) -> None:
    """The production app answers 404 for the pages; neither app lists them in OpenAPI."""
    production = create_app(page_settings, client=dev_env.client, store=store)
    query = {"session_id": "s-1", "token": "x.y"}

    for app in (production, pages_app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            paths = (await client.get("/openapi.json")).json()["paths"]
            assert not {"/resume", "/contest"} & paths.keys()
            if app is production:
                assert (await client.get("/resume", params=query)).status_code == 404
                assert (await client.post("/contest", data=query)).status_code == 404
    unsigned = page_settings.model_copy(update={"resume_token_secret": None})
    with pytest.raises(ValueError, match="RESUME_TOKEN_SECRET"):
        create_app(unsigned, client=dev_env.client, store=store, candidate_pages=True)


def _record_calls(
    monkeypatch: pytest.MonkeyPatch, target: object, names: tuple[str, ...], calls: list[str]
) -> None:
    """Note in ``calls`` each call of ``target``'s async methods ``names``."""
    for name in names:
        original = getattr(target, name)

        async def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return await _original(*args, **kw)

        monkeypatch.setattr(target, name, spy)


async def test_an_unknown_session_and_a_bad_link_get_the_same_page(
    web: httpx.AsyncClient, pages_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: "no such session" and "bad link" answer alike, asking neither Temporal nor
    the store, so that the pages never tell whether a session exists."""
    sid, ack = await _suspended(web)
    token = ack["resume_token"]
    calls: list[str] = []
    api = pages_app.state.api
    _record_calls(monkeypatch, api.sessions, ("status", "resume", "contest"), calls)
    _record_calls(monkeypatch, api.store, ("get_session", "is_anonymised"), calls)
    links = [
        {"session_id": f"s-nobody-{uuid.uuid4().hex[:8]}", "token": token},
        {"session_id": f"s-nobody-{uuid.uuid4().hex[:8]}", "token": "x.y"},
        {"session_id": sid, "token": _tampered(token)},
        {"session_id": sid, "token": "x.y"},
    ]

    for path in ("/resume", "/contest"):
        answers = []
        for link in links:
            form = {**link, "statement": "Let me explain."}
            answers.append(await web.get(path, params=link))
            answers.append(await web.post(path, data=form))
        assert {(page.status_code, page.text) for page in answers[::2]} == {
            (answers[0].status_code, answers[0].text)
        }
        assert {(page.status_code, page.text) for page in answers[1::2]} == {
            (answers[1].status_code, answers[1].text)
        }
        assert answers[0].status_code == 404 and "This link does not work" in answers[0].text
    assert calls == []
    assert (await _view(web, sid))["status"] == "suspended"


async def test_a_link_used_too_often_gets_429_and_other_links_do_not(
    web: httpx.AsyncClient, pages_app: FastAPI
) -> None:
    """finding 10: past 10 requests a minute one link (session and client) is 429 with
    Retry-After; another session, or the same session from another client, is not."""
    link = {"session_id": "s-limited", "token": "x.y"}

    answers = [(await web.get("/resume", params=link)).status_code for _ in range(10)]
    refused = [await web.post("/resume", data=link), await web.get("/contest", params=link)]
    other_session = await web.get("/resume", params={**link, "session_id": "s-other"})
    transport = httpx.ASGITransport(app=pages_app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as other:
        other_client = await other.get("/resume", params=link)

    assert answers == [404] * 10
    for page in refused:
        assert page.status_code == 429, page.text
        assert 1 <= int(page.headers["Retry-After"]) <= 60
        assert "Too many attempts" in page.text and page.headers["Cache-Control"] == "no-store"
    assert other_session.status_code == 404 and other_client.status_code == 404


async def test_the_links_table_stays_bounded(
    dev_env: WorkflowEnvironment, page_settings: Settings, store: Store
) -> None:
    """finding 10: a client rotating session ids keeps at most the configured number of buckets."""
    settings = page_settings.model_copy(update={"rate_limit_table_size": 50})
    app = create_app(settings, client=dev_env.client, store=store, candidate_pages=True)
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        for n in range(300):
            page = await client.get("/resume", params={"session_id": f"s-{n}", "token": "x.y"})
            assert page.status_code == 404

    assert len(app.state.rate_limits.links) == 50
