"""Record the erasure and retention histories that ``test_replay.py`` replays.

Run it after a deliberate, versioned change to ``CandidateErasureWorkflow`` or
``RetentionWorkflow``; it writes only the histories that are missing:

    python -m tests.workflows.record_data_rights_histories tests/workflows/histories

Each runs for real: the Temporal dev server, a worker and SQLite.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.data_rights import EraseCandidate, ErasureInput, RetentionInput
from contract.sessions import Actor
from runtime.converter import data_converter
from runtime.worker import running_worker
from store import Store
from tests.fixtures.temporal import binary
from tests.store.data_rights import candidate_event, days_ago
from workflows.erasure import CandidateErasureWorkflow
from workflows.retention import RetentionWorkflow


async def main(out: Path) -> None:
    """Run one erasure and one retention run (two batches), and save their histories."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/exitflow.db")
        store = Store.from_url(settings.database_url)
        await store.create_schema()
        for candidate in ("c-replay-1", "c-replay-2", "c-replay-3"):
            await store.record_event(candidate_event(candidate, at=days_ago(400)))
        request, _ = await store.rights.request_erasure(
            "c-replay-1", request=ErasureInput(actor=Actor(id="hr-3", name="Dana Whitfield"))
        )
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"), data_converter=data_converter
        )
        task_queue = f"record-{uuid.uuid4()}"
        async with env, running_worker(env.client, settings, task_queue=task_queue):
            erasure = await env.client.start_workflow(
                CandidateErasureWorkflow.run,
                EraseCandidate(request_id=request.request_id, candidate_id="c-replay-1"),
                id="candidate-erasure-replay",
                task_queue=task_queue,
            )
            retention = await env.client.start_workflow(
                RetentionWorkflow.run,
                RetentionInput(batch_size=1),
                id="retention-replay",
                task_queue=task_queue,
            )
            for handle in (erasure, retention):
                await handle.result()
                path = out / f"{handle.id}.json"
                if not path.exists():
                    path.write_text((await handle.fetch_history()).to_json())
                    print(f"recorded {path}")
        await store.dispose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/workflows/histories")))
