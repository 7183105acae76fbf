"""Internal: the wait for one job and the delivery of its result, shared by
:class:`~airflow_provider_aimlstt.sensors.job.AimlSttSensor` and
:class:`~airflow_provider_aimlstt.operators.transcribe.AimlSttTranscribeOperator`.

Each task builds a :class:`JobWaiter` from plain values when it runs, and defers with the trigger
the waiter makes. Imported when a task runs, never when a DAG is parsed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from airflow_provider_aimlstt.exceptions import (
    AimlSttConnectionError,
    AimlSttResponseError,
    AimlSttTimeoutError,
    AimlSttTranscriptionFailedError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.job_timing import learn_job
from airflow_provider_aimlstt.models.events import SttTriggerEvent
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.outputs.delivery import deliver
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from airflow_provider_aimlstt.polling import PollSchedule, WaitResult
from airflow_provider_aimlstt.protocol import api_error_class
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.triggers.job import AimlSttTrigger


@dataclass(frozen=True)
class JobWaiter:
    """Waits for one job in the triggerer or on the worker, then returns its result or writes its files.

    :param hook: the hook of the task's connection.
    :param schedule: when to poll.
    :param log: the task's logger.
    """

    hook: AimlSttHook
    schedule: PollSchedule
    log: Any

    def first_poll(self, generation_id: str, submission: SubmittedJob | None) -> FetchResponse | None:
        """The job, polled now if worth it: always without a prediction (a short job may be done
        already), else only when the schedule's first poll is due now; None when not polled.

        :param generation_id: the job.
        :param submission: its submission, if known.
        """
        if not self.worth_polling_now(submission):
            return None
        return self.hook.get_job(generation_id)

    def worth_polling_now(self, submission: SubmittedJob | None) -> bool:
        """Whether to poll before deferring (see :meth:`first_poll`).

        :param submission: the job's submission, if known.
        """
        if submission is None or submission.submitted_at is None or submission.expected_finish is None:
            return True
        now = time.time()
        moments = self.schedule.poll_times(
            submission.submitted_at, now, submission.generation_id, submission.expected_finish
        )
        return next(moments) <= now

    def trigger(
        self,
        job: FetchResponse | None,
        generation_id: str,
        deadline: float,
        submission: SubmittedJob | None,
    ) -> AimlSttTrigger:
        """The trigger that waits for the rest in the triggerer; the task defers with it.

        :param job: the job as just fetched (for the log line); None when it was not polled.
        :param generation_id: the job to wait for.
        :param deadline: epoch seconds when the wait ends with a timeout.
        :param submission: the job's submission; with an expected time, the trigger polls around it.
        """
        self.log.info(
            "generation_id=%s is %s; deferring the wait to the triggerer",
            generation_id,
            job.status if job is not None else "submitted",
        )
        return AimlSttTrigger.starting_now(
            deadline - time.time(),
            generation_id=generation_id,
            aimlstt_conn_id=self.hook.aimlstt_conn_id,
            poke_interval=self.schedule.poke_interval,
            submitted_at=submission.submitted_at if submission is not None else None,
            expected_finish=submission.expected_finish if submission is not None else None,
            polled_at_start=job is not None,
        )

    def wait_here(
        self,
        generation_id: str,
        deadline: float,
        job: FetchResponse | None,
        submission: SubmittedJob | None,
    ) -> WaitResult:
        """Wait on this worker (see :meth:`AimlSttHook.wait_for_job`).

        :param generation_id: the job.
        :param deadline: epoch seconds when the wait ends with a timeout.
        :param job: the job as just fetched, if it was.
        :param submission: its submission, if known.
        """
        return self.hook.wait_for_job(
            generation_id, deadline - time.time(), self.schedule, job=job, submission=submission
        )

    def resumed(self, event: dict[str, Any] | None, generation_id: str) -> WaitResult:
        """Read the trigger's event (raising what a worker would have raised) and fetch the finished job.

        :param event: the trigger's event.
        :param generation_id: the job the task waited for, for the message of an unreadable event.
        """
        outcome = check_event(event, generation_id)
        self.log.info(outcome.message)
        job = self.hook.get_job(outcome.generation_id)
        return WaitResult(
            outcome.generation_id,
            job,
            poll_charge=Charge.total([outcome.poll_charge, job.charge]),
            found_at=outcome.found_at,
            last_pending_at=outcome.last_pending_at,
        )

    def deliver(
        self,
        wait: WaitResult,
        outputs: OutputSettings | None,
        *,
        model: str | None,
        submission: SubmittedJob | None,
        default_name: str,
        outlets: Any,
        context: Any,
    ) -> dict[str, Any]:
        """The task's return value for the finished job: its result, or the summary of the files
        written. A completed job teaches :mod:`~airflow_provider_aimlstt.job_timing` how long its
        model takes, when its audio's duration and its polls tell.

        The job's cost is the create's charge plus the polls', as the API's answers reported
        them; unknown (None) without the submission.

        :param wait: what the wait learned.
        :param outputs: where to write the transcript (rendered); None returns the result.
        :param model: the model it ran on, if known.
        :param submission: its submission, if known.
        :param default_name: the file name when the settings give none.
        :param outlets: the task's outlets.
        :param context: the task's context.
        """
        job = wait.job
        if submission is not None and model is not None and job.is_completed:
            bracket = wait.finish_bracket(submission.submitted_at)
            if bracket is not None and submission.audio_seconds is not None:
                learn_job(self.hook.aimlstt_conn_id, model, submission.audio_seconds, bracket, self.log)
        charge = Charge.total([submission.charge, wait.poll_charge]) if submission is not None else None
        return deliver(
            job,
            outputs,
            generation_id=wait.generation_id,
            model=model,
            charge=charge,
            client_request_id=submission.client_request_id if submission is not None else None,
            default_name=default_name,
            outlets=outlets,
            context=context,
            log=self.log,
        )


def check_event(event: dict[str, Any] | None, generation_id: str) -> SttTriggerEvent:
    """Read the trigger's event in ``execute_complete``; raise what a worker would have raised.

    :param event: the event's payload.
    :param generation_id: the job the task waited for (for the message of an unreadable event).
    :raises AimlSttTimeoutError: the deadline passed.
    :raises AimlSttApiError: the wait ended on an HTTP error answer (same subclass as on a worker).
    :raises AimlSttTranscriptionFailedError: the job ended in ``error``.
    :raises AimlSttConnectionError: polls kept failing.
    :raises AimlSttResponseError: the event is not an :class:`SttTriggerEvent`.
    """
    try:
        outcome = SttTriggerEvent.model_validate(event)
    except ValidationError as exc:
        raise AimlSttResponseError(
            f"The trigger for generation_id={generation_id} sent an unreadable event {event!r}: {exc}"
        ) from None
    if outcome.status == "timeout":
        raise AimlSttTimeoutError(outcome.message)
    if outcome.status == "error":
        if outcome.http_status is not None:
            raise api_error_class(outcome.http_status).with_text(
                outcome.http_status, outcome.message, outcome.generation_id
            )
        if outcome.api_status == "error":
            raise AimlSttTranscriptionFailedError(outcome.generation_id, outcome.message)
        raise AimlSttConnectionError(outcome.message)
    return outcome
