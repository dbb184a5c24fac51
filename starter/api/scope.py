"""What a caller may see and act on, and who the actor of an act is (contract section 9).

An HR person sees the sessions, exits, reports and contests of the jobs in their scope only:
a session out of scope answers exactly as a session that does not exist (404), and lists
and reports leave out what is not theirs. Operations and API keys see every job.

A person's act is taken in their name, from the verified token: the body's ``actor`` is
ignored. An act made with an API key keeps the body's actor, marked ``verified: false``.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, Field

from contract.codes import ErrorCode
from contract.contests import ContestDecision
from contract.data_rights import ErasureInput, HoldInput, LiftHoldInput
from contract.sessions import MAX_ID_LENGTH, Actor, TerminateInput
from identity.principal import Principal
from sessions.client import read_session_view
from sessions.refusals import SessionRefused
from starter.api.auth import ApiError, invalid_field
from starter.api.deps import ApiState

_Acted = TypeVar("_Acted", bound=BaseModel)


def not_found() -> SessionRefused:
    """The answer for a session out of the caller's scope: the same as for no session."""
    return SessionRefused(ErrorCode.SESSION_NOT_FOUND, "No session has this id.", {})


async def require_session_in_scope(state: ApiState, reader: Principal, session_id: str) -> None:
    """Refuse, as if it did not exist, a session whose job the reader may not see.

    Raises:
        SessionRefused: ``session_not_found`` when it is out of scope or unknown.
    """
    if reader.jobs is None:
        return
    job = await state.store.session_job(session_id)
    if job is None:
        # Not recorded yet (its first second): Temporal knows its job.
        job = (await read_session_view(state.sessions, state.store, session_id)).job_id
    if not reader.may_see_job(job):
        raise not_found()


def acting(reader: Principal, claimed: Actor | None) -> Actor:
    """The actor of an act: the signed-in person, or the body's actor for an API key.

    Raises:
        ApiError: 422 naming ``actor`` when a key sends none; 403 when the provider's
            subject cannot serve as an actor id.
    """
    if reader.verified:
        name = reader.name or reader.email or reader.subject
        try:
            return Actor(id=reader.subject, name=name[:200], verified=True)
        except ValueError:
            raise ApiError(
                403,
                "forbidden",
                f"Your sign-in's subject cannot be recorded as an actor (1-{MAX_ID_LENGTH} "
                "characters of A-Za-z0-9._:@/-); ask for an API key or another account.",
            ) from None
    if claimed is None:
        raise invalid_field("actor", "actor is required when acting with an API key.")
    return claimed.model_copy(update={"verified": False})


def require_every_job(reader: Principal) -> None:
    """Refuse an act on a candidate as a whole (a hold, an erasure) to a reader whose scope
    is some jobs only: it reaches the candidate's sessions for every job.

    Raises:
        ApiError: 403 ``forbidden``.
    """
    if reader.jobs is not None:
        raise beyond_scope(
            reader.jobs, "Holds and erasures reach a candidate's sessions for every job"
        )


def beyond_scope(jobs: frozenset[str], reaches: str) -> ApiError:
    """The 403 for an act that ``reaches`` past a reader whose scope is ``jobs``."""
    return ApiError(
        403,
        "forbidden",
        f"{reaches}: ask someone whose scope is every job (*).",
        {"scope": sorted(jobs)[:20]},
    )


_ACTOR = Field(
    default=None,
    description="Who acts: required with an API key (recorded verified: false); ignored for "
    "a signed-in person, whose token names them (verified: true).",
)


# The bodies of the routes where a person acts: the contract's input, with ``actor`` left
# to the credential. Narrowing a field's type is what pydantic subclasses are for.
class TerminateRequest(TerminateInput):
    """The employer stops the interview; the explanation is sent to the candidate."""

    actor: Actor | None = _ACTOR  # type: ignore[assignment]


class ContestDecisionRequest(ContestDecision):
    """HR's decision on a contest; the explanation is sent to the candidate."""

    actor: Actor | None = _ACTOR  # type: ignore[assignment]


class HoldRequest(HoldInput):
    """Keep the candidate's data for a legal matter."""

    actor: Actor | None = _ACTOR  # type: ignore[assignment]


class LiftHoldRequest(LiftHoldInput):
    """The legal matter is over."""

    actor: Actor | None = _ACTOR  # type: ignore[assignment]


class ErasureRequest(ErasureInput):
    """The candidate asked to be forgotten."""

    actor: Actor | None = _ACTOR  # type: ignore[assignment]


def acted(model: type[_Acted], body: BaseModel, reader: Principal) -> _Acted:
    """``body`` (one of the requests above) as ``model``, acted by :func:`acting`."""
    values = {name: getattr(body, name) for name in type(body).model_fields}
    values["actor"] = acting(reader, values.get("actor"))
    return model.model_validate(values)
