"""Simplified Chinese copy of the contest messages: received, upheld, overturned."""

from __future__ import annotations

from collections.abc import Callable

from activities.email._context import MessageContext
from activities.email._document import Action, Facts, Letter, Notice, Paragraph
from activities.email._zh import _letter, _saved_work, format_time
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
        f"我们已收到您对「{ctx.job_title}」面试结果的申诉",
        [
            Paragraph(
                f"感谢您告诉我们，您为何认为终止「{ctx.job_title}」职位面试的决定有误。"
                "我们已将您的申诉连同完整的面试记录转交招聘团队复核。"
            ),
            Paragraph("您提交的申诉内容："),
            Notice(contest.statement),
            Facts(
                (
                    ("申诉编号", contest.contest_id),
                    ("收到时间", format_time(ctx.occurred_at)),
                )
            ),
            Paragraph("复核结果出来后，我们会第一时间通过邮件通知您，在此期间您无需进行其他操作。"),
        ],
    )


def upheld(ctx: MessageContext) -> Letter:
    """The review upheld the termination; HR's explanation is quoted exactly."""
    contest = _contest(ctx)
    closing = (
        f"今后欢迎您再次申请「{ctx.job_title}」职位。"
        if ctx.can_reapply
        else "也欢迎您留意我们今后发布的其他职位。"
    )
    return _letter(
        ctx,
        f"关于您「{ctx.job_title}」面试申诉的复核结果",
        [
            Paragraph(
                f"感谢您耐心等待。招聘团队已复核您对终止「{ctx.job_title}」职位面试决定的申诉。"
            ),
            Paragraph("经结合您的申诉内容和完整的面试记录审慎复核，原决定维持不变。说明如下："),
            Notice(contest.decision_explanation or ""),
            Facts(
                (
                    ("申诉编号", contest.contest_id),
                    ("复核时间", format_time(ctx.occurred_at)),
                )
            ),
            Paragraph(f"很抱歉这不是您期待的结果。{closing}"),
        ],
    )


def overturned(ctx: MessageContext) -> Letter:
    """The review overturned the termination: an apology, the saved work, the resume link."""
    contest = _contest(ctx)
    url, deadline = ctx.window()
    return _letter(
        ctx,
        f"您的「{ctx.job_title}」面试已恢复，可以继续进行",
        [
            Paragraph(
                f"招聘团队已复核您的申诉，认同您的意见：「{ctx.job_title}」职位的面试不应被终止。"
                "对于这一失误以及给您带来的困扰，我们深表歉意。说明如下："
            ),
            Notice(contest.decision_explanation or ""),
            *_saved_work(ctx, "您已完成的 {total} 段作答均完好保存："),
            Paragraph(
                f"您可以从中断的地方继续面试，请在{format_time(deadline)}之前继续，"
                "超过该时间后链接将失效。"
            ),
            Action("继续面试", url),
            *_called_off(ctx),
        ],
    )


_STEP_NAMES = {
    DownstreamKind.ASSESSMENT: "测评",
    DownstreamKind.WRITTEN_TEST: "笔试",
    DownstreamKind.ONSITE_INTERVIEW: "现场面试",
    DownstreamKind.OTHER: "后续环节",
}


def _called_off(ctx: MessageContext) -> list[Paragraph]:
    """The steps the termination called off, which are back on."""
    if not ctx.called_off:
        return []
    steps = "；".join(f"{format_time(at)}的{_STEP_NAMES[kind]}" for kind, at in ctx.called_off)
    return [
        Paragraph(
            f"因终止而取消的后续安排已按原计划恢复：{steps}。如原定时间已过，我们会立即向您发出邀请。"
        )
    ]


LETTERS: dict[EventType, Callable[[MessageContext], Letter]] = {
    EventType.TERMINATION_CONTESTED: contested,
    EventType.TERMINATION_UPHELD: upheld,
    EventType.TERMINATION_OVERTURNED: overturned,
}
