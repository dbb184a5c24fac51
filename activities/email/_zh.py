"""Simplified Chinese copy of the candidate messages; times are shown in Beijing time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from activities.email._context import MessageContext, humanize, rounded_minutes
from activities.email._document import Action, Block, Bullets, Facts, Letter, Notice, Paragraph
from contract.codes import EventType, ExitKind
from contract.sessions import ExitRecord

STAGES = {
    "self_intro": "自我介绍",
    "skill_test": "技能测试",
    "scenario_simulation": "情景模拟",
}

WITHDRAW_REASONS = {
    "personal_emergency": "个人紧急情况",
    "lost_interest": "对该职位不再感兴趣",
    "salary_expectation": "薪资期望不匹配",
    "process_too_long": "招聘流程耗时过长",
    "accepted_other_offer": "已接受其他工作机会",
    "job_requirements": "岗位要求与个人情况不匹配",
    "technical_discomfort": "不太适应 AI 视频面试的形式",
    "other": "其他原因",
}

FAULT_CAUSES = {
    "network": "网络连接中断",
    "device": "设备出现异常",
    "browser": "浏览器出现异常",
    "media_permission": "摄像头或麦克风无法使用",
    "server": "我们的系统出现故障",
    "other": "技术故障",
}

TERMINATION_REASONS = {
    "resume_misrepresentation": "简历信息未能核实",
    "answer_misconduct": "作答过程未遵守面试规则",
    "position_filled": "该职位已招满",
    "not_qualified": "未达到该职位的基本要求",
    "duplicate_application": "重复申请",
    "other": "其他原因",
}

_WEEKDAYS = "一二三四五六日"
_SIGN_OFF = ("招聘团队 敬上",)


def format_time(moment: datetime) -> str:
    """E.g. ``2024年5月11日（星期六）17:30（北京时间，UTC+8）``."""
    return (
        f"{moment.year}年{moment.month}月{moment.day}日（星期{_WEEKDAYS[moment.weekday()]}）"
        f"{moment:%H:%M}（北京时间，UTC+8）"
    )


def short_time(moment: datetime) -> str:
    """E.g. ``5月11日 17:30（北京时间）``, for subjects and SMS."""
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}（北京时间）"


def _duration(left: timedelta) -> str:
    minutes = rounded_minutes(left)
    return f"约 {minutes} 分钟" if minutes < 90 else f"约 {round(minutes / 60)} 小时"


def _saved_work(ctx: MessageContext, intro: str) -> list[Block]:
    if not ctx.saved_by_stage:
        return [Paragraph("本次面试您尚未完成任何作答，因此没有内容丢失。")]
    items = tuple(
        f"{STAGES.get(stage) or humanize(stage)}：{count} 段作答"
        for stage, count in ctx.saved_by_stage
    )
    return [Paragraph(intro.format(total=ctx.saved_total)), Bullets(items)]


def _letter(ctx: MessageContext, subject: str, blocks: list[Block]) -> Letter:
    return Letter(
        lang="zh-CN",
        subject=subject,
        greeting=f"{ctx.name}，您好：",
        blocks=tuple(blocks),
        sign_off=_SIGN_OFF,
        footer=(f"参考编号：{ctx.reference}", f"面试编号：{ctx.session_id}"),
        colon="：",
    )


def suspended(ctx: MessageContext) -> Letter:
    """A fault or a silent page interrupted the interview; the work waits for the candidate."""
    url, deadline = ctx.window()
    if ctx.exit and ctx.exit.kind is ExitKind.SYSTEM_FAULT:
        cause = (ctx.exit.fault.cause if ctx.exit.fault else None) or "other"
        opening = (
            f"非常抱歉，您在「{ctx.job_title}」职位的面试因"
            f"{FAULT_CAUSES.get(cause, FAULT_CAUSES['other'])}被迫中止，"
            "给您带来了不便，我们深表歉意。"
        )
    else:
        opening = (
            f"您在「{ctx.job_title}」职位的面试页面有一段时间没有响应，面试因此暂停。"
            "如果您遇到了什么问题，我们深表歉意。"
        )
    return _letter(
        ctx,
        f"您的「{ctx.job_title}」面试意外中断，已完成的作答均已保存",
        [
            Paragraph(opening),
            *_saved_work(ctx, "请放心，您已完成的 {total} 段作答都已妥善保存："),
            Paragraph(
                f"您可以从中断的地方继续面试，请在{format_time(deadline)}之前继续，"
                "超过该时间后链接将失效。"
            ),
            Action("继续面试", url),
            Paragraph(
                "继续之前，建议您先检查网络连接，并在浏览器中允许使用摄像头和麦克风。"
                "如果按钮无法打开，请将上面的链接复制到浏览器中访问。"
            ),
        ],
    )


def resume_reminder(ctx: MessageContext) -> Letter:
    """The resume window closes soon."""
    url, deadline = ctx.window()
    left = ctx.time_left or timedelta(0)
    return _letter(
        ctx,
        f"提醒：您的「{ctx.job_title}」面试请在{short_time(deadline)}前继续",
        [
            Paragraph(
                f"温馨提醒：您在「{ctx.job_title}」职位的面试仍处于暂停状态，继续面试的时间"
                f"还剩{_duration(left)}，将于{format_time(deadline)}截止。"
            ),
            *_saved_work(ctx, "您已完成的 {total} 段作答仍为您保存着："),
            Action("继续面试", url),
            Paragraph("截止时间过后，本次面试将无法继续。"),
        ],
    )


def withdrawn(ctx: MessageContext) -> Letter:
    """Confirms the candidate's decision to quit, with thanks."""
    exit_ = ctx.require_exit()
    rows = [
        ("参考编号", exit_.exit_id),
        ("退出时间", format_time(ctx.occurred_at)),
        ("退出原因", WITHDRAW_REASONS.get(exit_.reason_code, humanize(exit_.reason_code))),
    ]
    if exit_.comment:
        rows.append(("您的补充说明", exit_.comment))
    reapply = (
        f"如果今后您仍对「{ctx.job_title}」职位感兴趣，欢迎随时重新申请。"
        if ctx.can_reapply
        else "根据该职位的招聘安排，本次申请已经结束，无法再次申请；"
        "我们仍期待今后在其他职位上与您相遇。"
    )
    return _letter(
        ctx,
        f"已确认：您已退出「{ctx.job_title}」职位的面试",
        [
            Paragraph(
                f"感谢您抽出时间参加「{ctx.job_title}」职位的面试。我们已收到您退出面试的决定，"
                "特此确认。本次退出的记录如下："
            ),
            Facts(tuple(rows)),
            Paragraph(reapply),
            Paragraph("再次感谢您的关注，祝您一切顺利！"),
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
        f"关于您的「{ctx.job_title}」职位面试",
        [
            Paragraph(f"感谢您参加「{ctx.job_title}」职位的面试，也感谢您为此投入的时间和精力。"),
            Paragraph("经用人单位决定，本次面试已经结束。以下是用人单位给您的说明："),
            Notice(exit_.notice_text or exit_.explanation or reason),
            Facts(
                (
                    ("原因类别", reason),
                    ("参考编号", exit_.exit_id),
                    ("结束时间", format_time(ctx.occurred_at)),
                )
            ),
            *_contest_offer(ctx),
            Paragraph("如有疑问，请联系与您对接的招聘人员，并提供上面的参考编号。祝您求职顺利！"),
        ],
    )


def _contest_offer(ctx: MessageContext) -> list[Block]:
    if ctx.contest_url is None or ctx.contest_deadline is None:
        return []
    return [
        Paragraph(
            f"如果您认为该决定有误，可以在{format_time(ctx.contest_deadline)}之前提出申诉，"
            "说明您的理由。招聘团队将结合您完整的面试记录进行复核，并通过邮件告知结果。"
        ),
        Action("提出申诉", ctx.contest_url),
    ]


def expired(ctx: MessageContext) -> Letter:
    """The resume window closed; the saved work stays on record."""
    closed_at = format_time(ctx.resume_deadline or ctx.occurred_at)
    invite = (
        f"我们依然期待您的加入！如果您仍对「{ctx.job_title}」职位感兴趣，欢迎重新申请，"
        "开始一次新的面试。"
        if ctx.can_reapply
        else f"很遗憾本次面试未能完成。感谢您对「{ctx.job_title}」职位的关注，"
        "也欢迎您留意我们今后发布的其他职位。"
    )
    return _letter(
        ctx,
        f"您的「{ctx.job_title}」面试继续期限已结束",
        [
            Paragraph(
                f"您在「{ctx.job_title}」职位的面试中断后，继续面试的期限已于{closed_at}结束，"
                "本次面试现已关闭。"
            ),
            *_saved_work(ctx, "您此前完成的 {total} 段作答仍会保存在我们的记录中："),
            Paragraph(invite),
        ],
    )


LETTERS: dict[EventType, Callable[[MessageContext], Letter]] = {
    EventType.SUSPENDED: suspended,
    EventType.RESUME_REMINDER: resume_reminder,
    EventType.WITHDRAWN: withdrawn,
    EventType.TERMINATED: terminated,
    EventType.EXPIRED: expired,
}
