"""What each candidate message says, in both locales; pure code, no server."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from activities.email import reason_label, render_candidate_email, render_candidate_sms
from activities.email.mime import message_id
from activities.email.templates import RenderedEmail
from contract.codes import EventType, TerminationReason, WithdrawReason
from contract.events import SessionEvent
from contract.sessions import Locale
from tests.activities.email.events import candidate_event
from tests.fixtures.mail import RESUME_URL_BASE

CANDIDATE_TYPES = [
    EventType.SUSPENDED,
    EventType.RESUME_REMINDER,
    EventType.WITHDRAWN,
    EventType.TERMINATED,
    EventType.EXPIRED,
]
_HAN = re.compile(r"[\u4e00-\u9fff]")


def render(event: SessionEvent) -> RenderedEmail:
    return render_candidate_email(event, resume_url_base=RESUME_URL_BASE)


def visible_text(page: str) -> str:
    """The HTML part's words, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("type", CANDIDATE_TYPES)
def test_every_message_names_candidate_and_job_in_both_parts(type: EventType, locale: Locale):
    """Each candidate email greets the candidate by name and names the job in text and HTML."""
    event = candidate_event(type, locale=locale)
    email = render(event)
    for part in (email.text, visible_text(email.html)):
        assert event.session.candidate.name in part
        assert event.session.job.title in part
    assert event.session.job.title in email.subject


@pytest.mark.parametrize("type", CANDIDATE_TYPES)
def test_language_follows_candidate_locale(type: EventType):
    """A zh-CN candidate reads Chinese and an en candidate reads no Chinese at all."""
    zh = render(candidate_event(type, locale="zh-CN"))
    en = render(candidate_event(type, locale="en"))
    assert _HAN.search(zh.subject) and _HAN.search(zh.text)
    assert '<html lang="zh-CN">' in zh.html
    assert not _HAN.search(en.subject + en.text + en.html)
    assert '<html lang="en">' in en.html


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("type", CANDIDATE_TYPES)
def test_text_and_html_say_the_same(type: EventType, locale: Locale):
    """Every line of the text part appears in the HTML part's words."""
    email = render(candidate_event(type, locale=locale))
    # Layout differs (a fact row is a table row, a bullet a list item): compare the words.
    squash = re.compile(r"[\s:：•]+")
    words = squash.sub("", visible_text(email.html))
    for line in email.text.splitlines():
        if line.strip() != "--":
            assert squash.sub("", line) in words, line


def test_fault_email_apologises_and_gives_link_and_beijing_deadline():
    """A zh-CN fault email apologises, lists saved stages, links with the token, shows the
    deadline in Beijing time."""
    event = candidate_event(EventType.SUSPENDED, locale="zh-CN")
    assert event.session.suspension is not None
    email = render(event)
    url = (
        f"{RESUME_URL_BASE}?session_id={event.session.session_id}"
        f"&token={event.session.suspension.resume_token}"
    )
    assert "抱歉" in email.text and "网络连接中断" in email.text
    assert "自我介绍：1 段作答" in email.text and "技能测试：1 段作答" in email.text
    assert url in email.text
    assert f'href="{html.escape(url)}"' in email.html
    # 2024-05-11 09:01 UTC is 17:01 on a Saturday in Beijing.
    assert "2024年5月11日（星期六）17:01（北京时间，UTC+8）" in email.text


def test_abandoned_session_email_says_contact_was_lost():
    """An abandoned (heartbeat timeout) session is explained as a lost page, not a fault."""
    email = render(candidate_event(EventType.SUSPENDED, abandoned=True))
    assert "lost contact with your interview page" in email.text
    assert "Saturday, 11 May 2024, 09:01 UTC" in email.text


def test_resume_link_is_url_encoded():
    """Session ids and tokens with reserved characters survive the round trip of the link."""
    event = candidate_event(EventType.SUSPENDED, session_id="s:42.a")
    assert event.session.suspension is not None
    token = "a+b/c=d&e"
    suspension = event.session.suspension.model_copy(update={"resume_token": token})
    event = event.model_copy(
        update={"session": event.session.model_copy(update={"suspension": suspension})}
    )
    link = next(line for line in render(event).text.splitlines() if line.startswith("https://"))
    query = parse_qs(urlsplit(link).query)
    assert query == {"session_id": ["s:42.a"], "token": [token]}


def test_resume_base_with_query_keeps_it():
    """A resume page that already has a query string gets the parameters appended."""
    event = candidate_event(EventType.RESUME_REMINDER)
    text = render_candidate_email(event, resume_url_base="https://x.test/r?lang=en").text
    assert f"https://x.test/r?lang=en&session_id={event.session.session_id}&token=" in text


def test_reminder_says_how_long_is_left():
    """The reminder states the time left and the deadline again."""
    email = render(candidate_event(EventType.RESUME_REMINDER))
    assert "closes in about 2 hours, at Friday, 10 May 2024, 11:01 UTC" in email.text
    assert "Resume my interview" in email.html


def test_withdrawal_confirms_with_thanks_reference_and_reason():
    """A withdrawal confirmation thanks, gives the reference number and the reason in words."""
    event = candidate_event(EventType.WITHDRAWN, locale="zh-CN")
    assert event.exit is not None
    email = render(event)
    assert "感谢" in email.text
    assert f"参考编号：{event.exit.exit_id}" in email.text
    assert "退出原因：岗位要求与个人情况不匹配" in email.text
    assert "欢迎随时重新申请" in email.text


def test_withdrawal_without_reapply_says_so():
    """When the policy forbids re-applying, the confirmation does not invite it."""
    email = render(candidate_event(EventType.WITHDRAWN, can_reapply=False))
    assert "can't be reopened" in email.text
    assert "welcome to apply again" not in email.text


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_termination_quotes_the_notice_verbatim(locale: Locale):
    """The employer's notice appears word for word in the text and escaped in the HTML."""
    notice = 'Answers were read from "notes" <off-screen> & repeated.\nSecond line stays.'
    event = candidate_event(EventType.TERMINATED, locale=locale)
    assert event.exit is not None
    event = event.model_copy(update={"exit": event.exit.model_copy(update={"notice_text": notice})})
    email = render(event)
    assert notice in email.text
    assert html.escape(notice) in email.html
    assert "<off-screen>" not in email.html


@pytest.mark.parametrize(
    ("can_reapply", "invited"), [(True, True), (False, False)], ids=["reapply", "closed"]
)
def test_expiry_invites_back_only_when_reapplying_is_allowed(can_reapply: bool, invited: bool):
    """An expiry keeps the work saved and invites the candidate back only if allowed."""
    en = render(candidate_event(EventType.EXPIRED, can_reapply=can_reapply))
    zh = render(candidate_event(EventType.EXPIRED, locale="zh-CN", can_reapply=can_reapply))
    assert "remains saved" in en.text and "仍会保存" in zh.text
    assert ("warmly invited to apply again" in en.text) is invited
    assert ("欢迎重新申请" in zh.text) is invited


def test_candidate_name_with_markup_is_escaped():
    """A name like ``<script>`` is shown as text in HTML, never as markup."""
    name = '<script>alert("x")</script> O\'Brien & Co'
    for type in CANDIDATE_TYPES:
        email = render(candidate_event(type, name=name))
        assert "<script>" not in email.html
        assert html.escape(name) in email.html
        assert name in email.text


def test_event_that_is_not_for_the_candidate_is_refused():
    """Rendering a started event is a programming error, reported as ValueError."""
    with pytest.raises(ValueError, match="not an event the candidate"):
        render(candidate_event(EventType.STARTED))


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_every_reason_code_has_words(locale: Locale):
    """Every withdrawal and termination code has its own wording in both languages."""
    for kind, codes in (("withdrawn", WithdrawReason), ("terminated", TerminationReason)):
        labels = {reason_label(kind, code, locale=locale) for code in codes}
        assert len(labels) == len(codes)
        assert not labels & {str(code) for code in codes}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_fault_sms_carries_link_and_deadline(locale: Locale):
    """The fault text message is short and carries the resume link and deadline."""
    event = candidate_event(EventType.SUSPENDED, locale=locale)
    assert event.session.suspension is not None
    text = render_candidate_sms(event, resume_url_base=RESUME_URL_BASE)
    assert event.session.suspension.resume_token in text
    assert ("5月11日 17:01（北京时间）" if locale == "zh-CN" else "11 May 09:01 UTC") in text
    assert len(text) < 250


def test_message_id_derives_from_event_id_and_sender_domain():
    """The Message-ID is the event id at the sender's domain, made valid if it must be."""
    mail_from = "招聘团队 <no-reply@Jobs.Example.com>"
    assert message_id("ev-1", mail_from=mail_from) == "<ev-1@Jobs.Example.com>"
    assert message_id("s:1@x", mail_from=mail_from) == "<s-1-x@Jobs.Example.com>"
    assert message_id("ev-1", mail_from="no-reply@a.test") == "<ev-1@a.test>"
