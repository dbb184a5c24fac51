"""``GET /v1/exits``: exit records for HR and operators, filtered and paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contract.codes import ExitKind
from starter.api.auth import Caller, allowed, invalid_field
from starter.api.deps import State
from starter.api.docs import error_responses
from starter.api.query_times import QueryTime
from store import ExitPage, InvalidCursor

router = APIRouter(prefix="/v1/exits", tags=["exits"])

_Id = Annotated[str | None, Query(max_length=128)]


@router.get(
    "",
    response_model=ExitPage,
    summary="Exit records, newest first",
    responses=error_responses(401, 403, 422, 503),
    **allowed("hr", "ops"),
)
async def list_exits(
    state: State,
    reader: Caller,
    kind: Annotated[ExitKind | None, Query()] = None,
    job_id: _Id = None,
    reason_code: Annotated[str | None, Query(max_length=64)] = None,
    interviewer_id: _Id = None,
    since: Annotated[QueryTime | None, Query(description="Exits at or after this time.")] = None,
    until: Annotated[QueryTime | None, Query(description="Exits strictly before this.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="A next_cursor.")] = None,
) -> ExitPage:
    """One page of exits; pass ``next_cursor`` back as ``cursor`` for the next page.

    An HR person sees the exits of the jobs in their scope only."""
    try:
        return await state.store.list_exits(
            kind=kind,
            job_id=job_id,
            reason_code=reason_code,
            interviewer_id=interviewer_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            jobs=reader.jobs,
        )
    except InvalidCursor as err:
        raise invalid_field("cursor", "cursor is not a next_cursor this API handed out.") from err
