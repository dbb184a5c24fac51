"""A retention run: anonymise ended sessions older than the period, batch by batch."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.data_rights import DataRightsActivities
    from contract.data_rights import (
        RetentionBatch,
        RetentionInput,
        RetentionQuery,
        RetentionResult,
        ScrubCounts,
    )
    from workflows.activity_policies import RECORD_RETRY

BATCH_TIMEOUT = timedelta(minutes=2)


@workflow.defn
class RetentionWorkflow:
    """Anonymises every ended session quiet for ``older_than_days``, held candidates aside.

    Started daily by the ``exitflow-retention`` schedule, or by ``exitflow retention run``.
    Each batch is one transaction with its own audit entry, so a run stopped half-way has
    anonymised whole sessions only, and the next run carries on where it stopped.
    """

    @workflow.run
    async def run(self, request: RetentionInput) -> RetentionResult:
        """Count what is due; unless dry, anonymise it in batches; return what was done."""
        cutoff = workflow.now() - timedelta(days=request.older_than_days)
        plan = await workflow.execute_activity_method(
            DataRightsActivities.plan_retention,
            RetentionQuery(cutoff=cutoff),
            start_to_close_timeout=BATCH_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )
        result = RetentionResult(
            cutoff=cutoff,
            dry_run=request.dry_run,
            sessions=plan.sessions,
            held_sessions=plan.held_sessions,
        )
        if request.dry_run:
            return result
        totals = ScrubCounts()
        batches = 0
        while True:
            counts = await workflow.execute_activity_method(
                DataRightsActivities.anonymise_retention_batch,
                RetentionBatch(
                    run_id=workflow.info().run_id,
                    batch=batches,
                    cutoff=cutoff,
                    size=request.batch_size,
                ),
                start_to_close_timeout=BATCH_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
            totals += counts
            batches += 1
            if counts.sessions < request.batch_size:
                break
        return result.model_copy(update={"anonymised": totals, "batches": batches})
