"""Property-based runs of the OpenAPI document against the real stack (schemathesis).

Every operation gets generated requests (valid ones, invalid ones, and valid ones aimed at
a real session), sent over HTTP to the app served by uvicorn beside a real worker, dev
server and database. Then the stateful run chains them: the links schemathesis infers (a
started session's id into every session route, a contest's id into its decision) and the
fault's resume token into the resume, so that generated sequences reach suspended, resumed,
ended and contested sessions. None may answer 5xx, and every answer must match what the
document says of that operation: its status codes, content type, headers and body schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, strategies
from hypothesis.stateful import Bundle, initialize
from schemathesis import GenerationMode

# Loaded here, at collection, not lazily by ``from_dict`` inside the worker thread: CPython
# 3.11.7 can fail compiling a module imported on a thread while another thread compiles
# ("AST constructor recursion depth mismatch"), and pytest compiles schemathesis's modules.
import schemathesis.specs.openapi.schemas  # isort: skip
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import StepInput
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
SCENARIOS = int(os.environ.get("EXITFLOW_FUZZ_SCENARIOS", "30"))
"""Sequences of the stateful run, each of at most ``STEPS`` calls."""
STEPS = 8

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _headers(operation: Any) -> dict[str, str]:
    """The key of the first role the operation admits (platform where any role will do)."""
    roles = operation.definition.raw.get("x-roles") or ["platform"]
    return {"Authorization": f"Bearer {KEYS[roles[0]]}"}


def _addressable(case: Any) -> None:
    """Replace an empty path parameter, so the request reaches its route.

    An empty one comes from a link (an erased candidate's id in a report). Ids of dots only
    are refused by the schema (an HTTP client would drop them from the URL as dot segments).
    """
    for name, value in (case.path_parameters or {}).items():
        if value == "":
            case.path_parameters[name] = "dot"


def _hypothesis_settings(max_examples: int, **more: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=os.environ.get("EXITFLOW_FUZZ_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        **more,
    )


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
        headers = _headers(operation)
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
    @_hypothesis_settings(
        EXAMPLES * 3, phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate]
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        _addressable(case)
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    return run


def _link_fault_to_resume(document: dict[str, Any]) -> None:
    """Add the one link schemathesis cannot infer: a fault's resume token into the resume."""
    fault = document["paths"]["/v1/sessions/{session_id}/fault"]["post"]
    resume = document["paths"]["/v1/sessions/{session_id}/resume"]["post"]
    fault["responses"]["202"]["links"] = {
        "ResumeWithTheToken": {
            "operationId": resume["operationId"],
            "parameters": {"session_id": "$request.path.session_id"},
            "requestBody": {"resume_token": "$response.body#/resume_token"},
        }
    }


def _stateful(base_url: str) -> None:
    """Run generated sequences of linked calls; raises on the first failing sequence."""
    document = httpx.get(f"{base_url}/openapi.json").json()
    _link_fault_to_resume(document)
    schema = schemathesis.openapi.from_dict(document)

    machine = schema.as_state_machine()
    start = schema["/v1/sessions"]["POST"]

    class LiveApi(machine):  # type: ignore[misc,valid-type]
        # Schemathesis takes the start for a poor entry point (its body names a job and a
        # candidate nothing else creates): every sequence begins with a valid one instead.
        @initialize(target=cast(Bundle[Any], machine.bundles["POST /v1/sessions -> 201"]))
        def start_a_session(self) -> Any:
            step = StepInput.initial(start.Case(body=start_body(), media_type="application/json"))
            # What the generated rules do before a step, so that links can find this parent.
            self.recorder.record_case(case=step.case)
            self.control.record_step(step, self.recorder)
            return self.step(step)

        def before_call(self, case: Any) -> None:
            _addressable(case)
            # The generated security header would replace the key of the operation's role.
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            case.headers = {**headers, **_headers(case.operation)}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "timeout": 30}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    # No shrinking: a failing sequence is reported as found, which keeps CI's time bounded.
    LiveApi.run(
        settings=_hypothesis_settings(
            SCENARIOS, stateful_step_count=STEPS, phases=[hypothesis.Phase.generate]
        )
    )


@contextlib.asynccontextmanager
async def _live_api(settings: Settings) -> AsyncIterator[tuple[str, list[str]]]:
    """The API over HTTP beside a worker and a dev server of its own, with three sessions
    started; yields its URL and their ids."""
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
        yield url, session_ids


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzzed_requests_get_no_5xx_and_match_their_schema(
    signed_settings: Settings, task_queue: str
) -> None:
    """No generated request gets a 5xx or an answer its operation does not document."""
    settings = signed_settings.model_copy(update={"task_queue": task_queue})

    async with _live_api(settings) as (url, session_ids):
        failures = await asyncio.to_thread(_fuzz, url, session_ids)

    assert not failures, "\n\n".join(failures)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_stateful_sequences_get_no_5xx_and_match_their_schema(
    signed_settings: Settings, task_queue: str
) -> None:
    """No generated sequence of linked calls (start, progress, fault, resume, withdraw,
    terminate, contest, decide, ...) gets a 5xx or an answer its operation does not
    document."""
    settings = signed_settings.model_copy(update={"task_queue": task_queue})

    async with _live_api(settings) as (url, _):
        await asyncio.to_thread(_stateful, url)
