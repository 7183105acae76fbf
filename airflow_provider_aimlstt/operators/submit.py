"""The submit operator: starts a transcription job and returns its generation id."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, ObjectStoragePath

from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID

if TYPE_CHECKING:  # what only running the task needs is imported there, not when a DAG is parsed
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
    from airflow_provider_aimlstt.models.request import TranscriptionRequest

MODEL_XCOM_KEY = "model"
"""The XCom key under which the submit operator records the model id, for a sensor's ``model``."""
SUBMISSION_XCOM_KEY = "submission"
"""The XCom key of the submit operator's :class:`SubmittedJob` (ids and charge), for a sensor's
``submission``."""


class AimlSttSubmitOperator(BaseOperator):
    """Submit audio for transcription; the generation id is the task's return value (XCom).

    The model id is pushed too (key ``model``), and the submission (key ``submission``:
    generation id, client request id, charge). A sensor waiting on this task's job is given them,
    to read the result as that model's and to report the job's cost::

        from airflow.providers.common.compat.sdk import XComArg

        submit = AimlSttSubmitOperator(task_id="submit", model="#g1_nova-2-general", audio_path=path)
        wait = AimlSttSensor(
            task_id="wait",
            generation_id=submit.output,
            model=XComArg(submit, key=MODEL_XCOM_KEY),
            submission=XComArg(submit, key=SUBMISSION_XCOM_KEY),
        )

    Everything is validated before any request is sent: the model id, exactly one audio source,
    the file (exists, readable, not empty), the URL (http or https) and the options (names and
    types of the model's own create schema).

    A retry of the task does not submit twice: the generation id is kept in Airflow's task state
    store, and a later try reuses it while the job is pending or completed (see
    :mod:`~airflow_provider_aimlstt.operators.submission_state`). A submission that failed after it
    may have reached the API fails the task without further tries, since the job may exist.

    :param model: the model id, for example ``#g1_nova-2-general``. Templated.
    :param audio_url: an http(s) URL of the audio. Templated.
    :param audio_path: the audio file, uploaded in a stream: a local path, or an
        ``ObjectStoragePath`` or URI (``s3://aws_default@bucket/call.wav``, ``file:///data/a.wav``).
        Templated.
    :param options: the model's options (its create schema's), for example ``{"diarize": True}``. Templated.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param allow_unknown_model: accept a model id this provider does not list yet.
    :param max_upload_bytes: refuse a local file larger than this, before uploading anything.
    :param resubmit_if_not_logged: when a submission's answer is lost and the API's usage log
        shows no job made by it, submit again instead of failing (default False).
    """

    template_fields: Sequence[str] = ("model", "audio_url", "audio_path", "options")
    ui_color = "#b9e4d8"

    def __init__(
        self,
        *,
        model: str,
        audio_url: str | None = None,
        audio_path: str | ObjectStoragePath | None = None,
        options: dict[str, Any] | None = None,
        aimlstt_conn_id: str = DEFAULT_CONN_ID,
        allow_unknown_model: bool = False,
        max_upload_bytes: int | None = None,
        resubmit_if_not_logged: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.audio_url = audio_url
        self.audio_path = audio_path
        self.options = options
        self.aimlstt_conn_id = aimlstt_conn_id
        self.allow_unknown_model = allow_unknown_model
        self.max_upload_bytes = max_upload_bytes
        self.resubmit_if_not_logged = resubmit_if_not_logged

    @cached_property
    def hook(self) -> AimlSttHook:
        """The hook of the task's connection."""
        from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook

        return AimlSttHook(
            aimlstt_conn_id=self.aimlstt_conn_id, resubmit_if_not_logged=self.resubmit_if_not_logged
        )

    def build_request(self) -> TranscriptionRequest:
        """The validated request, from the rendered fields."""
        from airflow_provider_aimlstt.models.request import TranscriptionRequest

        return TranscriptionRequest.build(
            model=self.model,
            audio_url=self.audio_url or None,
            audio_path=str(self.audio_path) if self.audio_path else None,
            options=self.options or {},
            allow_unknown_model=self.allow_unknown_model,
            max_upload_bytes=self.max_upload_bytes,
        )

    def execute(self, context: Any) -> str:
        """Validate, submit (or reuse an earlier try's job), and return the generation id."""
        from airflow_provider_aimlstt.audio_source import AudioSource
        from airflow_provider_aimlstt.job_timing import with_expected_time
        from airflow_provider_aimlstt.operators.submission_state import submit_once

        request = self.build_request()
        submission = submit_once(context, self.hook, request, AudioSource.of(request).checked(), self.log)
        submission = with_expected_time(submission, self.aimlstt_conn_id, request.model, self.log)
        context["ti"].xcom_push(key=MODEL_XCOM_KEY, value=request.model)
        context["ti"].xcom_push(key=SUBMISSION_XCOM_KEY, value=submission.model_dump(mode="json"))
        return submission.generation_id
