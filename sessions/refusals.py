"""The one refusal the CLI and the API both report: a contract code, a sentence, the facts."""

from __future__ import annotations

from typing import Any

from contract.codes import ErrorCode


class SessionRefused(Exception):
    """A session refused a command; carries the contract's error code and details."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        """Keep the code, the sentence and the details of the refusal."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def field_refused(field: str, message: str, code: str = ErrorCode.INVALID_FIELD) -> SessionRefused:
    """A refusal naming ``field``, in the shape the API's 422 has (``details.fields``)."""
    return SessionRefused(code, message, {"fields": [{"field": field, "message": message}]})
