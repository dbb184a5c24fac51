"""Candidate emails and text messages: pure functions of an event, no I/O.

Each message does one job for the candidate (contract section 5): a fault apologises and
gives the resume link and deadline, a reminder repeats them, a withdrawal is confirmed with
thanks, a termination gives the employer's notice word for word (and how to contest it),
an expiry invites the candidate back when the policy allows; a contest is acknowledged, and
HR's decision on it explained. Copy lives in one module per locale (contests in their own).
"""

from __future__ import annotations

from activities.email import _contest_en, _contest_zh, _en, _zh
from activities.email._context import MessageContext, build_context
from activities.email._document import Letter, RenderedEmail, render
from activities.email._sms import sms_en, sms_zh
from contract.events import SessionEvent

__all__ = [
    "RenderedEmail",
    "reason_label",
    "render_candidate_email",
    "render_candidate_sms",
]

_LETTERS = {"zh-CN": _zh.LETTERS | _contest_zh.LETTERS, "en": _en.LETTERS | _contest_en.LETTERS}
_SMS = {"zh-CN": sms_zh, "en": sms_en}
_REASONS = {
    "zh-CN": {"withdrawn": _zh.WITHDRAW_REASONS, "terminated": _zh.TERMINATION_REASONS},
    "en": {"withdrawn": _en.WITHDRAW_REASONS, "terminated": _en.TERMINATION_REASONS},
}


def _context(
    event: SessionEvent,
    resume_url_base: str,
    resume_token_secret: bytes | None,
    contest_url_base: str | None = None,
) -> MessageContext:
    if not event.type.emails_candidate:
        raise ValueError(f"{event.type} is not an event the candidate is told about")
    return build_context(
        event,
        resume_url_base=resume_url_base,
        resume_token_secret=resume_token_secret,
        contest_url_base=contest_url_base,
    )


def render_candidate_email(
    event: SessionEvent,
    *,
    resume_url_base: str,
    resume_token_secret: bytes | None = None,
    contest_url_base: str | None = None,
) -> RenderedEmail:
    """Write the email that tells the candidate about one event, in their locale.

    Args:
        event: A ``suspended``, ``withdrawn``, ``terminated``, ``expired``,
            ``resume_reminder`` or ``termination.*`` event.
        resume_url_base: The candidate-facing resume page; the session id and resume token
            are added as query parameters.
        resume_token_secret: When set, the link carries the signed resume token (the one
            ``POST /v1/sessions/{id}/fault`` returns), else the workflow's raw token; the
            contest link likewise.
        contest_url_base: The candidate-facing page to contest a termination; without it
            a termination email offers no contest link.

    Returns:
        Subject, plain text and HTML that say the same thing; every value taken from the
        event is HTML-escaped in the HTML part.

    Raises:
        ValueError: The event is not one the candidate is told about, or lacks what its
            message must state (a resume window, an exit record).
    """
    context = _context(event, resume_url_base, resume_token_secret, contest_url_base)
    letter: Letter = _LETTERS[event.session.candidate.locale][event.type](context)
    return render(letter)


def render_candidate_sms(
    event: SessionEvent,
    *,
    resume_url_base: str,
    resume_token_secret: bytes | None = None,
    contest_url_base: str | None = None,
) -> str:
    """Write the short text message for one event, in the candidate's locale.

    A termination's message gives the reason's label and, with ``contest_url_base``, the
    contest link: a candidate reached by SMS alone learns why and can contest.

    Raises:
        ValueError: As for ``render_candidate_email``.
    """
    context = _context(event, resume_url_base, resume_token_secret, contest_url_base)
    return _SMS[event.session.candidate.locale](event.type, context)


def reason_label(kind: str, code: str, *, locale: str) -> str:
    """A person's wording of a ``withdrawn`` or ``terminated`` reason code.

    Args:
        kind: The exit kind the code belongs to.
        code: The reason code.
        locale: ``zh-CN`` or ``en``.

    Returns:
        The localized wording; an unknown kind or code comes back unchanged so that a
        caller never loses information.
    """
    return _REASONS.get(locale, _REASONS["en"]).get(kind, {}).get(code, code)
