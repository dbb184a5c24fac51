"""The HR system's webhook: Standard Webhooks signatures, the event body, the activity."""

from activities.hris.activities import UNAVAILABLE, HrisActivities, parse_retry_after
from activities.hris.payload import hris_body, hris_data, webhook_id
from activities.hris.signing import (
    WebhookVerificationError,
    key_from_secret,
    new_secret,
    sign,
    verify,
)

__all__ = [
    "UNAVAILABLE",
    "HrisActivities",
    "WebhookVerificationError",
    "hris_body",
    "hris_data",
    "key_from_secret",
    "new_secret",
    "parse_retry_after",
    "sign",
    "verify",
    "webhook_id",
]
