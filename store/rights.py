"""Candidate data rights over the store: holds, erasure, retention; one transaction each.

Every write queues on the audit chain's lock first, as recording a session event does, so
that a hold, an erasure or a retention batch and the events being recorded never interleave:
each check (is the candidate held? is a session open?) holds until its transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from contract.data_rights import (
    ErasureInput,
    ErasureOutcome,
    ErasureView,
    HoldInput,
    HoldStatus,
    LiftHoldInput,
    RetentionBatch,
    RetentionPlan,
    ScrubCounts,
)
from store import erasure, holds, retention
from store.holds import RightsRefused
from store.substore import SubStore

__all__ = ["CandidateRights", "RightsRefused"]


class CandidateRights(SubStore):
    """Holds, erasure requests and retention on one store's database; ``Store.rights``."""

    async def hold_status(self, candidate_id: str) -> HoldStatus:
        """Whether the candidate is held now, and every hold they had."""
        async with self._reads() as session:
            return await holds.hold_status(session, candidate_id)

    async def set_hold(self, candidate_id: str, *, request: HoldInput) -> tuple[HoldStatus, bool]:
        """Put the candidate on hold (and audit it).

        Returns:
            The candidate's holds, and False when a hold was already active (then nothing
            changed: that hold keeps its reason).
        """
        async with self._writing() as session:
            created = await holds.set_hold(session, candidate_id, request, at=self._clock())
            return await holds.hold_status(session, candidate_id), created

    async def lift_hold(self, candidate_id: str, *, request: LiftHoldInput) -> HoldStatus:
        """Lift the candidate's active hold (and audit it).

        Raises:
            RightsRefused: ``not_on_hold``.
        """
        async with self._writing() as session:
            await holds.lift_hold(session, candidate_id, request, at=self._clock())
            return await holds.hold_status(session, candidate_id)

    async def request_erasure(
        self, candidate_id: str, *, request: ErasureInput
    ) -> tuple[ErasureView, bool]:
        """Accept an erasure request, or find the one still pending for the candidate.

        Raises:
            RightsRefused: ``candidate_on_hold`` or ``candidate_has_open_session``.
        """
        async with self._writing() as session:
            row, created = await erasure.request_erasure(
                session, candidate_id, request, at=self._clock()
            )
        view = await self.erasure(row.request_id)
        assert view is not None
        return view, created

    async def erasure(self, request_id: str) -> ErasureView | None:
        """An erasure request as HR reads it, or None when unknown."""
        async with self._reads() as session:
            return await erasure.erasure_view(session, request_id)

    async def erase(self, request_id: str) -> ErasureOutcome:
        """Carry out a pending erasure request in one transaction; idempotent.

        Raises:
            LookupError: When no request has this id.
        """
        async with self._writing() as session:
            return await erasure.erase(session, request_id, at=self._clock())

    async def retention_plan(self, cutoff: datetime) -> RetentionPlan:
        """What a retention run at ``cutoff`` would anonymise, and what holds keep back."""
        async with self._reads() as session:
            return await retention.plan(session, cutoff)

    async def retention_batch(self, batch: RetentionBatch) -> ScrubCounts:
        """Anonymise one batch of due sessions, with its audit entry; idempotent per batch."""
        async with self._writing() as session:
            return await retention.run_batch(session, batch, at=self._clock())
