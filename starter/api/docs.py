"""OpenAPI helpers: every error a route can answer, and request examples in both locales."""

from __future__ import annotations

from typing import Any

from starter.api.errors import ErrorResponse

_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("malformed_json", "The body is not valid JSON.", "The request body is not valid JSON."),
    401: ("unauthorized", "No API key, or an unknown one.", "Send a valid API key."),
    403: ("forbidden", "The key's role may not call this route.", "The role may not call this."),
    404: ("session_not_found", "No session has this id.", "No session has this id."),
    409: (
        "session_ended",
        "The command conflicts with the session's state (e.g. an exit after an exit).",
        "The session has already ended as withdrawn.",
    ),
    410: (
        "resume_window_closed",
        "The resume window is over.",
        "The resume window is over; the session expired.",
    ),
    422: (
        "invalid_field",
        "A field is invalid; details.fields names each one.",
        "Invalid value for reason_code: Input should be 'personal_emergency', ...",
    ),
    503: ("temporal_unavailable", "A backing service is unreachable.", "Retry shortly."),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the error body and an example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code, description, message = _ERRORS[status]
        details: Any = None
        if status == 422:
            details = {"fields": [{"field": "reason_code", "message": message}]}
        responses[status] = {
            "model": ErrorResponse,
            "description": description,
            "content": {
                "application/json": {
                    "example": {"error": {"code": code, "message": message, "details": details}}
                }
            },
        }
    return responses


def examples(zh_cn: dict[str, Any], en: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``openapi_examples=`` with one example per candidate locale."""
    return {
        "zh-CN": {"summary": "zh-CN candidate", "value": zh_cn},
        "en": {"summary": "en candidate", "value": en},
    }


START_EXAMPLES = examples(
    {
        "session_id": "s-20240510-0042",
        "candidate": {
            "id": "c-9",
            "name": "李雷",
            "email": "lilei@example.com",
            "phone": "+8613800000000",
            "locale": "zh-CN",
        },
        "job": {"id": "job-sales-manager", "title": "销售经理"},
        "interviewer_id": "iv-7",
        "stages": ["self_intro", "skill_test", "scenario_simulation"],
        "downstream": [
            {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T09:00:00Z"}
        ],
        "policy": {
            "resume_window_hours": 24,
            "heartbeat_timeout_seconds": 120,
            "reminder_before_deadline_hours": 2,
            "channels": ["email", "sms"],
            "can_reapply": True,
        },
    },
    {
        "session_id": "s-20240510-0043",
        "candidate": {
            "id": "c-10",
            "name": "Ann Lee",
            "email": "ann.lee@example.com",
            "locale": "en",
        },
        "job": {"id": "job-sales-manager", "title": "Sales Manager"},
        "interviewer_id": "iv-7",
        "policy": {"resume_window_hours": 0.5, "channels": ["email"]},
        "consent": {
            "notice_version": "ai-interview-notice-2024-05",
            "accepted_at": "2024-05-10T08:58:12Z",
            "text_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        },
    },
)

PROGRESS_EXAMPLES = examples(
    {"stage": "self_intro", "segment_id": "seg-1", "kind": "video", "video_seconds": 95.5},
    {
        "stage": "skill_test",
        "segment_id": "seg-2",
        "kind": "assessment",
        "questions_answered": 10,
        "questions_correct": 7,
    },
)

HEARTBEAT_EXAMPLES = examples(
    {"client": {"browser": "WeChat", "os": "Android 14", "device": "mobile"}},
    {"client": {"browser": "Chrome", "browser_version": "124.0", "network_latency_ms": 85}},
)

WITHDRAW_EXAMPLES = examples(
    {"reason_code": "accepted_other_offer", "comment": "已接受其他公司的录用通知。"},
    {"reason_code": "process_too_long", "comment": "The process takes longer than I can wait."},
)

FAULT_EXAMPLES = examples(
    {
        "cause": "network",
        "detail": "WebRTC 连接中断",
        "client": {"ip": "203.0.113.7", "browser": "Chrome", "os": "Windows 11"},
    },
    {"cause": "media_permission", "detail": "Camera permission denied"},
)

RESUME_EXAMPLES = examples(
    {"resume_token": "<resume_token from the fault response or the resume link>"},
    {"resume_token": "<resume_token from the fault response or the resume link>"},
)

TERMINATE_EXAMPLES = examples(
    {
        "reason_code": "position_filled",
        "explanation": "该职位已于今日招满，感谢您的理解与参与。我们会保留您的资料。",
        "actor": {"id": "hr-3", "name": "王芳"},
    },
    {
        "reason_code": "answer_misconduct",
        "explanation": "Answers were read aloud from another screen during the skill test.",
        "actor": {"id": "hr-4", "name": "Dana Whitfield"},
    },
)
