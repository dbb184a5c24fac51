"""Entries from before revision 0006, whose bodies held free text: how they were re-chained.

Revision 0006 rewrote each such entry as the current form (facts hashed, free text sealed
beside them) plus a ``legacy`` record of its former ``hash`` and ``prev_hash`` (and of what
was already wrong with it, if anything), then appended one ``audit.rechained`` entry that
commits to the former chain's head. The former body is the current facts with the free
text put back, so while that text is kept, ``audit verify`` recomputes the former hash too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from store.audit import canonical_json, iso_utc
from store.audit_personal import (
    DIGEST_KEY,
    RAW_LEGACY_PATH,
    merge_personal,
    split_personal,
)

LEGACY_KEY = "legacy"
"""Key of a re-chained entry's former ``{hash, prev_hash, problem?}``."""

RECHAINED = "audit.rechained"
"""Type of the entry that re-anchored the chain, stating the former head and entry count."""

RECHAINED_EVENT_ID = f"{RECHAINED}:0006"


def split_legacy(
    event_id: str, type: str, at: datetime, body: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A former body as current facts and personal text, such that ``rebuild`` gives it back.

    A body that is not canonical JSON of an object (altered by hand, say) cannot be split
    field by field: it moves whole into the personal text, and the facts are the columns.
    """
    try:
        facts = json.loads(body)
    except ValueError:
        facts = None
    if (
        isinstance(facts, dict)
        and DIGEST_KEY not in facts
        and LEGACY_KEY not in facts
        and canonical_json(facts) == body
    ):
        return split_personal(facts)
    return {"event_id": event_id, "type": type, "at": iso_utc(at)}, {RAW_LEGACY_PATH: body}


def rebuild(facts: dict[str, Any], personal: dict[str, Any]) -> str:
    """The former body of a re-chained entry, from its facts and its personal text."""
    if RAW_LEGACY_PATH in personal:
        return str(personal[RAW_LEGACY_PATH])
    public = {key: value for key, value in facts.items() if key not in (DIGEST_KEY, LEGACY_KEY)}
    return canonical_json(merge_personal(public, personal))
