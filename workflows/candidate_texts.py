"""Words the session workflow itself puts in front of the candidate, in their language.

These texts are part of the durable record (a termination notice is kept verbatim and is
what the candidate was told), so they are built here, deterministically, from the input.
"""

from __future__ import annotations

from contract.codes import TerminationReason
from contract.sessions import Candidate, ExitPreview, Job, SessionPolicy

_TERMINATION_REASONS: dict[str, dict[TerminationReason, str]] = {
    "en": {
        TerminationReason.RESUME_MISREPRESENTATION: (
            "information in the application could not be confirmed"
        ),
        TerminationReason.ANSWER_MISCONDUCT: "the interview rules were not followed",
        TerminationReason.POSITION_FILLED: "the position has been filled",
        TerminationReason.NOT_QUALIFIED: "the position's requirements are not met",
        TerminationReason.DUPLICATE_APPLICATION: "another application for this job is open",
        TerminationReason.OTHER: "a reason stated below",
    },
    "zh-CN": {
        TerminationReason.RESUME_MISREPRESENTATION: "申请材料中的信息未能得到核实",
        TerminationReason.ANSWER_MISCONDUCT: "面试过程中未遵守面试规则",
        TerminationReason.POSITION_FILLED: "该职位已招满",
        TerminationReason.NOT_QUALIFIED: "暂不符合该职位的要求",
        TerminationReason.DUPLICATE_APPLICATION: "该职位已有您的另一份申请",
        TerminationReason.OTHER: "见下方说明",
    },
}


def termination_notice(
    candidate: Candidate, job: Job, reason: TerminationReason, explanation: str
) -> str:
    """The notice a terminated candidate receives, word for word as it is kept."""
    wording = _TERMINATION_REASONS[candidate.locale][reason]
    if candidate.locale == "zh-CN":
        return (
            f"{candidate.name}，您好：\n"
            f"感谢您参加「{job.title}」职位的 AI 面试。经用人单位决定，本次面试已终止，"
            f"原因：{wording}。\n"
            f"说明：{explanation}\n"
            "您已完成的回答会按规定保存。如对本决定有疑问，请回复此邮件与我们联系。"
        )
    return (
        f"Dear {candidate.name},\n"
        f"Thank you for taking the AI interview for {job.title}. The employer has decided to "
        f"end this interview because {wording}.\n"
        f"Explanation: {explanation}\n"
        "The answers you completed are kept as required. If you have questions about this "
        "decision, reply to this email."
    )


def withdrawal_message(candidate: Candidate, policy: SessionPolicy) -> str:
    """The receipt's message after a candidate withdraws."""
    email_note = "email" in policy.channels
    if candidate.locale == "zh-CN":
        text = "您已退出本次面试，感谢您抽出时间参加。"
        if email_note:
            text += "确认邮件已发送至您的邮箱。"
        if policy.can_reapply:
            text += "您可以随时重新申请该职位。"
        return text
    text = "You have withdrawn from this interview. Thank you for your time."
    if email_note:
        text += " A confirmation is on its way to your email."
    if policy.can_reapply:
        text += " You are welcome to apply for this job again at any time."
    return text


def termination_message(candidate: Candidate) -> str:
    """The receipt's message after the employer terminates, as HR sees it."""
    if candidate.locale == "zh-CN":
        return "面试已终止，通知已发送给候选人，并已记入审计记录。"
    return "The interview was terminated; the candidate has been notified and it is audited."


def exit_preview(
    candidate: Candidate, policy: SessionPolicy, saved_segments: int, stages_touched: int
) -> ExitPreview:
    """What quitting now would mean, said plainly before the candidate decides."""
    emailed = "email" in policy.channels
    address = mask_email(str(candidate.email))
    if candidate.locale == "zh-CN":
        confirmation = (
            f"确认后，确认邮件将立即发送至 {address}。" if emailed else "确认后将立即显示退出回执。"
        )
        message = (
            f"您已保存 {saved_segments} 段回答（涉及 {stages_touched} 个环节），"
            "退出后这些回答会保留，但本次面试将结束，无法再次进入。"
        )
        message += (
            "之后您仍可重新申请该职位。" if policy.can_reapply else "本职位暂不支持重新申请。"
        )
    else:
        confirmation = (
            f"A confirmation email goes to {address} as soon as you confirm."
            if emailed
            else "A receipt is shown as soon as you confirm."
        )
        message = (
            f"You have {saved_segments} saved answers across {stages_touched} stages. If you quit "
            "now they are kept, but this interview ends and cannot be re-entered."
        )
        message += (
            " You can still apply for this job again later."
            if policy.can_reapply
            else " This job does not accept a new application."
        )
    return ExitPreview(
        saved_segments=saved_segments,
        can_reenter=False,
        can_reapply=policy.can_reapply,
        confirmation=confirmation,
        message=message,
    )


def mask_email(address: str) -> str:
    """``lilei@example.com`` → ``l***@example.com``: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
