"""What every task that waits for a job shares: the deferral, the resumption, and the delivery.

:class:`~airflow_provider_aimlstt.sensors.job.AimlSttSensor` and
:class:`~airflow_provider_aimlstt.operators.transcribe.AimlSttTranscribeOperator` both mix this in.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin
from airflow_provider_aimlstt.outputs.settings import OutputSettings

if TYPE_CHECKING:  # what only running the task needs is imported there, not when a DAG is parsed
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
    from airflow_provider_aimlstt.models.responses import FetchResponse
    from airflow_provider_aimlstt.models.submission import SubmittedJob
    from airflow_provider_aimlstt.polling import PollSchedule


class TranscriptionWaitMixin(TranscriptionLineageMixin):
    """Waits for a job in the triggerer or on the worker, then returns its result or writes its files.

    Mix it in before ``BaseOperator``/``BaseSensorOperator``. The task sets, in its ``__init__``:
    ``aimlstt_conn_id``, ``api_retries``, ``poll_schedule`` (a :class:`PollSchedule`),
    ``max_consecutive_failures``, ``output_settings`` (None to return the result instead of
    writing files), and the template fields ``output_path`` and ``output_name``.
    """

    aimlstt_conn_id: str
    api_retries: int | None
    poll_schedule: PollSchedule
    max_consecutive_failures: int
    output_settings: OutputSettings | None
    output_path: Any
    output_name: str | None
    log: Any
    outlets: Any

    @cached_property
    def hook(self) -> AimlSttHook:
        """The hook for the configured connection."""
        from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook

        return AimlSttHook.for_task(self)

    def defer_wait(
        self,
        job: FetchResponse | None,
        generation_id: str,
        deadline: float,
        submission: SubmittedJob | None = None,
    ) -> None:
        """Hand the rest of the wait to the triggerer; the task resumes in ``execute_complete``.

        :param job: the job as just fetched (for the log line); None when it was not polled yet.
        :param generation_id: the job to wait for.
        :param deadline: epoch seconds when the wait ends with a timeout.
        :param submission: the job's submission; with an expected time, the trigger polls around it.
        """
        from airflow_provider_aimlstt.triggers.job import AimlSttTrigger

        self.log.info(
            "generation_id=%s is %s; deferring the wait to the triggerer",
            generation_id,
            job.status if job is not None else "submitted",
        )
        self.defer(  # type: ignore[attr-defined]
            trigger=AimlSttTrigger.starting_now(
                deadline - time.time(),
                generation_id=generation_id,
                aimlstt_conn_id=self.aimlstt_conn_id,
                poke_interval=self.poll_schedule.poke_interval,
                max_poke_interval=self.poll_schedule.max_poke_interval,
                max_consecutive_failures=self.max_consecutive_failures,
                api_retries=self.api_retries,
                submitted_at=submission.submitted_at if submission is not None else None,
                expected_finish=submission.expected_finish if submission is not None else None,
                polled_at_start=job is not None,
            ),
            method_name="execute_complete",
            timeout=None,  # the trigger enforces its own deadline and reports it as an event
        )

    def worth_polling_now(self, submission: SubmittedJob | None) -> bool:
        """Whether to poll before deferring: always without a prediction (a short job may be done
        already), else only when the schedule's first poll is due now.

        :param submission: the job's submission.
        """
        if submission is None or submission.submitted_at is None or submission.expected_finish is None:
            return True
        now = time.time()
        moments = self.poll_schedule.poll_times(
            submission.submitted_at, now, submission.generation_id, submission.expected_finish
        )
        return next(moments) <= now

    def resumed_job(self, event: dict[str, Any] | None, generation_id: str) -> tuple[str, FetchResponse]:
        """Check the trigger's event (raising what a worker would have raised) and fetch the finished job.

        :param event: the trigger's event.
        :param generation_id: the job the task waited for, for the message of an unreadable event.
        """
        from airflow_provider_aimlstt.triggers.job import check_event

        outcome = check_event(event, generation_id)
        self.log.info(outcome.message)
        if outcome.poll_charge is not None:
            self.hook.poll_charges[outcome.generation_id] = outcome.poll_charge
        if outcome.found_at is not None:
            self.hook.finish_polls[outcome.generation_id] = (outcome.found_at, outcome.last_pending_at)
        return outcome.generation_id, self.hook.get_job(outcome.generation_id)

    def learn_timing(self, job: FetchResponse, submission: SubmittedJob | None, model: str | None) -> None:
        """Teach :mod:`~airflow_provider_aimlstt.job_timing` how long this completed job took, when
        its audio's duration and the polls that saw it finish are known.

        :param job: the finished job.
        :param submission: its submission.
        :param model: its model.
        """
        from airflow_provider_aimlstt.job_timing import learn_job
        from airflow_provider_aimlstt.polling import finish_bracket

        if submission is None or model is None or not job.is_completed:
            return
        polls = self.hook.finish_polls.get(submission.generation_id)
        if polls is None or submission.audio_seconds is None or submission.submitted_at is None:
            return
        bracket = finish_bracket(submission.submitted_at, *polls)
        learn_job(self.aimlstt_conn_id, model, submission.audio_seconds, bracket, self.log)

    def finish(
        self,
        job: FetchResponse,
        generation_id: str,
        *,
        model: str | None,
        default_name: str,
        context: Any,
        submission: SubmittedJob | None = None,
    ) -> dict[str, Any]:
        """The task's return value for a finished job; the files written become lineage outputs.

        The job's cost is the create's charge plus every poll's, as the API's answers reported
        them; unknown (None) when the submission is not known.

        :param job: the finished job.
        :param generation_id: its id.
        :param model: the model it ran on, if known.
        :param default_name: the file name when ``output_name`` is not set.
        :param context: the task's context.
        :param submission: the job's submission, if this task knows it.
        """
        from airflow_provider_aimlstt.outputs.delivery import deliver
        from airflow_provider_aimlstt.tracing import Charge

        self.learn_timing(job, submission, model)
        settings = self.output_settings
        if settings is not None:
            settings = settings.rendered(self.output_path, self.output_name)
        charge = None
        if submission is not None:
            charge = Charge.total([submission.charge, self.hook.poll_charges.get(generation_id)])
        value = deliver(
            job,
            settings,
            generation_id=generation_id,
            model=model,
            charge=charge,
            client_request_id=submission.client_request_id if submission else None,
            default_name=default_name,
            outlets=self.outlets,
            context=context,
            log=self.log,
        )
        if settings is not None:
            self.lineage_outputs = list(value["paths"].values())
        return value


def output_settings_or_none(
    output_path: Any, formats: Any, output_name: str | None, output_conn_id: str | None
) -> OutputSettings | None:
    """The output settings of a task's arguments; None when it writes no files (no ``output_path``).

    :param output_path: the folder, or None.
    :param formats: the formats.
    :param output_name: the file name, or None.
    :param output_conn_id: the store's connection, or None.
    """
    if output_path is None:
        return None
    return OutputSettings(output_path, formats, output_name, output_conn_id)
