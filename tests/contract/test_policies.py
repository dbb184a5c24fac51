"""The exit policy's fields (``contract.policies``): bounds, and no crash on any JSON."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contract.policies import ExitPolicyFields, PutPolicy

_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
_NAMES = st.sampled_from([*ExitPolicyFields.model_fields, "actor", "other"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAMES, _JSON, max_size=8) | _JSON)
def test_any_json_is_a_policy_or_a_validation_error(data: object) -> None:
    """Whatever JSON arrives, validating it gives a ``ValidationError`` naming a field, or a
    model whose JSON (what the store keeps) validates back to the same model."""
    for model in (ExitPolicyFields, PutPolicy):
        try:
            fields = model.model_validate(data)
        except ValidationError as err:
            assert err.errors()
        else:
            assert model.model_validate(fields.model_dump(mode="json")) == fields


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reminders_before_deadline_hours": [1, 1]}, "reminders_before_deadline_hours"),
        (
            {"reminders_before_deadline_hours": [1, 2, 3, 4, 5, 6]},
            "reminders_before_deadline_hours",
        ),
        ({"reminders_before_deadline_hours": [0]}, "reminders_before_deadline_hours.0"),
        ({"channels": ["sms", "sms"]}, "channels"),
        ({"job_ids": ["*", "job-1"]}, "job_ids"),
        ({"job_ids": [".."]}, "job_ids.0"),
        ({"contest_window_days": 1e-9}, "contest_window_days"),
        ({"risk_holdout_share": -0.1}, "risk_holdout_share"),
        ({"reapply_after_days": 366}, "reapply_after_days"),
    ],
)
def test_a_field_out_of_bounds_is_refused_by_name(values: dict[str, object], field: str) -> None:
    """Each out-of-bounds value is refused with its field's name (and only that one)."""
    with pytest.raises(ValidationError) as refused:
        ExitPolicyFields.model_validate(values)

    names = {".".join(map(str, error["loc"])) for error in refused.value.errors()}
    assert field in names


def test_reminders_are_kept_longest_first() -> None:
    """Lead times come back longest first, so that one set of reminders has one spelling."""
    fields = ExitPolicyFields.model_validate(
        {"resume_window_hours": 48, "reminders_before_deadline_hours": [2, 24]}
    )

    assert fields.reminders_before_deadline_hours == [24, 2]
