"""Which activity failures retrying cannot fix, and what the worker does with them.

Every activity runs behind :class:`FailureInterceptor`. An exception that comes from the data
(a validation error, a value out of range, a constraint the row breaks, a header the data
makes invalid) would fail the same way on every retry: it leaves the activity as a
non-retryable ``ApplicationError`` whose ``type`` names the class of failure, so the
workflow hears of it at once instead of retrying it for hours or forever. Anything else
(connection errors, timeouts, a database that is down) keeps retrying as its policy says,
and is reported once its attempts pass :data:`ALERT_AFTER_ATTEMPTS`.

The error that leaves is built from the exception's kind, never from its text: drivers and
validators quote the values they refused (``invalid input for query argument $5: 'Ann'``,
``input_value='Ann'``), and this error reaches the worker's log, Temporal's history and
the delivery rows.
"""

from __future__ import annotations

from email.errors import MessageError
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import DataError as SqlDataError
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.metrics import count_failing_long, count_permanent_failure

INVALID_DATA = "invalid_data"
"""The data cannot be stored or sent as it is: a validation error, a value out of range."""
INTEGRITY = "integrity"
"""The row breaks a database constraint."""
PERMANENT_DELIVERY = "permanent_delivery"
"""The receiving system refused the message for good (SMTP 5xx, an HTTP 4xx)."""
PERMANENT_TYPES = frozenset({INVALID_DATA, INTEGRITY, PERMANENT_DELIVERY})

ALERT_AFTER_ATTEMPTS = 10
"""A retryable failure is logged and counted at this attempt and every multiple of it."""

_DATA_EXCEPTIONS = (ValueError, OverflowError, MessageError)
"""Raised by our code, pydantic, the ``email`` package or a bind processor on a bad value.

``ValueError`` covers pydantic's ``ValidationError`` and ``UnicodeError``.
"""
_SQLSTATE_TYPES = {"22": INVALID_DATA, "23": INTEGRITY}
"""SQLSTATE classes: 22 data exception, 23 integrity constraint violation."""

log = structlog.get_logger(__name__)


def classify(err: BaseException) -> str | None:
    """The permanent failure type of ``err``, or None when retrying may help."""
    if isinstance(err, IntegrityError):
        return INTEGRITY
    if isinstance(err, SqlDataError):
        return INVALID_DATA
    if isinstance(err, DBAPIError):
        sqlstate = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
        return _SQLSTATE_TYPES.get(str(sqlstate)[:2]) if sqlstate else None
    if isinstance(err, StatementError):
        # Raised before the database saw the statement: a bind processor refused a value.
        return INVALID_DATA if isinstance(err.orig, _DATA_EXCEPTIONS) else None
    if isinstance(err, _DATA_EXCEPTIONS):
        return INVALID_DATA
    return None


def describe(err: BaseException) -> str:
    """What failed, without a single value from the data: exception kinds and field names.

    A pydantic error names its fields and error types; a database error its SQLSTATE and the
    statement's first words; everything else its exception classes, outermost first.
    """
    kinds = [type(err).__name__]
    orig = getattr(err, "orig", None)
    if isinstance(orig, BaseException):
        kinds.append(type(orig).__name__)
    if isinstance(err, ValidationError):
        fields = ", ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'value'} ({item['type']})"
            for item in err.errors(include_url=False)[:5]
        )
        return f"{err.title} failed validation: {fields}"
    text = " from ".join(kinds)
    if isinstance(err, StatementError):
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        words = " ".join(str(err.statement or "").split()[:3])
        text += f" (SQLSTATE {sqlstate})" if sqlstate else ""
        text += f" in {words!r}" if words else ""
    return text


def permanent_error(err: BaseException, failure_type: str) -> ApplicationError:
    """The non-retryable error an activity fails with for ``err``."""
    return ApplicationError(
        f"{describe(err)}; retrying cannot fix this",
        {"failure_type": failure_type},
        type=failure_type,
        non_retryable=True,
    )


class FailureInterceptor(Interceptor):
    """Makes data-caused activity failures permanent and reports long-retrying ones."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap every activity the worker runs."""
        return _ClassifyingInbound(next)


class _ClassifyingInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except ApplicationError as err:
            if not err.non_retryable:
                _alert_if_long(err)
            raise
        except Exception as err:
            failure_type = classify(err)
            if failure_type is None:
                _alert_if_long(err)
                raise
            info = activity.info()
            log.error(
                "activity_failed_for_good",
                failure_type=failure_type,
                error=describe(err),
                attempt=info.attempt,
            )
            count_permanent_failure(info.activity_type, failure_type)
            # From None: the cause's text quotes the refused values (see the module's doc).
            raise permanent_error(err, failure_type) from None


def _alert_if_long(err: BaseException) -> None:
    attempt = activity.info().attempt
    if attempt % ALERT_AFTER_ATTEMPTS:
        return
    failure_type = err.type if isinstance(err, ApplicationError) else None
    log.warning(
        "activity_still_failing",
        attempt=attempt,
        failure_type=failure_type or type(err).__name__,
        error=describe(err),
    )
    count_failing_long(activity.info().activity_type)
