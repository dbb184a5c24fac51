"""Candidate emails: the templates (pure code) and the activity that sends them."""

from activities.email.activities import EmailActivities
from activities.email.templates import (
    RenderedEmail,
    reason_label,
    render_candidate_email,
    render_candidate_sms,
)

__all__ = [
    "EmailActivities",
    "RenderedEmail",
    "reason_label",
    "render_candidate_email",
    "render_candidate_sms",
]
