"""Which activity failures are permanent, and that what is said of them quotes no data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.failure.v1 import Failure
from temporalio.converter import default as default_converter
from temporalio.exceptions import ApplicationError

from activities.email.mime import build_candidate_message
from activities.email.templates import render_candidate_email
from activities.failures import INTEGRITY, INVALID_DATA, classify, describe, permanent_error
from contract.codes import EventType
from contract.sessions import Candidate, Consent
from runtime.failure_converter import ExitflowFailureConverter
from store import Store
from tests.fixtures.database import make_event
from tests.store.helpers import count, execute

NAME = "Zebulon Quixotebright"
EMAIL = "zebulon.quixotebright@example.com"


async def _failure_of(store: Store, event: object) -> SQLAlchemyError:
    with pytest.raises(SQLAlchemyError) as caught:
        await store.record_event(event)  # type: ignore[arg-type]
    return caught.value


async def test_finding_1_overflowing_timestamp_is_invalid_data_and_writes_nothing(
    store: Store,
) -> None:
    """finding 1: the year-1 consent time that overflowed the write, were it to get past the
    contract, is ``invalid_data`` (not retried), said without the candidate's name, and leaves
    no row of the event behind."""
    event = make_event(EventType.STARTED)
    snapshot = event.session.model_copy(
        update={
            "candidate": event.session.candidate.model_copy(update={"name": NAME}),
            "consent": Consent.model_construct(
                notice_version="v1",
                accepted_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            ),
        }
    )
    poisoned = event.model_copy(update={"session": snapshot})

    err = await _failure_of(store, poisoned)

    assert classify(err) == INVALID_DATA
    assert NAME not in describe(err) and "0001" not in describe(err)
    assert NAME not in str(err), "hide_parameters keeps the row out of the error's text"
    for table in ("session_events", "sessions", "audit_log"):
        assert await count(store, table, event.session.session_id) == 0


async def test_a_broken_constraint_is_integrity(store: Store) -> None:
    """A row that breaks a database constraint is ``integrity``, said without its values."""
    event = make_event(EventType.STARTED)
    await store.record_event(event)
    sql = "INSERT INTO session_events SELECT * FROM session_events WHERE CAST(:name AS TEXT) > ''"

    with pytest.raises(SQLAlchemyError) as caught:
        await execute(store, sql, name=NAME)

    assert classify(caught.value) == INTEGRITY
    assert NAME not in describe(caught.value)
    assert NAME not in str(caught.value)


async def test_an_unreachable_database_is_retried() -> None:
    """A database that cannot be opened is not the data's fault: retrying may help."""
    store = Store.from_url("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(Exception) as caught:
            await store.record_event(make_event(EventType.STARTED))
    finally:
        await store.dispose()

    assert classify(caught.value) is None


def test_a_validation_error_is_invalid_data_and_names_fields_not_values() -> None:
    """A pydantic error is ``invalid_data``; its description names the field, never the value."""
    with pytest.raises(ValidationError) as caught:
        Candidate.model_validate({"id": "c-1", "name": NAME, "email": f"{NAME} <{EMAIL}"})

    assert classify(caught.value) == INVALID_DATA
    described = describe(caught.value)
    assert "email" in described
    assert NAME not in described and "zebulon" not in described.lower()


def test_an_email_header_the_data_breaks_is_invalid_data() -> None:
    """finding 4: a name with CR/LF (refused at the edge now) breaks the email's ``To``
    header; had it got through, the failure would be ``invalid_data``, never retried."""
    event = make_event(EventType.WITHDRAWN)
    rendered = render_candidate_email(event, resume_url_base="https://x.example/r")
    candidate = Candidate.model_construct(**{**event.session.candidate.__dict__, "name": "A\r\nB"})
    broken = event.model_copy(
        update={"session": event.session.model_copy(update={"candidate": candidate})}
    )

    with pytest.raises(ValueError) as caught:
        build_candidate_message(broken, rendered, mail_from="x <no-reply@x.example>")

    assert classify(caught.value) == INVALID_DATA


@pytest.mark.parametrize(
    "err",
    [
        ConnectionRefusedError("refused"),
        TimeoutError(),
        httpx.ConnectError("no route"),
        KeyError("bug: retried until a deploy fixes it"),
    ],
)
def test_transient_and_unknown_failures_keep_retrying(err: Exception) -> None:
    """Connection errors, timeouts and unknown exceptions are left to the retry policy."""
    assert classify(err) is None


def test_the_permanent_error_is_non_retryable_and_typed() -> None:
    """What the interceptor raises stops Temporal's retries and says which class it is."""
    err = permanent_error(OverflowError("date value out of range"), INVALID_DATA)

    assert (err.type, err.non_retryable) == (INVALID_DATA, True)
    assert "OverflowError" in err.message


def test_an_undecodable_activity_input_is_final() -> None:
    """The SDK's retryable "Failed decoding arguments" leaves the worker non-retryable."""
    failure = Failure()
    undecodable = ApplicationError("Failed decoding arguments")
    converter = default_converter().payload_converter

    ExitflowFailureConverter().to_failure(undecodable, converter, failure)

    info = failure.application_failure_info
    assert (info.non_retryable, info.type) == (True, INVALID_DATA)


def test_other_application_errors_are_left_as_raised() -> None:
    """Only that one SDK error is changed: an activity's own retryable error stays retryable."""
    failure = Failure()
    converter = default_converter().payload_converter
    retryable = ApplicationError("mail server down", type="smtp_unavailable")

    ExitflowFailureConverter().to_failure(retryable, converter, failure)

    assert (failure.application_failure_info.non_retryable, failure.message) == (
        False,
        "mail server down",
    )
