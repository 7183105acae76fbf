"""Responses of the API: create, fetch, and the error body of a failed request.

Every documented form is accepted: ``generation_id`` or ``id``, ``result`` or ``output``, an
``error`` that is an object or a string, or only in the result (AssemblyAI's transcript of a failed
job: ``status: "error"`` and its ``error`` string). Unknown fields are kept, never rejected.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from airflow_provider_aimlstt.models.status import SttStatus
from airflow_provider_aimlstt.tracing import Charge


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CreateResponse(_Lenient):
    """Answer of ``POST /v1/stt/create`` (200 or 201)."""

    generation_id: str = Field(min_length=1, validation_alias=AliasChoices("generation_id", "id"))
    status: str | None = None


class JobError(_Lenient):
    """The ``error`` payload of a job that ended with status ``error``."""

    name: str | None = None
    message: str | None = None


class FetchResponse(_Lenient):
    """Answer of ``GET /v1/stt/{generation_id}``."""

    id: str | None = Field(default=None, validation_alias=AliasChoices("id", "generation_id"))
    status: str
    result: dict[str, Any] | None = Field(default=None, validation_alias=AliasChoices("result", "output"))
    error: JobError | str | None = None
    charge: Charge | None = Field(default=None, exclude=True)
    """What this answer's headers say the fetch cost (not part of the API's body)."""

    @property
    def known_status(self) -> SttStatus | None:
        """The documented status, or None when the API sent one this provider does not know."""
        return SttStatus.parse(self.status)

    @property
    def is_finished(self) -> bool:
        """True when the job will not change any more (an undocumented status counts as pending)."""
        status = self.known_status
        return status is not None and status.is_finished

    @property
    def is_completed(self) -> bool:
        """True when the job finished with a result."""
        return self.known_status is SttStatus.COMPLETED

    @property
    def is_failed(self) -> bool:
        """True when the job ended with status ``error``."""
        return self.known_status is SttStatus.ERROR

    @property
    def error_reason(self) -> str:
        """The failure reason as one line, for messages: the answer's ``error``, else the result's."""
        if isinstance(self.error, JobError):
            parts = [part for part in (self.error.name, self.error.message) if part]
            if parts:
                return ": ".join(parts)
        elif self.error:
            return self.error
        in_result = (self.result or {}).get("error")
        return in_result if isinstance(in_result, str) and in_result else "no reason given"


class ApiErrorBody(_Lenient):
    """The documented error body: ``{message, path, requestId, statusCode, timestamp}``.

    ``model_dump(by_alias=True)`` gives the wire form.
    """

    message: str | list[str] | None = None
    path: str | None = None
    request_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("requestId", "request_id"),
        serialization_alias="requestId",
    )
    status_code: int | str | None = Field(
        default=None,
        validation_alias=AliasChoices("statusCode", "status_code"),
        serialization_alias="statusCode",
    )
    timestamp: str | None = None

    @property
    def text(self) -> str:
        """The message as one line."""
        if isinstance(self.message, list):
            return "; ".join(self.message)
        return self.message or ""
