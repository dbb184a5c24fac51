"""The messages of a termination contest, shaped as the HTTP bodies of the contest routes.

A terminated candidate contests with the token from the termination email and a statement
(``contest`` update, ``POST /v1/sessions/{id}/contest``); HR decides it (``decide_contest``
update, ``POST /v1/contests/{contest_id}/decision``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel

from contract.bounds import SingleLine, Text
from contract.codes import ContestStatus, SessionStatus
from contract.sessions import Actor, ContractInput, Identifier


class ContestInput(ContractInput):
    """The candidate contests the termination, in their own words."""

    contest_token: Annotated[str, SingleLine(min_length=1, max_length=512)]
    statement: Annotated[str, Text(min_length=1, max_length=4000)]


class ContestDecision(ContractInput):
    """HR's decision on a contest; the explanation is sent to the candidate."""

    outcome: Literal["upheld", "overturned"]
    explanation: Annotated[str, Text(min_length=20, max_length=2000)]
    actor: Actor


class ContestDecisionInput(ContestDecision):
    """Payload of the ``decide_contest`` update: the decision, naming the contest decided.

    Naming it means a decision reviewed against one contest can never land on another
    (say, the contest of a later termination of the same session).
    """

    contest_id: Identifier


class ContestReceipt(BaseModel):
    """What the candidate gets back for a contest, and HR for a decision."""

    contest_id: str
    session_id: str
    exit_id: str
    status: ContestStatus
    contested_at: datetime
    decided_at: datetime | None = None
    session_status: SessionStatus
    resume_deadline: datetime | None = None
    """Set once an overturn has reinstated the session: when its resume window closes."""
    message: str
    """For the candidate after a contest, for HR after a decision; in the candidate's
    language."""
