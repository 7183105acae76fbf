"""The submit operator: starts a transcription job and returns its generation id."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_aimlstt.exceptions import AimlSttSubmissionUncertainError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.operators.submission_state import remember_submission, reusable_generation_id


class AimlSttSubmitOperator(BaseOperator):
    """Submit audio for transcription; the generation id is the task's return value (XCom).

    Everything is validated before any request is sent: the model id, exactly one audio source,
    the file (exists, readable, not empty), the URL (http or https) and the options (names and
    types of the model's family).

    A retry of the task does not submit twice: the generation id is kept in Airflow's task state
    store, and a later try reuses it while the job is pending or completed (see
    :mod:`~airflow_provider_aimlstt.operators.submission_state`). A submission that failed after it
    may have reached the API fails the task without further tries, since the job may exist.

    :param model: the model id, for example ``#g1_nova-2-general``. Templated.
    :param audio_url: an http(s) URL of the audio. Templated.
    :param audio_path: a local audio file, uploaded from disk in a stream. Templated.
    :param options: the model family's options, for example ``{"diarize": True}``. Templated.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param allow_unknown_model: accept a model id this provider does not list yet.
    :param api_retries: retries of each API call; None reads the connection (default 5).
    :param max_upload_bytes: refuse a local file larger than this, before uploading anything.
    """

    template_fields = ("model", "audio_url", "audio_path", "options")
    ui_color = "#b9e4d8"

    def __init__(
        self,
        *,
        model: str,
        audio_url: str | None = None,
        audio_path: str | None = None,
        options: dict[str, Any] | None = None,
        aimlstt_conn_id: str = AimlSttHook.default_conn_name,
        allow_unknown_model: bool = False,
        api_retries: int | None = None,
        max_upload_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.audio_url = audio_url
        self.audio_path = audio_path
        self.options = options
        self.aimlstt_conn_id = aimlstt_conn_id
        self.allow_unknown_model = allow_unknown_model
        self.api_retries = api_retries
        self.max_upload_bytes = max_upload_bytes

    @cached_property
    def hook(self) -> AimlSttHook:
        """The hook for the configured connection."""
        return AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id, api_retries=self.api_retries)

    def build_request(self) -> TranscriptionRequest:
        """The validated request, from the rendered fields."""
        return TranscriptionRequest.build(
            model=self.model,
            audio_url=self.audio_url or None,
            audio_path=self.audio_path or None,
            options=self.options or {},
            allow_unknown_model=self.allow_unknown_model,
            max_upload_bytes=self.max_upload_bytes,
        )

    def execute(self, context: Any) -> str:
        """Validate, submit (or reuse an earlier try's job), and return the generation id."""
        request = self.build_request()
        reused = reusable_generation_id(context, self.hook, request, self.log)
        if reused is not None:
            return reused
        try:
            generation_id = self.hook.submit(request)
        except AimlSttSubmissionUncertainError as exc:
            raise AirflowFailException(str(exc)) from exc  # another try could pay twice
        remember_submission(context, request, generation_id, self.log)
        return generation_id
