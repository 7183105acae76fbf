"""Submit and wait in one task: audio in, transcript files (or the result) out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from airflow.configuration import conf

from airflow_provider_aimlstt.exceptions import AimlSttTimeoutError, AimlSttValidationError
from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin
from airflow_provider_aimlstt.models.families import ModelFamily
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.operators.aimlstt import AimlSttSubmitOperator
from airflow_provider_aimlstt.operators.delivery import (
    DEFAULT_FORMATS,
    check_output_settings,
    deliver,
)
from airflow_provider_aimlstt.operators.submission_state import submit_once
from airflow_provider_aimlstt.triggers.aimlstt import BACKOFF_FACTOR, AimlSttTrigger, check_event

GENERATION_ID_XCOM_KEY = "generation_id"
TEXT_ONLY_FAMILIES = frozenset({ModelFamily.OPENAI, ModelFamily.MICROSOFT})


class AimlSttTranscribeOperator(TranscriptionLineageMixin, AimlSttSubmitOperator):
    """Transcribe audio in one task: submit it, wait for the job, then write or return the transcript.

    The generation id is pushed to XCom (key ``generation_id``) as soon as the job is accepted,
    before the wait. The wait runs in the triggerer when ``deferrable`` (the default follows
    ``[operators] default_deferrable``), else on the worker. A retry of the task reuses the job
    while it is pending or completed, and submits again when it ended in ``error`` or expired.

    With ``output_path`` the transcript is written there in each of ``formats`` (``txt``,
    ``json``, ``srt``, ``vtt``) and the task returns a small summary; an ``Asset`` or
    ``AssetAlias`` in ``outlets`` gets an event whose ``extra`` holds the generation id and the
    paths. Without it, the task returns the API's ``result`` object.

    Takes every argument of :class:`AimlSttSubmitOperator`, and:

    :param output_path: a folder for the transcript files: a local path, a URI (``s3://...``,
        ``file://...``) or an ``ObjectStoragePath``. Templated.
    :param formats: the formats to write (default json and txt).
    :param output_name: the files' name without suffix; default the audio file's stem, or the
        generation id for an ``audio_url``. Templated.
    :param output_conn_id: the Airflow connection of the output store, when the path names none.
    :param poke_interval: seconds before the second poll; the wait then grows 1.5 times per poll.
    :param max_poke_interval: the longest wait between two polls.
    :param timeout: the longest wait for the job, seconds or a timedelta (default one hour, the
        API's retention).
    :param max_consecutive_failures: in the triggerer, polls in a row that fail even after their
        retries before the wait ends.
    :param deferrable: wait in the triggerer; None reads ``[operators] default_deferrable``.
    """

    template_fields = (*AimlSttSubmitOperator.template_fields, "output_path", "output_name")
    ui_color = "#9fd8c7"
    lineage_audio_fields = ("audio_url", "audio_path")

    def __init__(
        self,
        *,
        output_path: Any = None,
        formats: Sequence[str] = DEFAULT_FORMATS,
        output_name: str | None = None,
        output_conn_id: str | None = None,
        poke_interval: float = 10.0,
        max_poke_interval: float = 60.0,
        timeout: float | timedelta = timedelta(hours=1),
        max_consecutive_failures: int = 5,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        check_output_settings(output_path, formats, output_name)
        super().__init__(**kwargs)
        self.output_path = output_path
        self.formats = tuple(formats)
        self.output_name = output_name
        self.output_conn_id = output_conn_id
        self.poke_interval = float(poke_interval)
        self.max_poke_interval = max(float(max_poke_interval), self.poke_interval)
        self.timeout_seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        self.max_consecutive_failures = max_consecutive_failures
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        """Submit (or reuse the earlier try's job), push its id, then wait here or in the triggerer."""
        request = self.build_request()
        _check_formats_fit_the_model(request, self.formats)
        self.lineage_audio = request.audio_url or request.audio_path
        generation_id = submit_once(context, self.hook, request, self.log)
        context["ti"].xcom_push(key=GENERATION_ID_XCOM_KEY, value=generation_id)
        started = time.time()
        job = self.hook.get_job(generation_id)
        if not (job.is_completed or job.is_failed) and self.deferrable:
            self.log.info(
                "generation_id=%s is %s; deferring the wait to the triggerer", generation_id, job.status
            )
            self.defer(
                trigger=AimlSttTrigger.starting_now(
                    self.timeout_seconds - (time.time() - started),
                    generation_id=generation_id,
                    aimlstt_conn_id=self.aimlstt_conn_id,
                    poke_interval=self.poke_interval,
                    max_poke_interval=self.max_poke_interval,
                    max_consecutive_failures=self.max_consecutive_failures,
                    api_retries=self.api_retries,
                ),
                method_name="execute_complete",
                timeout=None,  # the trigger enforces its own deadline and reports it as an event
            )
        interval = self.poke_interval
        while not (job.is_completed or job.is_failed):
            waited = time.time() - started
            if waited >= self.timeout_seconds:
                raise AimlSttTimeoutError(
                    f"Transcription {generation_id} did not finish before its deadline ({waited:.0f} s)"
                )
            pause = min(interval, self.timeout_seconds - waited)
            self.log.info("generation_id=%s status=%s next poll in %.1fs", generation_id, job.status, pause)
            time.sleep(pause)
            interval = min(interval * BACKOFF_FACTOR, self.max_poke_interval)
            job = self.hook.get_job(generation_id)
        return self._deliver(job, generation_id, context)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Check the trigger's event; on success fetch the result here and deliver it.

        :param event: the trigger's event (see :class:`~airflow_provider_aimlstt.models.SttTriggerEvent`).
        """
        generation_id = str((event or {}).get("generation_id", "?"))
        outcome = check_event(event, generation_id)
        self.log.info(outcome.message)
        self.lineage_audio = self.audio_url or (str(self.audio_path) if self.audio_path else None)
        return self._deliver(self.hook.get_job(outcome.generation_id), outcome.generation_id, context)

    def _deliver(self, job: Any, generation_id: str, context: Any) -> Any:
        name = self.output_name or _default_name(self.audio_path, self.audio_url, generation_id)
        return deliver(
            self, job, generation_id=generation_id, model=self.model, output_name=name, context=context
        )


def _check_formats_fit_the_model(request: TranscriptionRequest, formats: Sequence[str]) -> None:
    """Refuse subtitles for a model family that gives no word timings, before anything is sent."""
    subtitles = sorted({fmt.lower().lstrip(".") for fmt in formats} & {"srt", "vtt"})
    if subtitles and request.family in TEXT_ONLY_FAMILIES:
        raise AimlSttValidationError(
            f"formats: {', '.join(subtitles)} need word timings, which model {request.model!r} does not "
            "give (it returns text only); ask for txt or json"
        )


def _default_name(audio_path: Any, audio_url: str | None, generation_id: str) -> str:
    """The audio file's stem (of the path, or of the URL's path), else the generation id."""
    location = str(audio_path) if audio_path else urlsplit(audio_url or "").path
    stem = Path(location).stem
    return stem or generation_id
