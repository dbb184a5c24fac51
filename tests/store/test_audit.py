"""The pure hash-chain code: canonical bodies, hashes and the verification walk."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from contract.codes import EventType
from store.audit import (
    GENESIS_HASH,
    ChainWalk,
    audit_body,
    canonical_json,
    entry_hash,
    iso_utc,
)
from tests.fixtures.database import make_event


@dataclass(frozen=True)
class Link:
    event_id: str
    type: str
    at: datetime
    body: str
    prev_hash: str
    hash: str


def _chain(count: int) -> list[Link]:
    links, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        event = make_event(EventType.WITHDRAWN, seq=seq)
        body = audit_body(event)
        link = Link(event.event_id, str(event.type), event.at, body, prev, entry_hash(prev, body))
        links.append(link)
        prev = link.hash
    return links


def test_canonical_json_is_key_sorted_compact_and_keeps_unicode() -> None:
    """Canonical JSON sorts keys, drops spaces and keeps non-ASCII text as is."""
    assert canonical_json({"b": 1, "a": "销售"}) == '{"a":"销售","b":1}'


def test_entry_hash_covers_the_previous_hash_and_the_body() -> None:
    """The hash is SHA-256 of prev_hash, a newline and the body."""
    import hashlib

    expected = hashlib.sha256(f"{GENESIS_HASH}\n{{}}".encode()).hexdigest()
    assert entry_hash(GENESIS_HASH, "{}") == expected
    assert entry_hash("1" * 64, "{}") != expected


def test_the_body_states_event_id_type_and_utc_time() -> None:
    """An entry's body carries the event's id, type and time in UTC ISO 8601."""
    event = make_event(EventType.TERMINATED)
    facts = json.loads(audit_body(event))

    assert (facts["event_id"], facts["type"], facts["at"]) == (
        event.event_id,
        "interview.terminated",
        iso_utc(event.at),
    )
    assert facts["exit"]["actor"] == {"id": "hr-3", "name": "Dana Whitfield"}
    assert facts["exit"]["explanation"].startswith("Answers were read")


def test_a_downstream_cancelled_body_lists_the_cancelled_steps() -> None:
    """downstream.cancelled entries record which step ids were cancelled."""
    facts = json.loads(audit_body(make_event(EventType.DOWNSTREAM_CANCELLED)))

    assert facts["cancelled_steps"] == ["wt-1"]


def test_a_downstream_restored_body_lists_the_restored_steps() -> None:
    """downstream.restored entries record which step ids were scheduled again; others don't."""
    facts = json.loads(audit_body(make_event(EventType.DOWNSTREAM_RESTORED)))
    withdrawn = json.loads(audit_body(make_event(EventType.WITHDRAWN)))

    assert facts["restored_steps"] == ["wt-1"]
    assert "restored_steps" not in withdrawn


def test_an_intact_chain_walks_clean_across_batches() -> None:
    """Feeding a valid chain in several batches verifies every entry."""
    links = _chain(7)
    walk = ChainWalk()

    assert walk.feed(links[:3]) and walk.feed(links[3:])
    assert (walk.result().ok, walk.result().events) == (True, 7)


def test_a_column_disagreeing_with_its_body_is_named() -> None:
    """An entry whose type column was changed without its body is named."""
    links = _chain(3)
    links[1] = replace(links[1], type="interview.completed")
    walk = ChainWalk()

    assert walk.feed(links) is False
    assert walk.result().first_bad_event == links[1].event_id


def test_a_chain_missing_its_first_entry_is_named_at_the_new_first() -> None:
    """Dropping the first entry breaks the second's link to the genesis hash."""
    links = _chain(3)
    walk = ChainWalk()
    walk.feed(links[1:])

    assert (walk.result().ok, walk.result().first_bad_event) == (False, links[1].event_id)
