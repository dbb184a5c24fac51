"""Refusals: every refused command is an ``ApplicationError`` typed with the contract's code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from contract.codes import ErrorCode


def refusal(
    code: ErrorCode, message: str, *, field: str | None = None, **details: Any
) -> ApplicationError:
    """Build the error a refused update fails with.

    Args:
        code: The contract's error code; becomes the error's ``type``.
        message: One sentence a person can act on.
        field: The input field at fault, when there is one.
        details: Further facts (the session's status, a deadline, ...).

    Returns:
        A non-retryable ``ApplicationError`` whose first detail is a dict of the facts.
    """
    facts: dict[str, Any] = dict(details)
    if field is not None:
        facts["fields"] = [{"field": field, "message": message}]
    return ApplicationError(message, facts, type=code.value, non_retryable=True)


def field_errors(err: ValidationError) -> list[dict[str, str]]:
    """Name each invalid field of a pydantic error as ``a.b.0.c`` with its message."""
    return [
        {"field": ".".join(str(part) for part in item["loc"]) or "body", "message": item["msg"]}
        for item in err.errors(include_url=False)
    ]


def invalid_input(errors: Iterable[Mapping[str, str]]) -> ApplicationError:
    """The refusal for input that does not fit its model, naming every bad field."""
    fields = [dict(item) for item in errors]
    names = ", ".join(item["field"] for item in fields)
    return ApplicationError(
        f"Invalid value for {names}: {fields[0]['message']}",
        {"fields": fields},
        type=ErrorCode.INVALID_FIELD.value,
        non_retryable=True,
    )
