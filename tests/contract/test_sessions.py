"""The contract's limits hold at every entrance, because they live on the models."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contract.refusals import field_errors
from contract.sessions import SessionPolicy, WithdrawInput
from tests.fixtures.temporal import session_body


def _fields(err: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [item["field"] for item in field_errors(err.value)]


def test_nul_characters_are_refused_naming_the_field() -> None:
    """A NUL byte, which PostgreSQL cannot store, is refused at the door, not in the record."""
    with pytest.raises(ValidationError) as comment:
        WithdrawInput.model_validate({"reason_code": "other", "comment": "a\x00b"})
    body = session_body().model_dump(mode="json")
    body["stages"] = ["self_intro", "skill\x00test"]
    with pytest.raises(ValidationError) as stages:
        type(session_body()).model_validate(body)

    assert _fields(comment) == ["comment"]
    assert _fields(stages) == ["stages.1"]


def test_a_reminder_beyond_the_longest_window_is_refused() -> None:
    """A reminder set absurdly early cannot overflow the workflow's clock arithmetic."""
    with pytest.raises(ValidationError) as caught:
        SessionPolicy(reminder_before_deadline_hours=1e12)

    assert _fields(caught) == ["reminder_before_deadline_hours"]


def test_unknown_fields_are_refused_not_dropped() -> None:
    """A misspelt field is an error the sender sees, not a silently ignored value."""
    with pytest.raises(ValidationError) as caught:
        WithdrawInput.model_validate({"reason_code": "other", "coment": "typo"})

    assert _fields(caught) == ["coment"]
