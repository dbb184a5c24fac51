"""Temporal activities of candidate data rights: thin adapters over ``Store.rights``."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contract.data_rights import (
    EraseCandidate,
    ErasureOutcome,
    RetentionBatch,
    RetentionPlan,
    RetentionQuery,
    ScrubCounts,
)
from store import Store


class DataRightsActivities:
    """Erasure and retention activities, bound to one shared ``Store``; all idempotent."""

    def __init__(self, store: Store) -> None:
        """Bind the activities to ``store``."""
        self._rights = store.rights
        self._log = structlog.get_logger()

    @activity.defn
    async def erase_candidate(self, request: EraseCandidate) -> ErasureOutcome:
        """Carry out an erasure request in the store (or read back the one carried out).

        Raises:
            ApplicationError: Non-retryable, when the request does not exist.
        """
        try:
            outcome = await self._rights.erase(request.request_id)
        except LookupError as err:
            raise ApplicationError(str(err), type="erasure_not_found", non_retryable=True) from err
        self._log.info(
            "erasure_carried_out",
            request_id=request.request_id,
            candidate_id=request.candidate_id,
            status=str(outcome.status),
            sessions=outcome.counts.sessions,
        )
        return outcome

    @activity.defn
    async def plan_retention(self, query: RetentionQuery) -> RetentionPlan:
        """Count the sessions a retention run at ``query.cutoff`` anonymises, and the held."""
        return await self._rights.retention_plan(query.cutoff)

    @activity.defn
    async def anonymise_retention_batch(self, batch: RetentionBatch) -> ScrubCounts:
        """Anonymise one batch of due sessions; a repeated batch returns its first counts."""
        counts = await self._rights.retention_batch(batch)
        self._log.info(
            "retention_batch", run_id=batch.run_id, batch=batch.batch, sessions=counts.sessions
        )
        return counts
