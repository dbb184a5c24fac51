"""How a walk checks the audit chain: links, hashes, sealed personal text, the re-anchoring.

Every entry must link to the one before it and hash to its stored hash. An entry that
sealed personal text must have its ``audit_personal`` row: either the text, which must
match the digest, or erased, which only an anonymised session's entries may be. Entries
re-chained by revision 0006 must also chain in their former hashes, each recomputed while
its text is kept, up to the ``audit.rechained`` entry that states the former head.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from store.audit import GENESIS_HASH, AuditVerification, entry_hash, iso_utc
from store.audit_legacy import LEGACY_KEY, RECHAINED, rebuild
from store.audit_personal import DIGEST_KEY, digest_matches


class ChainLink(Protocol):
    """What the walk reads of a stored entry (a row of ``audit_log``)."""

    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def body(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


class PersonalLink(Protocol):
    """What the walk reads of an entry's ``audit_personal`` row, and of its session."""

    @property
    def salt(self) -> str | None: ...
    @property
    def fields_json(self) -> str | None: ...
    @property
    def anonymised_at(self) -> datetime | None: ...


def read_link(link: ChainLink, expected_prev: str) -> tuple[dict[str, Any], str | None]:
    """The entry's facts, and what is wrong with its link, hash or columns (None: nothing)."""
    if link.prev_hash != expected_prev:
        return {}, (
            "link broken: prev_hash does not match the entry before it "
            "(an earlier entry was removed, reordered or rewritten)"
        )
    if entry_hash(link.prev_hash, link.body) != link.hash:
        return {}, "hash mismatch: the entry's body or hash was altered"
    try:
        facts = json.loads(link.body)
    except ValueError:
        return {}, "body is not JSON"
    if not isinstance(facts, dict):
        return {}, "body is not a JSON object"
    stated = (facts.get("event_id"), facts.get("type"), facts.get("at"))
    if stated != (link.event_id, link.type, iso_utc(link.at)):
        return facts, "columns event_id/type/at disagree with the hashed body"
    return facts, None


class ChainWalk:
    """Checks audit entries fed in chain order; stops at the first bad one.

    Usage: ``feed`` batches (with the batch's personal rows) until it returns False or
    entries run out, then ``result()``.
    """

    def __init__(self) -> None:
        self._expected_prev = GENESIS_HASH
        self._events = 0
        self._erased = 0
        self._failure: AuditVerification | None = None
        self._first_hash: str | None = None
        self._legacy_head = GENESIS_HASH
        self._legacy_entries = 0
        self._rechained = False

    def feed(
        self, links: Iterable[ChainLink], personal: Mapping[str, PersonalLink] | None = None
    ) -> bool:
        """Check the next entries in chain order.

        Args:
            links: The entries, in chain order.
            personal: The ``audit_personal`` rows of these entries, by ``event_id``.

        Returns:
            False once a bad entry has been found (feeding more is pointless).
        """
        rows = personal or {}
        for link in links:
            if self._failure is not None:
                break
            self._events += 1
            problem = self._problem(link, rows.get(link.event_id))
            if problem is not None:
                self._failure = AuditVerification(
                    ok=False,
                    events=self._events,
                    first_bad_event=link.event_id,
                    detail=problem,
                    erased=self._erased,
                )
            self._expected_prev = link.hash
            self._first_hash = self._first_hash or link.hash
        return self._failure is None

    def result(self) -> AuditVerification:
        """The verdict over everything fed so far."""
        return self._failure or AuditVerification(ok=True, events=self._events, erased=self._erased)

    def _problem(self, link: ChainLink, row: PersonalLink | None) -> str | None:
        facts, problem = read_link(link, self._expected_prev)
        if problem is None:
            problem = self._personal_problem(facts, row)
        if problem is None:
            problem = self._legacy_problem(link, facts, row)
        return problem

    def _personal_problem(self, facts: dict[str, Any], row: PersonalLink | None) -> str | None:
        digest = facts.get(DIGEST_KEY)
        if digest is None:
            return None if row is None else "a personal row is stored for an entry that sealed none"
        if row is None:
            return "its personal text is missing: its row was deleted outside an erasure"
        if row.fields_json is None:
            if row.anonymised_at is None:
                return "its personal text was erased, but its session was never anonymised"
            self._erased += 1
            return None
        if not isinstance(digest, str) or not digest_matches(digest, row.salt, row.fields_json):
            return "its personal text does not match the digest the entry sealed"
        return None

    def _legacy_problem(
        self, link: ChainLink, facts: dict[str, Any], row: PersonalLink | None
    ) -> str | None:
        legacy = facts.get(LEGACY_KEY)
        if link.type == RECHAINED:
            return self._rechained_problem(facts)
        if legacy is None:
            return None
        if self._rechained or not isinstance(legacy, dict):
            return "a re-chained entry out of place"
        if legacy.get("problem"):
            return f"broken before revision 0006 re-chained it: {legacy['problem']}"
        if legacy.get("prev_hash") != self._legacy_head:
            return "link broken in the chain as it was before revision 0006"
        personal: dict[str, Any] | None = {}
        if DIGEST_KEY in facts:
            fields = row.fields_json if row is not None else None
            personal = json.loads(fields) if fields is not None else None
        if personal is not None:
            former = entry_hash(str(legacy.get("prev_hash")), rebuild(facts, personal))
            if former != legacy.get("hash"):
                return "its hash from before revision 0006 does not match its facts and text"
        self._legacy_head = str(legacy.get("hash"))
        self._legacy_entries += 1
        return None

    def _rechained_problem(self, facts: dict[str, Any]) -> str | None:
        stated = (facts.get("legacy_head_hash"), facts.get("legacy_entries"))
        if self._rechained or stated != (self._legacy_head, self._legacy_entries):
            return "the re-anchoring does not state the former chain's head and length"
        if facts.get("first_hash") != self._first_hash:
            return "the re-anchoring does not state the re-chained chain's first entry"
        self._rechained = True
        return None
