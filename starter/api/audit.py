"""``GET /v1/audit/verify``: operators check the hash-chained audit log."""

from __future__ import annotations

from fastapi import APIRouter

from starter.api.auth import allowed
from starter.api.deps import State
from starter.api.docs import error_responses
from store import AuditVerification

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
