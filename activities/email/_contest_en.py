"""English copy of the contest messages: contest received, termination upheld or overturned."""

from __future__ import annotations

from collections.abc import Callable

from activities.email._context import MessageContext
from activities.email._document import Action, Facts, Letter, Notice, Paragraph
from activities.email._en import _letter, _saved_work, format_time
from contract.codes import DownstreamKind, EventType
from contract.sessions import Contest


def _contest(ctx: MessageContext) -> Contest:
    if ctx.contest is None:
        raise ValueError(f"event of session {ctx.session_id} carries no contest")
    return ctx.contest


def contested(ctx: MessageContext) -> Letter:
    """The contest arrived and is on its way to the hiring team; their words are quoted."""
    contest = _contest(ctx)
    return _letter(
        ctx,
        f"We've received your contest of the decision on your {ctx.job_title} interview",
        [
            Paragraph(
                "Thank you for telling us why you believe the decision to end your interview "
                f"for the {ctx.job_title} position was wrong. We have passed your contest, "
                "with the full record of your interview, to the hiring team for review."
            ),
            Paragraph("What you wrote:"),
            Notice(contest.statement),
            Facts(
                (
                    ("Contest reference", contest.contest_id),
                    ("Received at", format_time(ctx.occurred_at)),
                )
            ),
            Paragraph(
                "You will hear from us by email as soon as the review is decided. You don't "
                "need to do anything else in the meantime."
            ),
        ],
    )


def upheld(ctx: MessageContext) -> Letter:
    """The review upheld the termination; HR's explanation is quoted exactly."""
    contest = _contest(ctx)
    closing = (
        f"You are welcome to apply for the {ctx.job_title} position again in the future."
        if ctx.can_reapply
        else "We hope to see you apply for other roles with us."
    )
    return _letter(
        ctx,
        f"The outcome of your contest about the {ctx.job_title} interview",
        [
            Paragraph(
                "Thank you for your patience while the hiring team reviewed your contest of "
                f"the decision to end your interview for the {ctx.job_title} position."
            ),
            Paragraph(
                "After reviewing your statement together with the full record of your "
                "interview, they have decided that the decision stands. This is their "
                "explanation:"
            ),
            Notice(contest.decision_explanation or ""),
            Facts(
                (
                    ("Contest reference", contest.contest_id),
                    ("Decided at", format_time(ctx.occurred_at)),
                )
            ),
            Paragraph(f"We're sorry this isn't the outcome you hoped for. {closing}"),
        ],
    )


def overturned(ctx: MessageContext) -> Letter:
    """The review overturned the termination: an apology, the saved work, the resume link."""
    contest = _contest(ctx)
    url, deadline = ctx.window()
    return _letter(
        ctx,
        f"Your {ctx.job_title} interview is reopened – you can continue",
        [
            Paragraph(
                "The hiring team has reviewed your contest and agrees with you: your interview "
                f"for the {ctx.job_title} position should not have been ended. We apologise "
                "for the mistake and for the worry it caused. This is their explanation:"
            ),
            Notice(contest.decision_explanation or ""),
            *_saved_work(ctx, "Nothing you completed is lost: {answers} saved, by stage:"),
            Paragraph(
                "You can continue right where you left off. Please resume before "
                f"{format_time(deadline)}; after that the link stops working."
            ),
            Action("Continue my interview", url),
            *_called_off(ctx),
        ],
    )


_STEP_NAMES = {
    DownstreamKind.ASSESSMENT: "assessment",
    DownstreamKind.WRITTEN_TEST: "written test",
    DownstreamKind.ONSITE_INTERVIEW: "onsite interview",
    DownstreamKind.OTHER: "next step",
}


def _called_off(ctx: MessageContext) -> list[Paragraph]:
    """The steps the termination called off, which are back on."""
    if not ctx.called_off:
        return []
    steps = "; ".join(
        f"your {_STEP_NAMES[kind]} on {format_time(at)}" for kind, at in ctx.called_off
    )
    return [
        Paragraph(
            f"What the decision called off is back on as planned: {steps}. If its date has "
            "already passed, the invitation comes to you right away."
        )
    ]


LETTERS: dict[EventType, Callable[[MessageContext], Letter]] = {
    EventType.TERMINATION_CONTESTED: contested,
    EventType.TERMINATION_UPHELD: upheld,
    EventType.TERMINATION_OVERTURNED: overturned,
}
