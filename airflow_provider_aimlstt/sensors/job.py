"""The sensor: waits for a transcription job and returns its result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.configuration import conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.operators.submit import (
    MODEL_XCOM_KEY,
    SUBMISSION_XCOM_KEY,
    AimlSttSubmitOperator,
)
from airflow_provider_aimlstt.operators.waiting import TranscriptionWaitMixin, output_settings_or_none
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS
from airflow_provider_aimlstt.polling import PollSchedule

if TYPE_CHECKING:  # what only running the task needs is imported there, not when a DAG is parsed
    from airflow_provider_aimlstt.models.responses import FetchResponse

DEFAULT_TIMEOUT = timedelta(hours=1)  # results are kept on the server for one hour


class AimlSttSensor(TranscriptionWaitMixin, BaseSensorOperator):
    """Wait for a transcription job to finish; return its result, or write transcript files.

    In deferrable mode (the default follows ``[operators] default_deferrable``) the waiting runs in
    the triggerer and no worker slot is held; otherwise the sensor pokes in ``poke`` or
    ``reschedule`` mode. A job that ends in ``error`` fails the task, naming the generation id
    and the cause; so does the deadline (``timeout``), and a result that expired.

    Without ``output_path`` the task returns the API's ``result`` object. With it, the transcript
    is written there in each of ``formats`` and the task returns a small summary (see
    :mod:`~airflow_provider_aimlstt.outputs.delivery`).

    :param generation_id: the job, usually ``submit_task.output``. Templated.
    :param model: the model the job runs on, so its result is read as that model's. Templated.
        None: when ``generation_id`` is an :class:`AimlSttSubmitOperator`'s output, the model
        that task submitted with; else the family is read from the result's shape.
    :param submission: the job's :class:`~airflow_provider_aimlstt.models.submission.SubmittedJob`
        as JSON, for its cost and client request id. Templated. None: when ``generation_id`` is an
        :class:`AimlSttSubmitOperator`'s output, what that task recorded; else the cost is unknown.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param max_poke_interval: in deferrable mode the wait between polls grows from
        ``poke_interval`` up to this many seconds.
    :param max_consecutive_failures: in deferrable mode, polls in a row that fail even after their
        retries before the wait ends.
    :param api_retries: retries of each API call; None reads the connection (default 5).
    :param output_path: a folder for transcript files (local path, URI or ``ObjectStoragePath``);
        None returns the result instead. Templated.
    :param formats: the formats to write: ``txt``, ``json``, ``srt``, ``vtt``.
    :param output_name: the files' name without suffix; default the generation id. Templated.
    :param output_conn_id: the Airflow connection of the output store, when the path names none.
    :param deferrable: wait in the triggerer instead of on a worker; None (the default) reads
        ``[operators] default_deferrable`` when the task is created.
    """

    template_fields: Sequence[str] = ("generation_id", "model", "submission", "output_path", "output_name")
    ui_color = "#d8f3ec"

    def __init__(
        self,
        *,
        generation_id: str,
        model: str | None = None,
        submission: dict[str, Any] | None = None,
        aimlstt_conn_id: str = DEFAULT_CONN_ID,
        poke_interval: float | timedelta = 10.0,
        max_poke_interval: float = 60.0,
        max_consecutive_failures: int = 5,
        timeout: float | timedelta = DEFAULT_TIMEOUT,
        deferrable: bool | None = None,
        api_retries: int | None = None,
        output_path: Any = None,
        formats: Sequence[str] = DEFAULT_FORMATS,
        output_name: str | None = None,
        output_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.output_settings = output_settings_or_none(output_path, formats, output_name, output_conn_id)
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.poll_schedule = PollSchedule(self.poke_interval, max_poke_interval)
        self.api_retries = api_retries
        self.output_path = output_path
        self.output_name = output_name
        self.generation_id = generation_id
        self.model = model if model is not None else _submitted(generation_id, MODEL_XCOM_KEY)
        self.submission = (
            submission if submission is not None else _submitted(generation_id, SUBMISSION_XCOM_KEY)
        )
        self.aimlstt_conn_id = aimlstt_conn_id
        self.max_consecutive_failures = max_consecutive_failures
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        """Poke, or poll once here and hand the rest of the wait to the triggerer."""
        from airflow_provider_aimlstt.models.submission import SubmittedJob
        from airflow_provider_aimlstt.protocol import check_generation_id

        check_generation_id(self.generation_id)
        if not self.deferrable:
            return super().execute(context)
        submission = SubmittedJob.model_validate(self.submission) if self.submission else None
        job = self.hook.get_job(self.generation_id) if self.worth_polling_now(submission) else None
        if job is not None and job.is_finished:
            return self._finish(job, context)
        self.defer_wait(job, self.generation_id, time.time() + self.timeout, submission)

    def poke(self, context: Any) -> PokeReturnValue | bool:
        """One poll: done when the job completed, an error when it failed."""
        job = self.hook.get_job(self.generation_id)
        if job.is_finished:
            return PokeReturnValue(is_done=True, xcom_value=self._finish(job, context))
        started = getattr(context.get("ti"), "start_date", None) if isinstance(context, dict) else None
        elapsed = f"{(datetime.now(timezone.utc) - started).total_seconds():.0f}s" if started else "unknown"
        self.log.info(
            "generation_id=%s status=%s elapsed=%s next poke in %.1fs (%s mode)",
            self.generation_id,
            job.status,
            elapsed,
            self.poke_interval,
            self.mode,
        )
        return False

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Check the trigger's event; on success fetch the result here, on the worker.

        :param event: the trigger's event (see :class:`SttTriggerEvent`).
        """
        _, job = self.resumed_job(event, self.generation_id)
        return self._finish(job, context)

    def _finish(self, job: FetchResponse, context: Any) -> dict[str, Any]:
        from airflow_provider_aimlstt.models.submission import SubmittedJob

        return self.finish(
            job,
            self.generation_id,
            model=self.model or None,
            default_name=self.generation_id,
            context=context,
            submission=SubmittedJob.model_validate(self.submission) if self.submission else None,
        )


def _submitted(generation_id: Any, key: str) -> Any:
    """What an upstream submit task records under ``key``, when ``generation_id`` is that task's output.

    :param generation_id: the sensor's ``generation_id`` argument.
    :param key: :data:`MODEL_XCOM_KEY` or :data:`SUBMISSION_XCOM_KEY`.
    """
    from airflow.sdk.definitions.xcom_arg import PlainXComArg, XComArg

    if isinstance(generation_id, PlainXComArg) and isinstance(generation_id.operator, AimlSttSubmitOperator):
        return XComArg(generation_id.operator, key=key)
    return None
