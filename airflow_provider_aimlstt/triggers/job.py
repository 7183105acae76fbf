"""The trigger of one job: waits for it in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_aimlstt import defaults
from airflow_provider_aimlstt.exceptions import (
    AimlSttApiError,
    AimlSttError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.retry import is_transient
from airflow_provider_aimlstt.models.events import SttTriggerEvent
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.polling import PollSchedule
from airflow_provider_aimlstt.tracing import Charge


class AimlSttTrigger(BaseTrigger):
    """Poll a job until it completes, fails, or its deadline passes.

    The waits between polls follow :class:`~airflow_provider_aimlstt.polling.PollSchedule`, up to
    :data:`~airflow_provider_aimlstt.defaults.MAX_POLL_SECONDS` apart. The deadline is an absolute
    epoch time, so a trigger re-created after a triggerer restart keeps the original one. Each
    poll is retried by the connection's retry policy (network errors, 429, 5xx); a poll that still
    fails counts as one failure, and
    :data:`~airflow_provider_aimlstt.defaults.MAX_CONSECUTIVE_FAILURES` of them in a row end the
    wait with an error event; one successful poll resets the count. The event is small (never the
    transcript itself): it carries what the polls cost and when they saw the job finish.

    :param generation_id: the job to wait for.
    :param aimlstt_conn_id: the Airflow connection to poll with.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param poke_interval: seconds before the second poll.
    :param started_at: epoch seconds when the wait began (for the elapsed time in logs).
    :param submitted_at: epoch seconds when the job's create was answered.
    :param expected_finish: ``[earliest, latest]`` seconds after ``submitted_at`` when the job is
        predicted to finish (on the worker, see :mod:`~airflow_provider_aimlstt.job_timing`);
        None: the backoff.
    :param polled_at_start: the task polled the job just before it deferred (at ``started_at``)
        and saw it pending, so the schedule's polls up to then are not made again.
    """

    def __init__(
        self,
        generation_id: str,
        aimlstt_conn_id: str,
        deadline: float,
        poke_interval: float = defaults.FIRST_POLL_SECONDS,
        started_at: float | None = None,
        submitted_at: float | None = None,
        expected_finish: list[float] | tuple[float, float] | None = None,
        polled_at_start: bool = False,
    ) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.deadline = float(deadline)
        self.schedule = PollSchedule.default(poke_interval)
        self.started_at = float(started_at if started_at is not None else time.time())
        self.submitted_at = None if submitted_at is None else float(submitted_at)
        self.expected_finish: tuple[float, float] | None = None
        if expected_finish is not None and self.submitted_at is not None:
            earliest, latest = (float(moment) for moment in expected_finish)
            self.expected_finish = (earliest, latest)
        self.polled_at_start = bool(polled_at_start)
        self._poll_charge: Charge | None = None

    @classmethod
    def starting_now(cls, timeout_seconds: float, **kwargs: Any) -> AimlSttTrigger:
        """A trigger whose wait begins now and ends ``timeout_seconds`` from now.

        :param timeout_seconds: the longest wait.
        :param kwargs: the other arguments of the trigger.
        """
        now = time.time()
        return cls(deadline=now + timeout_seconds, started_at=now, **kwargs)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and plain-JSON kwargs (no secret: the key is read from the connection)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "generation_id": self.generation_id,
                "aimlstt_conn_id": self.aimlstt_conn_id,
                "deadline": self.deadline,
                "poke_interval": self.schedule.poke_interval,
                "started_at": self.started_at,
                "submitted_at": self.submitted_at,
                "expected_finish": None if self.expected_finish is None else list(self.expected_finish),
                "polled_at_start": self.polled_at_start,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job ends or the deadline passes, then yield one event."""
        hook = AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id)
        try:
            event = await self._wait(hook)
        finally:
            await hook.aclose()
        charged = event.model_copy(update={"poll_charge": self._poll_charge})
        yield TriggerEvent(charged.model_dump(mode="json"))

    async def _wait(self, hook: AimlSttHook) -> SttTriggerEvent:
        most_failures = max(1, int(defaults.MAX_CONSECUTIVE_FAILURES))
        failures = 0
        last_status: str | None = None
        last_pending: float | None = None
        origin = self.started_at
        if self.expected_finish is not None and self.submitted_at is not None:
            origin = self.submitted_at
        moments = self.schedule.poll_times(
            origin,
            time.time(),
            self.generation_id,
            self.expected_finish,
            polled_at=self.started_at if self.polled_at_start else None,
        )
        for moment in moments:
            now = time.time()
            pause = min(moment, self.deadline) - now
            if pause > 0:
                self.log.info(
                    "generation_id=%s status=%s elapsed=%.0fs next poll in %.1fs",
                    self.generation_id,
                    last_status,
                    now - self.started_at,
                    pause,
                )
                await asyncio.sleep(pause)
            sent_at = time.time()
            try:
                job = await hook.aget_job(self.generation_id)
            except AimlSttError as exc:
                if not is_transient(exc):
                    return self._failure(exc, last_status)
                failures += 1
                if failures >= most_failures:
                    return self._failure(
                        exc, last_status, f"gave up after {failures} failed polls in a row: "
                    )
                self.log.warning(
                    "Poll %d/%d of generation_id=%s failed, will poll again: %s",
                    failures,
                    most_failures,
                    self.generation_id,
                    exc,
                )
            else:
                failures = 0
                self._poll_charge = Charge.total([self._poll_charge, job.charge])
                last_status = job.status
                finished = self._finished(job)
                if finished is not None:
                    return finished.model_copy(
                        update={"found_at": time.time(), "last_pending_at": last_pending}
                    )
                last_pending = sent_at
            if time.time() >= self.deadline:
                return self._event(
                    "timeout",
                    f"did not finish before its deadline ({self._elapsed():.0f} s after the wait began)",
                    last_status,
                )
        raise AssertionError("unreachable: the schedule has no end")  # pragma: no cover

    def _finished(self, job: FetchResponse) -> SttTriggerEvent | None:
        if job.is_finished:
            if job.is_completed:
                return self._event("success", f"completed after {self._elapsed():.0f} s", job.status)
            return self._event("error", f"the job failed: {job.error_reason}", job.status)
        if job.known_status is None:
            self.log.warning(
                "generation_id=%s reported status %r, which is not documented; treating it as pending",
                self.generation_id,
                job.status,
            )
        return None

    def _failure(self, exc: AimlSttError, api_status: str | None, prefix: str = "") -> SttTriggerEvent:
        """The error event for ``exc``, keeping its HTTP status so the task raises the same class."""
        http_status = exc.status_code if isinstance(exc, AimlSttApiError) else None
        return self._event("error", f"{prefix}{exc}", api_status, http_status)

    def _event(
        self, status: str, message: str, api_status: str | None, http_status: int | None = None
    ) -> SttTriggerEvent:
        return SttTriggerEvent.model_validate(
            {
                "status": status,
                "generation_id": self.generation_id,
                "message": f"Transcription {self.generation_id} {message}",
                "api_status": api_status,
                "http_status": http_status,
            }
        )

    def _elapsed(self) -> float:
        return time.time() - self.started_at
