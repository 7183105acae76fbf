"""The answer of ``GET /v2/logs``: one row per request, with its ids, status and cost.

Read leniently, like every answer: unknown fields are kept, and a row the provider cannot use
(no inference id, say) is still a row.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from airflow_provider_aimlstt.tracing import Charge

SUCCEEDED = "succeeded"
"""The status of a logged request that the API carried out (a failed one was billed nothing)."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class UsageLogRow(_Lenient):
    """One logged request.

    :param created: when the request was made (ISO-8601, UTC).
    :param status: ``succeeded`` or ``failed``.
    :param model: the model the request named.
    :param cost: what it was charged (zero when it failed).
    :param inference_id: the id the charge is recorded under; for a create, the generation id.
    :param client_request_id: the ``X-Client-Request-Id`` sent with it, or None.
    """

    created: str | None = None
    status: str | None = None
    model: str | None = None
    cost: Charge | None = None
    inference_id: str | None = None
    client_request_id: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the API carried the request out."""
        return self.status == SUCCEEDED


class UsageLogPagination(_Lenient):
    """Where a page sits among the rows that match."""

    limit: int = 0
    offset: int = 0
    total: int = 0
    has_more: bool = False


class UsageLogPage(_Lenient):
    """One page of ``GET /v2/logs``, newest row first."""

    data: list[UsageLogRow] = Field(default_factory=list)
    pagination: UsageLogPagination = Field(default_factory=UsageLogPagination)
