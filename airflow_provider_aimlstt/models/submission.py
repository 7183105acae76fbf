"""A job the API accepted: its generation id, the client request id it was sent with, and its price."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from airflow_provider_aimlstt.tracing import Charge


class SubmittedJob(BaseModel):
    """What a create call (or the usage log, after an uncertain one) told us about a new job.

    JSON in and out, so tasks keep it in XCom, the task state store and trigger kwargs.

    :param generation_id: the job's id.
    :param client_request_id: the ``X-Client-Request-Id`` the create was sent with.
    :param charge: what the create was charged, when the answer (or the log row) said.
    :param found_in_usage_log: True when the create's answer was lost and the job was found in
        the usage log by its client request id instead.
    :param reused: True when an earlier try of the task submitted it.
    :param submitted_at: epoch seconds when the create was answered (None for a reused job).
    :param audio_seconds: the audio's duration, when its upload's head tells it
        (:mod:`~airflow_provider_aimlstt.audio_duration`).
    :param expected_finish: when the job is predicted to finish, ``(earliest, latest)`` seconds
        after ``submitted_at`` (:mod:`~airflow_provider_aimlstt.job_timing`); None when nothing was
        learned of the model.
    """

    model_config = ConfigDict(frozen=True)

    generation_id: str
    client_request_id: str | None = None
    charge: Charge | None = None
    found_in_usage_log: bool = False
    reused: bool = False
    submitted_at: float | None = None
    audio_seconds: float | None = None
    expected_finish: tuple[float, float] | None = None
