"""The failure converter of exitflow's data converter: an undecodable activity input is final.

The SDK fails an activity whose arguments do not decode with a *retryable*
``ApplicationError("Failed decoding arguments")``. The same payload decodes no better on the
next attempt: the record activity of a session whose saved state no longer fits its model
would retry forever, holding the session with it. Such a failure leaves the worker as
non-retryable, typed ``invalid_data`` like every other failure the data causes
(``activities/failures.py``), so that the workflow sees it at once and shows the step as
stuck until operations retry it.
"""

from __future__ import annotations

import temporalio.api.failure.v1
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

from activities.failures import INVALID_DATA

_UNDECODABLE = "Failed decoding arguments"
"""The message the SDK gives an activity whose arguments do not decode (temporalio 1.x)."""


class ExitflowFailureConverter(DefaultFailureConverter):
    """The default converter, except that an undecodable activity input is non-retryable."""

    def to_failure(
        self,
        exception: BaseException,
        payload_converter: PayloadConverter,
        failure: temporalio.api.failure.v1.Failure,
    ) -> None:
        """Convert as the default does, then mark an input decoding failure as final."""
        super().to_failure(exception, payload_converter, failure)
        if (
            isinstance(exception, ApplicationError)
            and exception.message == _UNDECODABLE
            and exception.type is None
        ):
            failure.application_failure_info.non_retryable = True
            failure.application_failure_info.type = INVALID_DATA
