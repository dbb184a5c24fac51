"""The API's request id, carried to the workflow as a Temporal header and onto its logs.

The client side reads the ``request_id`` that the API's access log bound in structlog's
contextvars and adds it as the ``exitflow-request-id`` header of every start, update,
signal and query. The worker side binds it for the handler that serves the message, so
every ``workflow.logger`` line written meanwhile has a ``request_id`` attribute (which
structlog's ``ExtraAdder`` turns into a key of the JSON line).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import structlog
from temporalio import client, workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import default as default_converter
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

HEADER = "exitflow-request-id"

_request_id: ContextVar[str | None] = ContextVar("exitflow_request_id", default=None)


def current_request_id() -> str | None:
    """The request id the workflow code running now was called with, if any."""
    return _request_id.get()


def with_request_ids(temporal: client.Client) -> client.Client:
    """The same connection and namespace, with request ids added to what it sends."""
    config = temporal.config()
    config["interceptors"] = [*config["interceptors"], RequestIdClientInterceptor()]
    return client.Client(**config)


def _with_header(headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if not isinstance(request_id, str):
        return headers
    return {**headers, HEADER: default_converter().payload_converter.to_payload(request_id)}


class _Outbound(client.OutboundInterceptor):
    async def start_workflow(
        self, input: client.StartWorkflowInput
    ) -> client.WorkflowHandle[Any, Any]:
        input.headers = _with_header(input.headers)
        return await super().start_workflow(input)

    async def start_workflow_update(
        self, input: client.StartWorkflowUpdateInput
    ) -> client.WorkflowUpdateHandle[Any]:
        input.headers = _with_header(input.headers)
        return await super().start_workflow_update(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = _with_header(input.headers)
        await super().signal_workflow(input)

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        input.headers = _with_header(input.headers)
        return await super().query_workflow(input)


class RequestIdClientInterceptor(client.Interceptor):
    """Adds the bound request id to every start, update, signal and query."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Outbound(next)


class _AddRequestId(logging.Filter):
    """Puts the bound request id on each workflow log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None:
            record.request_id = request_id
        return True


_FILTER = _AddRequestId()


@contextlib.contextmanager
def _bound(headers: Mapping[str, Payload]) -> Iterator[str | None]:
    payload = headers.get(HEADER)
    request_id = None
    if payload is not None:
        with contextlib.suppress(Exception):
            request_id = workflow.payload_converter().from_payload(payload, str)
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        # An evicted run is closed from another context; it is discarded with its value.
        with contextlib.suppress(ValueError):
            _request_id.reset(token)


class _Inbound(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        # The whole run is attributed to the request that started it; each message then
        # binds its own id for the time its handler runs.
        with _bound(input.headers):
            return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        with _bound(input.headers) as request_id:
            if request_id is not None:
                workflow.logger.debug("signal %s", input.signal)
            await super().handle_signal(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        with _bound(input.headers):
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        with _bound(input.headers) as request_id:
            if request_id is not None:
                workflow.logger.info("update %s", input.update)
            return await super().handle_update_handler(input)


class RequestIdWorkerInterceptor(Interceptor):
    """Binds each message's request id while its workflow handler runs."""

    def __init__(self) -> None:
        """Attach the filter that copies the id onto ``temporalio.workflow`` records."""
        workflow_logger = logging.getLogger(workflow.logger.logger.name)
        if _FILTER not in workflow_logger.filters:
            workflow_logger.addFilter(_FILTER)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        """The inbound interceptor of every workflow run."""
        return _Inbound
