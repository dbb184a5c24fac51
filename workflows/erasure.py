"""One candidate's erasure: erase their data in the store, then tell the HR system."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.data_rights import DataRightsActivities
    from activities.database import DatabaseActivities, RecordDelivery
    from activities.hris.activities import HrisActivities
    from contract.data_rights import (
        EraseCandidate,
        ErasureOutcome,
        ErasureStatus,
        erasure_notice,
    )
    from contract.events import DeliveryOutcome
    from workflows.activity_policies import (
        HRIS_DEADLINE,
        HRIS_RETRY,
        HRIS_TIMEOUT,
        RECORD_RETRY,
        RECORD_TIMEOUT,
    )

ERASE_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class CandidateErasureWorkflow:
    """Carries out one erasure request, then sends the signed ``candidate.erased`` webhook.

    Started by ``POST /v1/candidates/{id}/erasure`` under ``erasure_workflow_id`` (one per
    candidate at a time). The request was accepted with no hold and no open session; the
    erase activity checks both again in its own transaction and refuses if either changed.
    """

    @workflow.run
    async def run(self, request: EraseCandidate) -> ErasureOutcome:
        """Erase the candidate's data in the store; tell the HR system when it is done."""
        outcome = await workflow.execute_activity_method(
            DataRightsActivities.erase_candidate,
            request,
            start_to_close_timeout=ERASE_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
        if outcome.status is ErasureStatus.COMPLETED:
            await self._tell_hris(outcome)
        return outcome

    @staticmethod
    async def _tell_hris(outcome: ErasureOutcome) -> None:
        notice = erasure_notice(outcome)
        try:
            await workflow.execute_activity_method(
                HrisActivities.deliver_hris_notice,
                notice,
                start_to_close_timeout=HRIS_TIMEOUT,
                schedule_to_close_timeout=HRIS_DEADLINE,
                retry_policy=HRIS_RETRY,
            )
        except ActivityError as err:
            # The store is erased either way; the failed delivery is left for operators.
            failed = DeliveryOutcome(
                channel="hris", outcome="failed", detail=str(err.cause or err)[:500]
            )
            await workflow.execute_activity_method(
                DatabaseActivities.record_delivery,
                RecordDelivery(event_id=notice.event_id, outcome=failed),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
