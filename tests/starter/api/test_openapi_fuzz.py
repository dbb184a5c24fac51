"""Property-based run of the OpenAPI document against the real stack (schemathesis).

Every operation gets generated requests (valid ones, invalid ones, and valid ones aimed at
a real session), sent over HTTP to the app served by uvicorn beside a real worker, dev
server and database. None may answer 5xx, and every answer must match what the document
says of that operation: its status codes, content type, headers and body schema.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, strategies
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from temporalio.testing import WorkflowEnvironment

from config import Settings
from runtime.converter import data_converter
from runtime.worker import running_worker
from starter.api_command import running_api
from tests.fixtures.temporal import binary
from tests.starter.api.helpers import KEYS, start_body
from workflows import search

EXAMPLES = int(os.environ.get("EXITFLOW_FUZZ_EXAMPLES", "12"))
"""Examples per operation and mode; CI keeps the default so the run stays under a minute."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _fuzz(base_url: str, session_ids: list[str]) -> list[str]:
    """Run every operation's examples; the failures, one line each."""
    document = httpx.get(f"{base_url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"the document has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        roles = operation.definition.raw.get("x-roles") or ["platform"]
        headers = {"Authorization": f"Bearer {KEYS[roles[0]]}"}
        strategy = operation.as_strategy() | operation.as_strategy(GenerationMode.NEGATIVE)
        if "{session_id}" in operation.path:
            strategy |= strategies.one_of(
                [operation.as_strategy(path_parameters={"session_id": sid}) for sid in session_ids]
            )

        try:
            _property(strategy, base_url, headers)()
        except Exception as err:
            failures.append(f"{operation.method.upper()} {operation.path}: {err}")
    return failures


def _property(strategy: Any, base_url: str, headers: dict[str, str]) -> Any:
    @hypothesis.settings(
        max_examples=EXAMPLES * 3,
        deadline=None,
        derandomize=os.environ.get("EXITFLOW_FUZZ_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    return run


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzzed_requests_get_no_5xx_and_match_their_schema(
    signed_settings: Settings, task_queue: str
) -> None:
    """No generated request gets a 5xx or an answer its operation does not document."""
    settings = signed_settings.model_copy(update={"task_queue": task_queue})
    # A dev server of its own: generated session ids ("0", "A", ...) repeat from run to run,
    # and a session left on an earlier run's queue has no worker to answer its queries.
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=data_converter,
        search_attributes=list(search.ALL_KEYS),
        dev_server_log_level="error",
    )
    async with (
        env,
        running_worker(env.client, settings),
        running_api(settings, host="127.0.0.1", port=0, client=env.client) as url,
    ):
        async with httpx.AsyncClient(base_url=url) as http:
            session_ids = []
            for _ in range(3):
                body = start_body()
                platform = {"Authorization": f"Bearer {KEYS['platform']}"}
                response = await http.post("/v1/sessions", json=body, headers=platform)
                assert response.status_code == 201, response.text
                session_ids.append(body["session_id"])

        failures = await asyncio.to_thread(_fuzz, url, session_ids)

    assert not failures, "\n\n".join(failures)
