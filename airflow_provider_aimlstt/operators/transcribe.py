"""Submit and wait in one task: audio in, transcript files (or the result) out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import conf

from airflow_provider_aimlstt.defaults import RESULT_RETENTION_SECONDS
from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin
from airflow_provider_aimlstt.operators.submit import SUBMISSION_XCOM_KEY, AimlSttSubmitOperator
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings

if TYPE_CHECKING:  # what only running the task needs is imported there, not when a DAG is parsed
    from airflow_provider_aimlstt.models.submission import SubmittedJob
    from airflow_provider_aimlstt.polling import WaitResult
    from airflow_provider_aimlstt.waiter import JobWaiter

GENERATION_ID_XCOM_KEY = "generation_id"


class AimlSttTranscribeOperator(TranscriptionLineageMixin, AimlSttSubmitOperator):
    """Transcribe audio in one task: submit it, wait for the job, then write or return the transcript.

    The generation id is pushed to XCom (key ``generation_id``) as soon as the job is accepted,
    before the wait, with the submission (key ``submission``: client request id and charge).
    The wait runs in the triggerer when ``deferrable`` (the default follows
    ``[operators] default_deferrable``), else on the worker; its polls follow the job's expected
    time once the model's times were learned, else start at once and back off from 10 s to 60 s
    (see :mod:`~airflow_provider_aimlstt.polling`). A retry of the task reuses the job while it
    is pending or completed, and submits again when it ended in ``error`` or expired.

    With ``output_path`` the transcript is written there in each of ``formats`` (``txt``,
    ``json``, ``srt``, ``vtt``) and the task returns a small summary; an ``Asset`` or
    ``AssetAlias`` in ``outlets`` gets an event whose ``extra`` holds the generation id and the
    paths. Without it, the task returns the API's ``result`` object.

    Takes every argument of :class:`AimlSttSubmitOperator`, and:

    :param output_path: a folder for the transcript files: a local path, a URI (``s3://...``,
        ``file://...``) or an ``ObjectStoragePath``. Templated.
    :param formats: the formats to write (default json and txt).
    :param output_name: the files' name without suffix; default the audio file's stem, or the
        generation id for an ``audio_url`` without one. Templated.
    :param output_conn_id: the Airflow connection of the output store, when the path names none.
    :param timeout: the longest wait for the job, seconds or a timedelta (default one hour, the
        API's retention).
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
        timeout: float | timedelta = RESULT_RETENTION_SECONDS,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.output_settings = OutputSettings.of_task(output_path, formats, output_name, output_conn_id)
        super().__init__(**kwargs)
        self.output_path = output_path
        self.output_name = output_name
        self.timeout_seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        """Submit (or reuse the earlier try's job), push its id, then wait here or in the triggerer."""
        from airflow_provider_aimlstt.audio_source import AudioSource
        from airflow_provider_aimlstt.job_timing import with_expected_time
        from airflow_provider_aimlstt.operators.submission_state import submit_once

        request = self.build_request()
        if self.output_settings is not None and request.family is not None:
            self.output_settings.check_timings_available(request.family.gives_word_timings, request.model)
        audio = AudioSource.of(request).checked()
        submission = submit_once(context, self.hook, request, audio, self.log)
        submission = with_expected_time(submission, self.aimlstt_conn_id, request.model, self.log)
        generation_id = submission.generation_id
        context["ti"].xcom_push(key=GENERATION_ID_XCOM_KEY, value=generation_id)
        context["ti"].xcom_push(key=SUBMISSION_XCOM_KEY, value=submission.model_dump(mode="json"))
        deadline = time.time() + self.timeout_seconds
        waiter = self._waiter()
        job = waiter.first_poll(generation_id, submission)
        if (job is None or not job.is_finished) and self.deferrable:
            self.defer(
                trigger=waiter.trigger(job, generation_id, deadline, submission),
                method_name="execute_complete",
                timeout=None,  # the trigger enforces its own deadline and reports it as an event
            )
        wait = waiter.wait_here(generation_id, deadline, job, submission)
        return self._deliver(waiter, wait, submission, context)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Check the trigger's event; on success fetch the result here and deliver it.

        :param event: the trigger's event (see :class:`~airflow_provider_aimlstt.models.SttTriggerEvent`).
        """
        from airflow_provider_aimlstt.models.submission import SubmittedJob

        waiter = self._waiter()
        wait = waiter.resumed(event, str((event or {}).get("generation_id", "?")))
        ti = context["ti"]
        pushed = ti.xcom_pull(task_ids=ti.task_id, key=SUBMISSION_XCOM_KEY, map_indexes=ti.map_index)
        submission = SubmittedJob.model_validate(pushed) if isinstance(pushed, dict) else None
        return self._deliver(waiter, wait, submission, context)

    def _waiter(self) -> JobWaiter:
        from airflow_provider_aimlstt.polling import PollSchedule
        from airflow_provider_aimlstt.waiter import JobWaiter

        return JobWaiter(self.hook, PollSchedule.default(), self.log)

    def _deliver(
        self, waiter: JobWaiter, wait: WaitResult, submission: SubmittedJob | None, context: Any
    ) -> Any:
        from airflow_provider_aimlstt.audio_source import AudioSource

        audio = AudioSource(
            url=self.audio_url or None, path=str(self.audio_path) if self.audio_path else None
        )
        outputs = self.output_settings
        if outputs is not None:
            outputs = outputs.rendered(self.output_path, self.output_name)
        value = waiter.deliver(
            wait,
            outputs,
            model=self.model,
            submission=submission,
            default_name=audio.stem or wait.generation_id,
            outlets=self.outlets,
            context=context,
        )
        if outputs is not None:
            self.lineage_outputs = list(value["paths"].values())
        return value
