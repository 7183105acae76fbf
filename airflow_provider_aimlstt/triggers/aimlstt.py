"""The trigger: waits for a transcription job in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_aimlstt.exceptions import (
    TRANSIENT_ERRORS,
    AimlSttError,
    AimlSttRateLimitedError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.events import SttTriggerEvent
from airflow_provider_aimlstt.models.responses import FetchResponse

BACKOFF_FACTOR = 1.5


class AimlSttTrigger(BaseTrigger):
    """Poll a job until it completes, fails, or its deadline passes.

    The wait between polls grows by half each time, from ``poke_interval`` up to
    ``max_poke_interval``. The deadline is an absolute epoch time, so a trigger re-created after a
    triggerer restart keeps the original one. A run of ``max_consecutive_failures`` transient
    failures (network, 429, 5xx, unreadable answer) ends the wait with an error event; one
    successful poll resets the count. The event is small: never the transcript itself.

    :param generation_id: the job to wait for.
    :param aimlstt_conn_id: the Airflow connection to poll with.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param poke_interval: seconds before the second poll.
    :param max_poke_interval: the longest wait between two polls.
    :param max_consecutive_failures: transient failures in a row that end the wait.
    :param started_at: epoch seconds when the wait began (for the elapsed time in logs).
    """

    def __init__(
        self,
        generation_id: str,
        aimlstt_conn_id: str,
        deadline: float,
        poke_interval: float = 10.0,
        max_poke_interval: float = 60.0,
        max_consecutive_failures: int = 5,
        started_at: float | None = None,
    ) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.deadline = float(deadline)
        self.poke_interval = float(poke_interval)
        self.max_poke_interval = max(float(max_poke_interval), self.poke_interval)
        self.max_consecutive_failures = max(1, int(max_consecutive_failures))
        self.started_at = float(started_at if started_at is not None else time.time())

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and plain-JSON kwargs (no secret: the key is read from the connection)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "generation_id": self.generation_id,
                "aimlstt_conn_id": self.aimlstt_conn_id,
                "deadline": self.deadline,
                "poke_interval": self.poke_interval,
                "max_poke_interval": self.max_poke_interval,
                "max_consecutive_failures": self.max_consecutive_failures,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job ends or the deadline passes, then yield one event."""
        hook = AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id)
        try:
            event = await self._wait(hook)
        finally:
            await hook.aclose()
        yield TriggerEvent(event.model_dump())

    async def _wait(self, hook: AimlSttHook) -> SttTriggerEvent:
        interval = self.poke_interval
        failures = 0
        last_status: str | None = None
        while True:
            wait_at_least = 0.0
            try:
                job = await hook.aget_job(self.generation_id)
            except TRANSIENT_ERRORS as exc:
                failures += 1
                if failures >= self.max_consecutive_failures:
                    return self._event(
                        "error", f"gave up after {failures} failed polls in a row: {exc}", last_status
                    )
                self.log.warning(
                    "Poll %d/%d of generation_id=%s failed, will retry: %s",
                    failures,
                    self.max_consecutive_failures,
                    self.generation_id,
                    exc,
                )
                if isinstance(exc, AimlSttRateLimitedError) and exc.retry_after:
                    wait_at_least = exc.retry_after
            except AimlSttError as exc:
                return self._event("error", str(exc), last_status)
            else:
                failures = 0
                last_status = job.status
                finished = self._finished(job)
                if finished is not None:
                    return finished
            remaining = self.deadline - time.time()
            if remaining <= 0:
                return self._event(
                    "timeout",
                    f"did not finish before its deadline ({self._elapsed():.0f} s after the wait began)",
                    last_status,
                )
            pause = min(max(interval, wait_at_least), remaining)
            self.log.info(
                "generation_id=%s status=%s elapsed=%.0fs next poll in %.1fs",
                self.generation_id,
                last_status,
                self._elapsed(),
                pause,
            )
            await asyncio.sleep(pause)
            interval = min(interval * BACKOFF_FACTOR, self.max_poke_interval)

    def _finished(self, job: FetchResponse) -> SttTriggerEvent | None:
        if job.is_completed:
            return self._event("success", f"completed after {self._elapsed():.0f} s", job.status)
        if job.is_failed:
            return self._event("error", f"the job failed: {job.error_reason}", job.status)
        if job.known_status is None:
            self.log.warning(
                "generation_id=%s reported status %r, which is not documented; treating it as pending",
                self.generation_id,
                job.status,
            )
        return None

    def _event(self, status: str, message: str, api_status: str | None) -> SttTriggerEvent:
        return SttTriggerEvent.model_validate(
            {
                "status": status,
                "generation_id": self.generation_id,
                "message": f"Transcription {self.generation_id} {message}",
                "api_status": api_status,
            }
        )

    def _elapsed(self) -> float:
        return time.time() - self.started_at
