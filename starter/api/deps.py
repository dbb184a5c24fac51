"""What routes depend on: the app's shared clients, and a path's session id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from temporalio.client import Client

from contract.sessions import MAX_ID_LENGTH, SESSION_ID_PATTERN
from reports.registry import DEFAULT_TIMEOUT_SECONDS
from sessions.client import SessionClient
from sessions.link_tokens import LinkTokens
from starter.api.heartbeats import HeartbeatGate
from store import Store


@dataclass
class ApiState:
    """Everything the routes share; the API keeps no session state beyond the gate."""

    client: Client
    task_queue: str
    store: Store
    sessions: SessionClient
    heartbeats: HeartbeatGate = field(default_factory=HeartbeatGate)
    resume_token_key: bytes | None = None
    """Signs the resume tokens the API hands out and requires; None passes raw tokens."""
    report_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    """How long a report may query before the database stops it (503 ``report_timeout``)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def link_tokens(self) -> LinkTokens:
        """The candidates' link tokens, signed and opened with ``resume_token_key``."""
        return LinkTokens(self.sessions, self.resume_token_key)


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(_state)]
SessionId = Annotated[
    str,
    Path(
        max_length=MAX_ID_LENGTH,
        pattern=SESSION_ID_PATTERN,
        description="The platform's session id (1-128 chars of A-Za-z0-9._:-, not dots only).",
        examples=["s-20240510-0042"],
    ),
]
