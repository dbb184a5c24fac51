"""Whatever value an exception text quotes, the log line and the failure's description do not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from activities.failures import describe
from contract.sessions import Candidate
from runtime.logs import mask_text

# Letters no exception kind, field name or message is made of, so a hit is a leak.
VALUES = st.text(alphabet="QXZqxzÆØ#%&", min_size=8, max_size=60) | st.builds(
    "{}, input_type={}".format,
    st.text(alphabet="QXZ", min_size=4),
    st.text(alphabet="qxz", min_size=4),
)
"""Plain values, and values that mimic the text around them to end the mask early."""


def _validation_error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Candidate.model_validate({"id": "c-1", "name": "Ann", "email": value, "phone": value})
    return caught.value


@settings(max_examples=100, deadline=None)
@given(value=VALUES)
def test_pydantic_input_values_are_masked_in_log_text(value: str) -> None:
    """``input_value=...`` in a rendered pydantic error never reaches a log line."""
    assert value not in mask_text(str(_validation_error(value)))


@settings(max_examples=100, deadline=None)
@given(value=VALUES)
def test_a_failure_description_names_fields_never_values(value: str) -> None:
    """What an activity fails with for a validation error holds the fields, not the value."""
    described = describe(_validation_error(value))
    assert value not in described and "email" in described


@settings(max_examples=100, deadline=None)
@given(value=VALUES, argument=st.integers(min_value=1, max_value=99))
def test_driver_and_sqlalchemy_quotes_are_masked(value: str, argument: int) -> None:
    """asyncpg's ``query argument $n: <value>`` and SQLAlchemy's ``[parameters: ...]``."""
    text = (
        f"(sqlalchemy.dialects.postgresql.asyncpg.Error) invalid input for query argument "
        f"${argument}: {value!r} (value out of range)\n[SQL: INSERT INTO sessions]\n"
        f"[parameters: ({value!r}, 'x')]"
    )
    masked = mask_text(text)
    assert value not in masked and "[SQL: INSERT INTO sessions]" in masked
