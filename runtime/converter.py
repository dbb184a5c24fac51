"""The data converter every exitflow client and worker uses.

It is ``pydantic_data_converter`` with one change: a payload that does not fit its model
becomes an ``ApplicationError`` of type ``invalid_field`` naming the fields, so that a
platform driving a session over Temporal gets the same refusal as one using the API,
instead of an opaque "Failed decoding arguments".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import temporalio.api.common.v1
from pydantic import ValidationError
from temporalio.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    pydantic_data_converter,
)
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

from contract.refusals import field_errors, invalid_input
from runtime.failure_converter import ExitflowFailureConverter


class _RefusingPydanticJSONConverter(PydanticJSONPlainPayloadConverter):
    def from_payload(
        self,
        payload: temporalio.api.common.v1.Payload,
        type_hint: type | None = None,
    ) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as err:
            raise invalid_input(field_errors(err)) from None


class ExitflowPayloadConverter(CompositePayloadConverter):
    """Pydantic JSON payloads whose validation errors are contract refusals."""

    def __init__(self) -> None:
        """Compose the default converters around the refusing JSON converter."""
        super().__init__(
            *(
                _RefusingPydanticJSONConverter()
                if isinstance(converter, JSONPlainPayloadConverter)
                else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


data_converter: DataConverter = dataclasses.replace(
    pydantic_data_converter,
    payload_converter_class=ExitflowPayloadConverter,
    failure_converter_class=ExitflowFailureConverter,
)
