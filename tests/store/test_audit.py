"""The pure hash-chain code: canonical bodies, hashes and the verification walk."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.codes import EventType
from store.audit import GENESIS_HASH, canonical_json, entry_hash, iso_utc, seal_event
from store.audit_legacy import rebuild, split_legacy
from store.audit_personal import DIGEST_KEY, PERSONAL_PATHS, personal_digest
from store.audit_walk import ChainWalk
from tests.fixtures.database import STARTED_AT as T0
from tests.fixtures.database import make_event


@dataclass(frozen=True)
class Link:
    event_id: str
    type: str
    at: datetime
    body: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Personal:
    salt: str | None
    fields_json: str | None
    anonymised_at: datetime | None = None


def _chain(count: int) -> tuple[list[Link], dict[str, Personal]]:
    """``count`` entries, each sealing a withdrawal's comment, and their personal rows."""
    links, personal, prev = [], {}, GENESIS_HASH
    for seq in range(1, count + 1):
        event = make_event(EventType.WITHDRAWN, seq=seq)
        sealed = seal_event(event)
        body = sealed.body
        link = Link(event.event_id, str(event.type), event.at, body, prev, entry_hash(prev, body))
        links.append(link)
        personal[event.event_id] = Personal(sealed.salt, sealed.fields_json)
        prev = link.hash
    return links, personal


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
    """An entry's body carries the event's id, type and time in UTC ISO 8601, and who acted."""
    event = make_event(EventType.TERMINATED)
    facts = json.loads(seal_event(event).body)

    assert (facts["event_id"], facts["type"], facts["at"]) == (
        event.event_id,
        "interview.terminated",
        iso_utc(event.at),
    )
    assert facts["exit"]["actor"] == {"id": "hr-3", "name": "Dana Whitfield", "verified": False}
    assert facts["exit"]["reason_code"] == "answer_misconduct"


def test_a_downstream_cancelled_body_lists_the_cancelled_steps() -> None:
    """downstream.cancelled entries record which step ids were cancelled."""
    facts = json.loads(seal_event(make_event(EventType.DOWNSTREAM_CANCELLED)).body)

    assert facts["cancelled_steps"] == ["wt-1"]


def test_a_downstream_restored_body_lists_the_restored_steps() -> None:
    """downstream.restored entries record which step ids were scheduled again; others don't."""
    facts = json.loads(seal_event(make_event(EventType.DOWNSTREAM_RESTORED)).body)
    withdrawn = json.loads(seal_event(make_event(EventType.WITHDRAWN)).body)

    assert facts["restored_steps"] == ["wt-1"]
    assert "restored_steps" not in withdrawn


def test_an_intact_chain_walks_clean_across_batches() -> None:
    """Feeding a valid chain in several batches verifies every entry."""
    links, personal = _chain(7)
    walk = ChainWalk()

    assert walk.feed(links[:3], personal) and walk.feed(links[3:], personal)
    assert (walk.result().ok, walk.result().events) == (True, 7)


def test_a_column_disagreeing_with_its_body_is_named() -> None:
    """An entry whose type column was changed without its body is named."""
    links, personal = _chain(3)
    links[1] = replace(links[1], type="interview.completed")
    walk = ChainWalk()

    assert walk.feed(links, personal) is False
    assert walk.result().first_bad_event == links[1].event_id


def test_a_chain_missing_its_first_entry_is_named_at_the_new_first() -> None:
    """Dropping the first entry breaks the second's link to the genesis hash."""
    links, personal = _chain(3)
    walk = ChainWalk()
    walk.feed(links[1:], personal)

    assert (walk.result().ok, walk.result().first_bad_event) == (False, links[1].event_id)


def test_free_text_is_sealed_by_a_salted_digest_not_hashed_as_text() -> None:
    """finding 3: a termination's explanation and notice, and a fault's detail, leave the
    hashed body; it keeps the facts and an HMAC of the text under a random per-entry salt."""
    terminated, suspended = make_event(EventType.TERMINATED), make_event(EventType.SUSPENDED)

    first, again = seal_event(terminated), seal_event(terminated)
    fault = seal_event(suspended)

    for sealed, texts in (
        (first, ("Answers were read aloud", "Thank you for your time")),
        (fault, ("WebRTC connection dropped", "203.0.113.7")),
    ):
        assert not any(text in sealed.body for text in texts)
        assert sealed.fields_json is not None and sealed.salt is not None
        digest = json.loads(sealed.body)[DIGEST_KEY]
        assert digest == personal_digest(sealed.salt, sealed.fields_json)
    assert json.loads(str(first.fields_json)) == {
        "exit.explanation": terminated.exit.explanation,  # type: ignore[union-attr]
        "exit.notice_text": terminated.exit.notice_text,  # type: ignore[union-attr]
    }
    assert json.loads(fault.body)["exit"]["fault"]["client"]["browser"] == "Chrome"
    # The same text sealed twice gives two digests: one cannot be matched against another.
    assert first.salt != again.salt and first.body != again.body


def test_the_walk_checks_sealed_text_against_its_digest() -> None:
    """Kept text must match its digest; erased text passes only for an anonymised session;
    a personal row deleted outright is named."""
    links, personal = _chain(4)
    target = links[1].event_id
    altered = dict(personal)
    altered[target] = replace(personal[target], fields_json='{"exit.comment":"forged"}')
    erased = dict(personal)
    erased[target] = Personal(None, None, anonymised_at=links[1].at)
    erased_unannounced = dict(personal)
    erased_unannounced[target] = Personal(None, None)
    deleted = {key: row for key, row in personal.items() if key != target}

    verdicts = {}
    for name, rows in {
        "kept": personal,
        "altered": altered,
        "erased": erased,
        "erased_unannounced": erased_unannounced,
        "deleted": deleted,
    }.items():
        walk = ChainWalk()
        walk.feed(links, rows)
        verdicts[name] = walk.result()

    assert (verdicts["kept"].ok, verdicts["kept"].erased) == (True, 0)
    assert (verdicts["erased"].ok, verdicts["erased"].erased) == (True, 1)
    for name, word in (
        ("altered", "does not match"),
        ("erased_unannounced", "never anonymised"),
        ("deleted", "missing"),
    ):
        verdict = verdicts[name]
        assert (verdict.ok, verdict.first_bad_event) == (False, target), name
        assert verdict.detail is not None and word in verdict.detail, name


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_TEXT = st.none() | st.text(max_size=20) | _JSON
_FACTS = st.fixed_dictionaries(
    {"event_id": st.text(max_size=10), "type": st.text(max_size=10)},
    optional={
        "exit": st.none()
        | st.fixed_dictionaries(
            {"kind": st.text(max_size=5)},
            optional={
                "comment": _TEXT,
                "explanation": _TEXT,
                "notice_text": _TEXT,
                "fault": st.none() | st.fixed_dictionaries({}, optional={"detail": _TEXT}),
            },
        ),
        "contest": st.none()
        | st.fixed_dictionaries({}, optional={"statement": _TEXT, "decision_explanation": _TEXT}),
        "extra": _JSON,
    },
)


@settings(max_examples=150, deadline=None)
@given(facts=_FACTS)
def test_a_former_body_splits_into_facts_without_text_and_rebuilds_exactly(
    facts: dict[str, Any],
) -> None:
    """Any body revision 0005 could have written comes back byte for byte from its facts and
    its personal text, and no personal path keeps a value in the facts."""
    body = canonical_json(facts)

    public, personal = split_legacy("e", "t", T0, body)

    assert rebuild(public, personal) == body
    for path in PERSONAL_PATHS:
        *parents, key = path.split(".")
        holder: Any = public
        for name in parents:
            holder = holder.get(name) if isinstance(holder, dict) else None
        assert not isinstance(holder, dict) or holder.get(key) is None


@settings(max_examples=100, deadline=None)
@given(body=st.text(max_size=40))
def test_a_body_altered_by_hand_moves_whole_into_the_personal_text(body: str) -> None:
    """A body that is not canonical JSON of an object is kept whole, and rebuilds exactly."""
    public, personal = split_legacy("e", "t", T0, body)

    assert rebuild(public, personal) == body
