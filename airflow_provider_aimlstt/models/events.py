"""The event a trigger sends back to the task: small, and never the transcript itself."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from airflow_provider_aimlstt.tracing import Charge


class SttTriggerEvent(BaseModel):
    """What :class:`~airflow_provider_aimlstt.triggers.job.AimlSttTrigger` yields.

    :param status: ``success`` (job completed), ``error`` (job failed or could not be polled) or
        ``timeout`` (the deadline passed first).
    :param generation_id: the job.
    :param message: a sentence for the task log.
    :param api_status: the last status the API reported, if any.
    :param http_status: for an ``error`` that was an HTTP error answer (401, 404, 5xx, ...), its
        status code, so the task raises the same exception class a worker would.
    :param poll_charge: what the trigger's polls were charged, summed, when their answers said.
    :param found_at: for a finished job, epoch seconds of the poll that saw it finished.
    :param last_pending_at: epoch seconds when the trigger sent its last poll that saw the job pending.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["success", "error", "timeout"]
    generation_id: str
    message: str
    api_status: str | None = None
    http_status: int | None = None
    poll_charge: Charge | None = None
    found_at: float | None = None
    last_pending_at: float | None = None
