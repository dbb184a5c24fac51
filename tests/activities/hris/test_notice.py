"""``deliver_hris_notice``: a webhook that is not a session's event, signed and sent once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from temporalio.testing import ActivityEnvironment

from activities.hris.activities import HrisActivities
from activities.hris.payload import notice_body
from config import Settings
from contract.data_rights import ErasureOutcome, ErasureStatus, erasure_notice
from devstack.hris_inbox import HrisInbox
from store import Store

ERASED_AT = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def _notice() -> ErasureOutcome:
    return ErasureOutcome(
        request_id="3f1c0e8a-5d2b-4c1e-9a51-0f3c2b7d9e11",
        candidate_id="c-9",
        status=ErasureStatus.COMPLETED,
        requested_at=datetime(2026, 11, 25, 19, 59, tzinfo=UTC),
        completed_at=ERASED_AT,
        session_ids=["s-1", "s-2"],
    )


def test_the_erased_body_is_compact_json_with_ids_only() -> None:
    """``candidate.erased`` has the shape of every webhook and names nobody."""
    body = notice_body(erasure_notice(_notice()))

    assert json.loads(body) == {
        "type": "candidate.erased",
        "timestamp": "2026-11-25T20:00:00Z",
        "data": {
            "candidate_id": "c-9",
            "request_id": "3f1c0e8a-5d2b-4c1e-9a51-0f3c2b7d9e11",
            "requested_at": "2026-11-25T19:59:00Z",
            "erased_at": "2026-11-25T20:00:00Z",
            "session_ids": ["s-1", "s-2"],
        },
    }
    assert b" " not in body


async def test_a_notice_arrives_signed_once_and_is_noted_as_sent(
    hris_settings: Settings, hris_http: httpx.AsyncClient, store: Store, hris_inbox: HrisInbox
) -> None:
    """The inbox verifies it; a retry after success sends nothing more."""
    acts = HrisActivities(hris_settings, hris_http, store)
    notice = erasure_notice(_notice())

    first = await ActivityEnvironment().run(acts.deliver_hris_notice, notice)
    again = await ActivityEnvironment().run(acts.deliver_hris_notice, notice)

    assert (first.outcome, again.outcome) == ("sent", "sent")
    [delivery] = hris_inbox.deliveries
    assert delivery.verified
    assert delivery.webhook_id == f"msg_erasure-{_notice().request_id}"
    assert delivery.raw_body == notice_body(notice)
    assert delivery.type == "candidate.erased"
    assert await store.delivery_outcome(notice.event_id, channel="hris") == "sent"
