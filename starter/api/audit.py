"""``GET /v1/audit/verify`` and ``/entries``: operators check and read the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contract.sessions import IDENTIFIER_PATTERN, MAX_ID_LENGTH, SESSION_ID_PATTERN
from starter.api.auth import allowed
from starter.api.deps import State
from starter.api.docs import error_responses
from store import AuditPage, AuditVerification
from store.audit_export import MAX_LIMIT

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "/verify",
    response_model=AuditVerification,
    response_model_exclude_none=True,
    summary="Check the audit chain",
    responses=error_responses(401, 403, 503),
    **allowed("ops"),
)
async def verify(state: State) -> AuditVerification:
    """Walk the whole chain; ``ok`` is false with ``first_bad_event`` when it breaks."""
    return await state.store.verify_audit_chain()


@router.get(
    "/entries",
    response_model=AuditPage,
    summary='Read the audit chain, with each entry\'s personal text or "erased"',
    responses=error_responses(401, 403, 422, 503),
    **allowed("ops"),
)
async def entries(
    state: State,
    candidate_id: Annotated[
        str | None, Query(min_length=1, max_length=MAX_ID_LENGTH, pattern=IDENTIFIER_PATTERN)
    ] = None,
    session_id: Annotated[
        str | None, Query(max_length=MAX_ID_LENGTH, pattern=SESSION_ID_PATTERN)
    ] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="A next_after.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> AuditPage:
    """Entries in chain order; pass ``next_after`` back as ``after`` for the next page."""
    return await state.store.audit_entries(
        candidate_id=candidate_id, session_id=session_id, after=after, limit=limit
    )
