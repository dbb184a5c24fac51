"""English copy of the candidate messages; times are shown in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from activities.email._context import MessageContext, humanize, rounded_minutes
from activities.email._document import Action, Block, Bullets, Facts, Letter, Notice, Paragraph
from contract.codes import EventType, ExitKind
from contract.sessions import ExitRecord

STAGES = {
    "self_intro": "Self-introduction",
    "skill_test": "Skill test",
    "scenario_simulation": "Scenario simulation",
}

WITHDRAW_REASONS = {
    "personal_emergency": "A personal emergency",
    "lost_interest": "No longer interested in the position",
    "salary_expectation": "Salary expectations don't match",
    "process_too_long": "The hiring process is taking too long",
    "accepted_other_offer": "Accepted another offer",
    "job_requirements": "The job requirements aren't the right fit",
    "technical_discomfort": "Not comfortable with the AI video interview format",
    "other": "Other",
}

FAULT_CAUSES = {
    "network": "the network connection dropped",
    "device": "your device ran into a problem",
    "browser": "your browser ran into a problem",
    "media_permission": "the camera or microphone stopped being available",
    "server": "something went wrong on our side",
    "other": "of a technical problem",
}

TERMINATION_REASONS = {
    "resume_misrepresentation": "Information in the application could not be confirmed",
    "answer_misconduct": "The interview rules were not followed",
    "position_filled": "The position has been filled",
    "not_qualified": "The role's essential requirements are not met",
    "duplicate_application": "Duplicate application",
    "other": "Other",
}

_MONTHS = "January February March April May June July August September October November December"
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_SIGN_OFF = ("Kind regards,", "The Recruiting Team")


def format_time(moment: datetime) -> str:
    """E.g. ``Saturday, 11 May 2024, 09:30 UTC``."""
    day, month = _DAYS.split()[moment.weekday()], _MONTHS.split()[moment.month - 1]
    return f"{day}, {moment.day} {month} {moment.year}, {moment:%H:%M} UTC"


def short_time(moment: datetime) -> str:
    """E.g. ``11 May 09:30 UTC``, for subjects and SMS."""
    return f"{moment.day} {_MONTHS.split()[moment.month - 1][:3]} {moment:%H:%M} UTC"


def _duration(left: timedelta) -> str:
    minutes = rounded_minutes(left)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {round(minutes / 60)} hours"


def _answers(count: int) -> str:
    return f"{count} answer{'s' if count != 1 else ''}"


def _saved_work(ctx: MessageContext, intro: str) -> list[Block]:
    if not ctx.saved_by_stage:
        return [Paragraph("You hadn't completed any answers yet, so nothing is lost.")]
    items = tuple(
        f"{STAGES.get(stage) or humanize(stage)}: {_answers(count)}"
        for stage, count in ctx.saved_by_stage
    )
    return [Paragraph(intro.format(answers=_answers(ctx.saved_total))), Bullets(items)]


def _letter(ctx: MessageContext, subject: str, blocks: list[Block]) -> Letter:
    return Letter(
        lang="en",
        subject=subject,
        greeting=f"Dear {ctx.name},",
        blocks=tuple(blocks),
        sign_off=_SIGN_OFF,
        footer=(f"Reference: {ctx.reference}", f"Interview session: {ctx.session_id}"),
    )


def suspended(ctx: MessageContext) -> Letter:
    """A fault or a silent page interrupted the interview; the work waits for the candidate."""
    url, deadline = ctx.window()
    if ctx.exit and ctx.exit.kind is ExitKind.SYSTEM_FAULT:
        cause = (ctx.exit.fault.cause if ctx.exit.fault else None) or "other"
        opening = (
            f"We're sorry: your interview for the {ctx.job_title} position was interrupted "
            f"because {FAULT_CAUSES.get(cause, FAULT_CAUSES['other'])}. "
            "This isn't the experience we wanted for you."
        )
    else:
        opening = (
            f"Your interview for the {ctx.job_title} position stopped partway through: we lost "
            "contact with your interview page. We're sorry if something went wrong."
        )
    return _letter(
        ctx,
        f"Your {ctx.job_title} interview was interrupted – your answers are saved",
        [
            Paragraph(opening),
            *_saved_work(ctx, "Nothing you completed is lost: {answers} saved, by stage:"),
            Paragraph(
                "You can pick up right where you left off. Please resume before "
                f"{format_time(deadline)}; after that the link stops working."
            ),
            Action("Resume my interview", url),
            Paragraph(
                "Before you resume, it may help to check your internet connection and allow "
                "camera and microphone access in your browser. If the button doesn't work, "
                "copy the address above into your browser."
            ),
        ],
    )


def resume_reminder(ctx: MessageContext) -> Letter:
    """The resume window closes soon."""
    url, deadline = ctx.window()
    left = ctx.time_left or timedelta(0)
    return _letter(
        ctx,
        f"Reminder: resume your {ctx.job_title} interview by {short_time(deadline)}",
        [
            Paragraph(
                f"A friendly reminder: your interview for the {ctx.job_title} position is still "
                f"paused, and the time to resume it closes in {_duration(left)}, "
                f"at {format_time(deadline)}."
            ),
            *_saved_work(ctx, "Your work is saved and waiting for you ({answers}):"),
            Action("Resume my interview", url),
            Paragraph("After the deadline this interview can no longer be resumed."),
        ],
    )


def withdrawn(ctx: MessageContext) -> Letter:
    """Confirms the candidate's decision to quit, with thanks."""
    exit_ = ctx.require_exit()
    rows = [
        ("Reference number", exit_.exit_id),
        ("Withdrawn at", format_time(ctx.occurred_at)),
        ("Reason given", WITHDRAW_REASONS.get(exit_.reason_code, humanize(exit_.reason_code))),
    ]
    if exit_.comment:
        rows.append(("Your note", exit_.comment))
    reapply = (
        f"If you'd like to be considered for the {ctx.job_title} position in the future, "
        "you're very welcome to apply again."
        if ctx.can_reapply
        else "This application is now closed and can't be reopened, but we'd be glad to "
        "see you apply for other roles with us."
    )
    return _letter(
        ctx,
        f"Confirmed: you've withdrawn from the {ctx.job_title} interview",
        [
            Paragraph(
                f"Thank you for taking the time to interview for the {ctx.job_title} position. "
                "We've received your decision to withdraw, and this email confirms it."
            ),
            Facts(tuple(rows)),
            Paragraph(reapply),
            Paragraph("Thank you again for your interest, and we wish you all the best."),
        ],
    )


def termination_reason(exit_: ExitRecord) -> str:
    """The wording of a termination's reason code (the code itself, readable, if unknown)."""
    return TERMINATION_REASONS.get(exit_.reason_code, humanize(exit_.reason_code))


def terminated(ctx: MessageContext) -> Letter:
    """The employer ended the interview; the stated reason is quoted exactly."""
    exit_ = ctx.require_exit()
    reason = termination_reason(exit_)
    return _letter(
        ctx,
        f"About your {ctx.job_title} interview",
        [
            Paragraph(
                f"Thank you for interviewing for the {ctx.job_title} position, and for the time "
                "and effort you put into it."
            ),
            Paragraph(
                "The employer has decided to end this interview. This is the explanation they gave:"
            ),
            Notice(exit_.notice_text or exit_.explanation or reason),
            Facts(
                (
                    ("Reason", reason),
                    ("Reference number", exit_.exit_id),
                    ("Ended at", format_time(ctx.occurred_at)),
                )
            ),
            *_contest_offer(ctx),
            Paragraph(
                "If you have any questions, please contact your recruiter and quote the "
                "reference number above. We wish you every success in your search."
            ),
        ],
    )


def _contest_offer(ctx: MessageContext) -> list[Block]:
    if ctx.contest_url is None or ctx.contest_deadline is None:
        return []
    return [
        Paragraph(
            "If you believe this decision is wrong, you can contest it until "
            f"{format_time(ctx.contest_deadline)}. Tell us why in your own words: the hiring "
            "team will review it with the full record of your interview and email you the "
            "outcome."
        ),
        Action("Contest this decision", ctx.contest_url),
    ]


def expired(ctx: MessageContext) -> Letter:
    """The resume window closed; the saved work stays on record."""
    closed_at = format_time(ctx.resume_deadline or ctx.occurred_at)
    invite = (
        Paragraph(
            f"We'd still love to hear from you. If you're interested in the {ctx.job_title} "
            "position, you're warmly invited to apply again and start a new interview."
        )
        if ctx.can_reapply
        else Paragraph(
            f"We're sorry this interview couldn't be completed. Thank you for your interest in "
            f"the {ctx.job_title} position, and we hope to see you apply for other roles."
        )
    )
    return _letter(
        ctx,
        f"Your {ctx.job_title} interview can no longer be resumed",
        [
            Paragraph(
                f"The time to resume your interview for the {ctx.job_title} position ended at "
                f"{closed_at}, so this interview is now closed."
            ),
            *_saved_work(ctx, "Everything you completed remains saved on record ({answers}):"),
            invite,
        ],
    )


LETTERS: dict[EventType, Callable[[MessageContext], Letter]] = {
    EventType.SUSPENDED: suspended,
    EventType.RESUME_REMINDER: resume_reminder,
    EventType.WITHDRAWN: withdrawn,
    EventType.TERMINATED: terminated,
    EventType.EXPIRED: expired,
}
