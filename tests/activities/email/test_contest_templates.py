"""What the contest messages say, in both locales, text and HTML; pure code, no server."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from activities.email import render_candidate_email, render_candidate_sms
from activities.email.templates import RenderedEmail
from contract.codes import (
    ContestStatus,
    DownstreamKind,
    DownstreamStatus,
    EventType,
    SessionStatus,
)
from contract.events import ContestWindow, SessionEvent, Suspension
from contract.sessions import Actor, Contest, DownstreamView, Locale
from links.contest import open_contest_token
from tests.activities.email.events import candidate_event
from tests.fixtures.mail import RESUME_URL_BASE

CONTEST_URL_BASE = "https://interviews.example.com/contest"
SECRET = b"a-test-secret-of-reasonable-length"
STATEMENT = "I only looked at my own notes, as the instructions allowed."
EXPLANATION = "Two reviewers watched the whole recording and found no second screen."
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _render(event: SessionEvent, secret: bytes | None = None) -> RenderedEmail:
    return render_candidate_email(
        event,
        resume_url_base=RESUME_URL_BASE,
        resume_token_secret=secret,
        contest_url_base=CONTEST_URL_BASE,
    )


def _both_parts(email: RenderedEmail) -> list[str]:
    return [email.text, html.unescape(re.sub(r"<[^>]+>", " ", email.html))]


def _terminated(locale: Locale = "en") -> SessionEvent:
    event = candidate_event(EventType.TERMINATED, locale=locale)
    assert event.exit is not None
    window = ContestWindow(
        exit_id=event.exit.exit_id,
        opened_at=event.at,
        deadline=event.at + timedelta(days=30),
        contest_token="raw-contest-token",
    )
    session = event.session.model_copy(update={"contest_window": window})
    return event.model_copy(update={"session": session})


def _contest_event(type_: EventType, locale: Locale = "en") -> SessionEvent:
    terminated = _terminated(locale)
    assert terminated.exit is not None
    status = {
        EventType.TERMINATION_CONTESTED: ContestStatus.OPEN,
        EventType.TERMINATION_UPHELD: ContestStatus.UPHELD,
        EventType.TERMINATION_OVERTURNED: ContestStatus.OVERTURNED,
    }[type_]
    at = terminated.at + timedelta(days=3)
    contest = Contest(
        contest_id="ct-1",
        exit_id=terminated.exit.exit_id,
        statement=STATEMENT,
        contested_at=terminated.at + timedelta(days=1),
        status=status,
        decided_at=None if status is ContestStatus.OPEN else at,
        decided_by=None if status is ContestStatus.OPEN else Actor(id="hr-9", name="Lee"),
        decision_explanation=None if status is ContestStatus.OPEN else EXPLANATION,
    )
    session = terminated.session
    if status is ContestStatus.OVERTURNED:
        suspension = Suspension(
            suspension_id="sp-2",
            exit_id=terminated.exit.exit_id,
            suspended_at=at,
            resume_deadline=at + timedelta(hours=24),
            resume_token="raw-resume-token",
        )
        session = session.model_copy(
            update={"status": SessionStatus.SUSPENDED, "suspension": suspension}
        )
    return terminated.model_copy(
        update={"type": type_, "at": at, "exit": None, "contest": contest, "session": session}
    )


def test_the_termination_email_offers_a_signed_contest_link_and_its_deadline() -> None:
    """The link carries a contest token for this session and termination; the deadline shows."""
    event = _terminated()
    email = _render(event, SECRET)

    for part in _both_parts(email):
        assert "Contest this decision" in part
        assert "Sunday, 9 June 2024, 09:01 UTC" in part, "30 days after the termination, in UTC"
    [link] = [word for word in email.text.split() if word.startswith(CONTEST_URL_BASE)]
    query = parse_qs(urlsplit(link).query)
    assert query["session_id"] == [event.session.session_id]
    opened = open_contest_token(
        SECRET, query["token"][0], session_id=event.session.session_id, now=event.at
    )
    assert (opened.raw_token, opened.exit_id) == ("raw-contest-token", event.exit.exit_id)  # type: ignore[union-attr]


def test_without_a_window_the_termination_email_offers_no_contest() -> None:
    """A session that allows no contest keeps the termination email as it was."""
    email = _render(candidate_event(EventType.TERMINATED))
    assert CONTEST_URL_BASE not in email.text and "contest" not in email.text.lower()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize(
    "type_",
    [
        EventType.TERMINATION_CONTESTED,
        EventType.TERMINATION_UPHELD,
        EventType.TERMINATION_OVERTURNED,
    ],
)
def test_each_contest_message_names_candidate_job_and_contest_in_its_language(
    type_: EventType, locale: Locale
) -> None:
    """Both parts greet the candidate, name the job and the contest, in the candidate's locale."""
    event = _contest_event(type_, locale)
    email = _render(event)

    for part in _both_parts(email):
        assert event.session.candidate.name in part
        assert event.session.job.title in part
    assert event.session.job.title in email.subject
    assert bool(_HAN.search(email.subject + email.text)) is (locale == "zh-CN")
    assert render_candidate_sms(event, resume_url_base=RESUME_URL_BASE)


def test_the_contest_receipt_quotes_the_statement() -> None:
    """The acknowledgement quotes what the candidate wrote and gives the contest reference."""
    for part in _both_parts(_render(_contest_event(EventType.TERMINATION_CONTESTED))):
        assert STATEMENT in part and "ct-1" in part


def test_an_upheld_contest_gives_hrs_explanation() -> None:
    """The outcome says the decision stands and quotes HR's explanation exactly."""
    for part in _both_parts(_render(_contest_event(EventType.TERMINATION_UPHELD))):
        assert "decision stands" in part and EXPLANATION in part


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_termination_sms_gives_the_reason_and_the_contest_link(locale: Locale) -> None:
    """A candidate reached by SMS alone learns why, and gets the signed contest link."""
    event = _terminated(locale)

    text = render_candidate_sms(
        event,
        resume_url_base=RESUME_URL_BASE,
        resume_token_secret=SECRET,
        contest_url_base=CONTEST_URL_BASE,
    )
    without_base = render_candidate_sms(event, resume_url_base=RESUME_URL_BASE)

    reason = (
        "作答过程未遵守面试规则" if locale == "zh-CN" else "The interview rules were not followed"
    )
    assert reason in text and reason in without_base
    [link] = [word for word in re.split(r"[\s：]", text) if word.startswith(CONTEST_URL_BASE)]
    query = parse_qs(urlsplit(link).query)
    assert query["session_id"] == [event.session.session_id]
    assert event.exit is not None
    opened = open_contest_token(
        SECRET, query["token"][0], session_id=event.session.session_id, now=event.at
    )
    assert (opened.raw_token, opened.exit_id) == ("raw-contest-token", event.exit.exit_id)
    assert ("6月9日" if locale == "zh-CN" else "9 Jun") in text, "the window's deadline"
    assert CONTEST_URL_BASE not in without_base


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_an_overturn_says_the_called_off_steps_are_back_on(locale: Locale) -> None:
    """The written test the termination cancelled is named, with its time, in both parts."""
    event = _contest_event(EventType.TERMINATION_OVERTURNED, locale)
    step = DownstreamView(
        step_id="wt-1",
        kind=DownstreamKind.WRITTEN_TEST,
        scheduled_at=datetime(2024, 5, 14, 9, tzinfo=UTC),
        status=DownstreamStatus.CANCELLED,
    )
    called_off = event.model_copy(
        update={"session": event.session.model_copy(update={"downstream": [step]})}
    )

    with_step, without = _render(called_off), _render(event)

    expected = "written test on" if locale == "en" else "的笔试"
    for part in _both_parts(with_step):
        assert expected in part
    assert not any(expected in part for part in _both_parts(without))


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_an_overturn_apologises_and_links_back_into_the_interview(locale: Locale) -> None:
    """The overturn apologises, lists the saved work and gives the resume link and deadline."""
    event = _contest_event(EventType.TERMINATION_OVERTURNED, locale)
    email = _render(event)

    assert ("apologise" if locale == "en" else "歉意") in email.text
    assert "token=raw-resume-token" in email.text
    assert "Self-introduction" in email.text or "自我介绍" in email.text
    assert ("Continue my interview" if locale == "en" else "继续面试") in _both_parts(email)[1]
