"""The sensor: waits for a transcription job and returns its result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from airflow.configuration import conf
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.operators.delivery import (
    DEFAULT_FORMATS,
    check_output_settings,
    deliver,
)
from airflow_provider_aimlstt.protocol import check_generation_id
from airflow_provider_aimlstt.triggers.aimlstt import AimlSttTrigger, check_event

DEFAULT_TIMEOUT = timedelta(hours=1)  # results are kept on the server for one hour


class AimlSttSensor(TranscriptionLineageMixin, BaseSensorOperator):
    """Wait for a transcription job to finish; return its result, or write transcript files.

    In deferrable mode (the default follows ``[operators] default_deferrable``) the waiting runs in
    the triggerer and no worker slot is held; otherwise the sensor pokes in ``poke`` or
    ``reschedule`` mode. A job that ends in ``error`` fails the task, naming the generation id
    and the cause; so does the deadline (``timeout``), and a result that expired.

    Without ``output_path`` the task returns the API's ``result`` object. With it, the transcript
    is written there in each of ``formats`` and the task returns a small summary (see
    :mod:`~airflow_provider_aimlstt.operators.delivery`).

    :param generation_id: the job, usually ``submit_task.output``. Templated.
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

    template_fields: Sequence[str] = ("generation_id", "output_path", "output_name")
    ui_color = "#d8f3ec"

    def __init__(
        self,
        *,
        generation_id: str,
        aimlstt_conn_id: str = AimlSttHook.default_conn_name,
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
        check_output_settings(output_path, formats, output_name)
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.api_retries = api_retries
        self.output_path = output_path
        self.formats = tuple(formats)
        self.output_name = output_name
        self.output_conn_id = output_conn_id
        self.generation_id = generation_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.max_poke_interval = max_poke_interval
        self.max_consecutive_failures = max_consecutive_failures
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    @cached_property
    def hook(self) -> AimlSttHook:
        """The hook for the configured connection."""
        return AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id, api_retries=self.api_retries)

    def execute(self, context: Any) -> Any:
        """Poke, or poll once here and hand the rest of the wait to the triggerer."""
        check_generation_id(self.generation_id)
        if not self.deferrable:
            return super().execute(context)
        job = self.hook.get_job(self.generation_id)
        if job.is_completed or job.is_failed:
            return self._deliver(job, context)
        self.log.info(
            "generation_id=%s is %s; deferring the wait to the triggerer", self.generation_id, job.status
        )
        self.defer(
            trigger=AimlSttTrigger.starting_now(
                _seconds(self.timeout),
                generation_id=self.generation_id,
                aimlstt_conn_id=self.aimlstt_conn_id,
                poke_interval=_seconds(self.poke_interval),
                max_poke_interval=self.max_poke_interval,
                max_consecutive_failures=self.max_consecutive_failures,
                api_retries=self.api_retries,
            ),
            method_name="execute_complete",
            timeout=None,  # the trigger enforces its own deadline and reports it as an event
        )

    def poke(self, context: Any) -> PokeReturnValue | bool:
        """One poll: done when the job completed, an error when it failed."""
        job = self.hook.get_job(self.generation_id)
        if job.is_completed or job.is_failed:
            return PokeReturnValue(is_done=True, xcom_value=self._deliver(job, context))
        started = getattr(context.get("ti"), "start_date", None) if isinstance(context, dict) else None
        elapsed = f"{(datetime.now(timezone.utc) - started).total_seconds():.0f}s" if started else "unknown"
        self.log.info(
            "generation_id=%s status=%s elapsed=%s next poke in %.1fs (%s mode)",
            self.generation_id,
            job.status,
            elapsed,
            _seconds(self.poke_interval),
            self.mode,
        )
        return False

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Check the trigger's event; on success fetch the result here, on the worker.

        :param event: the trigger's event (see :class:`SttTriggerEvent`).
        """
        outcome = check_event(event, self.generation_id)
        self.log.info(outcome.message)
        return self._deliver(self.hook.get_job(outcome.generation_id), context)

    def _deliver(self, job: FetchResponse, context: Any) -> dict[str, Any]:
        name = self.output_name or self.generation_id
        return deliver(
            self, job, generation_id=self.generation_id, model=None, output_name=name, context=context
        )


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
