"""Short text messages, one per candidate event and locale: the gist and the one link."""

from __future__ import annotations

from activities.email import _en, _zh
from activities.email._context import MessageContext
from contract.codes import EventType


def sms_zh(kind: EventType, ctx: MessageContext) -> str:
    """The Simplified Chinese text message for one event."""
    head = f"【面试通知】{ctx.name}，您好："
    job = f"「{ctx.job_title}」"
    match kind:
        case EventType.SUSPENDED:
            url, deadline = ctx.window()
            return (
                f"{head}您的{job}面试意外中断，已完成的作答均已保存。"
                f"请在{_zh.short_time(deadline)}前继续：{url}"
            )
        case EventType.RESUME_REMINDER:
            url, deadline = ctx.window()
            return (
                f"{head}提醒您，{job}面试的继续期限将于{_zh.short_time(deadline)}截止，"
                f"您的作答仍为您保存着：{url}"
            )
        case EventType.WITHDRAWN:
            return f"{head}已确认您退出{job}面试，参考编号 {ctx.reference}。感谢您的参与！"
        case EventType.TERMINATED:
            reason = f"原因：{_zh.termination_reason(ctx.require_exit())}。"
            detail = "详细说明已发送至您的邮箱。" if ctx.emails_candidate else ""
            contest = ""
            if ctx.contest_url and ctx.contest_deadline:
                contest = (
                    f"如有异议，可在{_zh.short_time(ctx.contest_deadline)}前查看说明并申诉："
                    f"{ctx.contest_url}"
                )
            return (
                f"{head}您的{job}面试已由用人单位结束。{reason}{detail}"
                f"参考编号 {ctx.reference}。{contest}"
            )
        case EventType.EXPIRED:
            close = "欢迎重新申请该职位。" if ctx.can_reapply else "感谢您的关注。"
            return f"{head}您的{job}面试继续期限已结束，已完成的作答仍会保存。{close}"
        case EventType.TERMINATION_CONTESTED:
            return f"{head}我们已收到您对{job}面试结果的申诉，复核结果将尽快通知您。"
        case EventType.TERMINATION_UPHELD:
            return f"{head}您对{job}面试结果的申诉已复核，原决定维持不变，说明请见邮件。"
        case EventType.TERMINATION_OVERTURNED:
            url, deadline = ctx.window()
            return (
                f"{head}经复核，您的{job}面试已恢复，我们深表歉意。"
                f"请在{_zh.short_time(deadline)}前继续：{url}"
            )
    raise ValueError(f"no candidate message for {kind}")


def sms_en(kind: EventType, ctx: MessageContext) -> str:
    """The English text message for one event."""
    head = f"Hi {ctx.name}, "
    match kind:
        case EventType.SUSPENDED:
            url, deadline = ctx.window()
            return (
                f"{head}your {ctx.job_title} interview was interrupted; your answers are saved. "
                f"Resume by {_en.short_time(deadline)}: {url}"
            )
        case EventType.RESUME_REMINDER:
            url, deadline = ctx.window()
            return (
                f"{head}a reminder that your {ctx.job_title} interview can be resumed until "
                f"{_en.short_time(deadline)}. Your answers are saved: {url}"
            )
        case EventType.WITHDRAWN:
            return (
                f"{head}we've confirmed your withdrawal from the {ctx.job_title} interview "
                f"(ref {ctx.reference}). Thank you for your time."
            )
        case EventType.TERMINATED:
            detail = " The explanation is in our email." if ctx.emails_candidate else ""
            contest = ""
            if ctx.contest_url and ctx.contest_deadline:
                contest = (
                    f" To read why or contest it by {_en.short_time(ctx.contest_deadline)}: "
                    f"{ctx.contest_url}"
                )
            reason = _en.termination_reason(ctx.require_exit())
            return (
                f"{head}the employer has ended your {ctx.job_title} interview "
                f"(ref {ctx.reference}). Reason: {reason}.{detail}{contest}"
            )
        case EventType.EXPIRED:
            close = "You're welcome to apply again." if ctx.can_reapply else "Thank you."
            return (
                f"{head}the time to resume your {ctx.job_title} interview has ended; "
                f"your answers stay saved. {close}"
            )
        case EventType.TERMINATION_CONTESTED:
            return (
                f"{head}we've received your contest about the {ctx.job_title} interview. "
                "We'll tell you the outcome as soon as it is reviewed."
            )
        case EventType.TERMINATION_UPHELD:
            return (
                f"{head}your contest about the {ctx.job_title} interview was reviewed and the "
                "decision stands. The explanation is in our email."
            )
        case EventType.TERMINATION_OVERTURNED:
            url, deadline = ctx.window()
            return (
                f"{head}after review your {ctx.job_title} interview is reopened; we're sorry. "
                f"Resume by {_en.short_time(deadline)}: {url}"
            )
    raise ValueError(f"no candidate message for {kind}")
