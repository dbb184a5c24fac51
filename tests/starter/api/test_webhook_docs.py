"""The HR webhooks in the OpenAPI document say what exitflow actually sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from activities.hris.payload import hris_body, notice_body
from contract.codes import EventType
from contract.data_rights import ErasureOutcome, ErasureStatus, ScrubCounts, erasure_notice
from starter.api.webhook_docs import ErasureBody, SessionEventBody, document_webhooks
from tests.activities.email.events import candidate_event
from tests.fixtures.database import make_event

HRIS_TYPES = [t for t in EventType if t.goes_to_hris]


def _documented() -> dict[str, dict[str, object]]:
    app = FastAPI()
    document_webhooks(app)
    webhooks: dict[str, dict[str, object]] = app.openapi()["webhooks"]
    return webhooks


def test_every_webhook_type_is_documented_with_its_signature() -> None:
    """Each event type that goes to the HR system, and candidate.erased, has an entry."""
    documented = _documented()

    assert set(documented) == {t.value for t in HRIS_TYPES} | {"candidate.erased"}
    for entry in documented.values():
        post = entry["post"]
        assert isinstance(post, dict) and "webhook-signature" in post["description"]
        assert "requestBody" in post


@pytest.mark.parametrize("event_type", HRIS_TYPES, ids=str)
def test_each_sent_body_matches_its_documented_schema(event_type: EventType) -> None:
    """The body exitflow signs and sends validates, with no undocumented key."""
    for event in (make_event(event_type), candidate_event(event_type, locale="zh-CN")):
        body = SessionEventBody.model_validate(json.loads(hris_body(event)))

        assert body.type is event_type
        assert body.data.session_id == event.session.session_id


def test_the_erasure_notice_matches_its_documented_schema() -> None:
    """candidate.erased carries ids and times only, as documented."""
    at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    outcome = ErasureOutcome(
        request_id="er-1",
        candidate_id="c-9",
        status=ErasureStatus.COMPLETED,
        requested_at=at,
        completed_at=at,
        counts=ScrubCounts(sessions=1),
        session_ids=["s-1"],
    )

    body = ErasureBody.model_validate(json.loads(notice_body(erasure_notice(outcome))))

    assert (body.type, body.data.session_ids) == ("candidate.erased", ["s-1"])
