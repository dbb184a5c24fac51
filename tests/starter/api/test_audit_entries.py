"""``GET /v1/audit/entries``: operators read the chain, personal text shown or "erased"."""

from __future__ import annotations

import httpx
import pytest

from contract.codes import EventType
from contract.data_rights import ErasureInput
from contract.sessions import Actor
from store import Store
from tests.starter.api.helpers import HR, OPS
from tests.store.data_rights import candidate_event

ACTOR = Actor(id="hr-3", name="Dana Whitfield")


async def test_entries_show_kept_text_and_erased_text_with_the_facts(
    api: httpx.AsyncClient, store: Store
) -> None:
    """finding 3: an erased candidate's entries say "erased" where the text was, and keep the
    facts; another candidate's text is shown; pages follow ``next_after``."""
    gone = candidate_event("c-gone", EventType.WITHDRAWN)
    kept = candidate_event("c-kept", EventType.TERMINATED)
    for event in (gone, kept):
        assert await store.record_event(event)
    view, _ = await store.rights.request_erasure("c-gone", request=ErasureInput(actor=ACTOR))
    await store.rights.erase(view.request_id)

    erased = await api.get("/v1/audit/entries", params={"candidate_id": "c-gone"}, headers=OPS)
    first = await api.get("/v1/audit/entries", params={"limit": 1}, headers=OPS)
    after = first.json()["next_after"]
    second = await api.get("/v1/audit/entries", params={"after": after, "limit": 1}, headers=OPS)

    assert erased.status_code == 200, erased.text
    withdrawn, done = erased.json()["items"]
    assert (withdrawn["personal"], withdrawn["facts"]["exit"]["reason_code"]) == (
        "erased",
        "job_requirements",
    )
    assert "comment" not in withdrawn["facts"]["exit"] and "travel" not in erased.text
    assert (done["type"], done["personal"]) == ("candidate.erased", None)
    assert [item["event_id"] for item in first.json()["items"]] == [gone.event_id]
    [terminated] = second.json()["items"]
    assert terminated["personal"] == {
        "exit.explanation": kept.exit.explanation,  # type: ignore[union-attr]
        "exit.notice_text": kept.exit.notice_text,  # type: ignore[union-attr]
    }
    assert (await api.get("/v1/audit/entries", headers=HR)).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 100_000}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "1e309"}, "after"),
        ({"after": 2**70}, "after"),
        ({"candidate_id": "c 1\r\nX-Evil: 1"}, "candidate_id"),
        ({"candidate_id": "c" * 129}, "candidate_id"),
        ({"session_id": "s/../../etc"}, "session_id"),
    ],
    ids=lambda value: str(value)[:24],
)
async def test_bad_filters_are_a_422_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, str | int], field: str
) -> None:
    """Out-of-range pages and malformed ids are refused with the field named, never a 5xx."""
    response = await api.get("/v1/audit/entries", params=params, headers=OPS)

    assert response.status_code == 422, response.text
    assert field in response.text
