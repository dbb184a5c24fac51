"""``/healthz`` (the process answers) and ``/readyz`` (Temporal and the database answer)."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from starter.api.deps import State

router = APIRouter(tags=["health"])
log = structlog.get_logger()

_CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: Temporal and the database reachable",
    responses={503: {"description": "Temporal or the database is unreachable."}},
)
async def readyz(state: State) -> JSONResponse:
    """200 when Temporal and the database both answer, else 503 naming which did not."""
    temporal, database = await asyncio.gather(_temporal_ok(state), _database_ok(state))
    checks = {
        "temporal": "ok" if temporal else "unreachable",
        "database": "ok" if database else "unreachable",
    }
    ready = temporal and database
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _temporal_ok(state: State) -> bool:
    try:
        return await asyncio.wait_for(
            state.client.service_client.check_health(), _CHECK_TIMEOUT_SECONDS
        )
    except Exception as err:
        log.warning("readiness: temporal unreachable", error=str(err))
        return False


async def _database_ok(state: State) -> bool:
    async def ping() -> None:
        async with state.store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ping(), _CHECK_TIMEOUT_SECONDS)
    except Exception as err:
        log.warning("readiness: database unreachable", error=str(err))
        return False
    return True
