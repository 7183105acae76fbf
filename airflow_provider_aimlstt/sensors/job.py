"""The sensor: waits for a transcription job and returns its result, or writes its transcript."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue, conf

from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID, FIRST_POLL_SECONDS, RESULT_RETENTION_SECONDS
from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings

if TYPE_CHECKING:  # what only running the task needs is imported there, not when a DAG is parsed
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
    from airflow_provider_aimlstt.models.submission import SubmittedJob
    from airflow_provider_aimlstt.polling import WaitResult
    from airflow_provider_aimlstt.tracing import Charge
    from airflow_provider_aimlstt.waiter import JobWaiter


class AimlSttSensor(TranscriptionLineageMixin, BaseSensorOperator):
    """Wait for a transcription job to finish; return its result, or write transcript files.

    In deferrable mode (the default follows ``[operators] default_deferrable``) the waiting runs in
    the triggerer and no worker slot is held; otherwise the sensor pokes in ``poke`` or
    ``reschedule`` mode. A job that ends in ``error`` fails the task, naming the generation id
    and the cause; so does the deadline (``timeout``), and a result that expired.

    Without ``output_path`` the task returns the API's ``result`` object. With it, the transcript
    is written there in each of ``formats`` and the task returns a small summary (see
    :mod:`~airflow_provider_aimlstt.outputs.delivery`).

    The sensor knows of the job only what it is given. For a job of an
    :class:`~airflow_provider_aimlstt.operators.submit.AimlSttSubmitOperator`, pass what that task
    recorded::

        from airflow.providers.common.compat.sdk import XComArg

        wait = AimlSttSensor(
            task_id="wait",
            generation_id=submit.output,
            model=XComArg(submit, key="model"),
            submission=XComArg(submit, key="submission"),
        )

    :param generation_id: the job, usually ``submit_task.output``. Templated.
    :param model: the model the job runs on, so its result is read as that model's. Templated.
        None: the family is read from the result's shape (an OpenAI result and a Microsoft one
        look alike: the transcript then names the wrong family).
    :param submission: the job's :class:`~airflow_provider_aimlstt.models.submission.SubmittedJob`
        as a dict (or its JSON), for the job's cost and client request id, and for learning how
        long the model takes. Templated. None: the cost is unknown.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param poke_interval: seconds between pokes; in deferrable mode, seconds before the trigger's
        second poll, the wait then growing up to a minute (see :mod:`~airflow_provider_aimlstt.polling`).
    :param timeout: the longest wait, seconds or a timedelta (default one hour, the API's retention).
    :param deferrable: wait in the triggerer instead of on a worker; None (the default) reads
        ``[operators] default_deferrable`` when the task is created.
    :param output_path: a folder for transcript files (local path, URI or ``ObjectStoragePath``);
        None returns the result instead. Templated.
    :param formats: the formats to write: ``txt``, ``json``, ``srt``, ``vtt``.
    :param output_name: the files' name without suffix; default the generation id. Templated.
    :param output_conn_id: the Airflow connection of the output store, when the path names none.
    """

    template_fields: Sequence[str] = ("generation_id", "model", "submission", "output_path", "output_name")
    ui_color = "#d8f3ec"

    def __init__(
        self,
        *,
        generation_id: str,
        model: str | None = None,
        submission: dict[str, Any] | str | None = None,
        aimlstt_conn_id: str = DEFAULT_CONN_ID,
        poke_interval: float | timedelta = FIRST_POLL_SECONDS,
        timeout: float | timedelta = RESULT_RETENTION_SECONDS,
        deferrable: bool | None = None,
        output_path: Any = None,
        formats: Sequence[str] = DEFAULT_FORMATS,
        output_name: str | None = None,
        output_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.output_settings = OutputSettings.of_task(output_path, formats, output_name, output_conn_id)
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.output_path = output_path
        self.output_name = output_name
        self.generation_id = generation_id
        self.model = model
        self.submission = submission
        self.aimlstt_conn_id = aimlstt_conn_id
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable
        self._poke_charge: Charge | None = None

    @cached_property
    def hook(self) -> AimlSttHook:
        """The hook of the task's connection."""
        from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook

        return AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id)

    def execute(self, context: Any) -> Any:
        """Poke, or poll once here and hand the rest of the wait to the triggerer."""
        from airflow_provider_aimlstt.polling import WaitResult
        from airflow_provider_aimlstt.protocol import check_generation_id

        check_generation_id(self.generation_id)
        if not self.deferrable:
            return super().execute(context)
        waiter = self._waiter()
        submission = self._submitted_job()
        job = waiter.first_poll(self.generation_id, submission)
        if job is not None and job.is_finished:
            return self._deliver(
                waiter, WaitResult(self.generation_id, job, job.charge, time.time()), context
            )
        self.defer(
            trigger=waiter.trigger(job, self.generation_id, time.time() + self.timeout, submission),
            method_name="execute_complete",
            timeout=None,  # the trigger enforces its own deadline and reports it as an event
        )

    def poke(self, context: Any) -> PokeReturnValue | bool:
        """One poll: done when the job completed, an error when it failed."""
        from airflow_provider_aimlstt.polling import WaitResult
        from airflow_provider_aimlstt.tracing import Charge

        job = self.hook.get_job(self.generation_id)
        self._poke_charge = Charge.total([self._poke_charge, job.charge])
        if job.is_finished:
            wait = WaitResult(self.generation_id, job, self._poke_charge)
            return PokeReturnValue(is_done=True, xcom_value=self._deliver(self._waiter(), wait, context))
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

        :param event: the trigger's event (see :class:`~airflow_provider_aimlstt.models.SttTriggerEvent`).
        """
        waiter = self._waiter()
        return self._deliver(waiter, waiter.resumed(event, self.generation_id), context)

    def _waiter(self) -> JobWaiter:
        from airflow_provider_aimlstt.polling import PollSchedule
        from airflow_provider_aimlstt.waiter import JobWaiter

        return JobWaiter(self.hook, PollSchedule.default(self.poke_interval), self.log)

    def _submitted_job(self) -> SubmittedJob | None:
        from airflow_provider_aimlstt.models.submission import SubmittedJob

        if not self.submission:
            return None
        if isinstance(self.submission, str):
            return SubmittedJob.model_validate_json(self.submission)
        return SubmittedJob.model_validate(self.submission)

    def _deliver(self, waiter: JobWaiter, wait: WaitResult, context: Any) -> dict[str, Any]:
        outputs = self.output_settings
        if outputs is not None:
            outputs = outputs.rendered(self.output_path, self.output_name)
        value = waiter.deliver(
            wait,
            outputs,
            model=self.model or None,
            submission=self._submitted_job(),
            default_name=self.generation_id,
            outlets=self.outlets,
            context=context,
        )
        if outputs is not None:
            self.lineage_outputs = list(value["paths"].values())
        return value
