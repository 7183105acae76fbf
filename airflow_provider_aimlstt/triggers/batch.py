"""The batch trigger: one wait for every job a batch task has in flight, without a worker slot.

It polls all the task's generation ids on one HTTP client, a bounded number at a time, on the
same interval schedule as a single job's wait, and fires when the task has work to do:

- enough jobs finished to fill the in-flight window again (``resume_when_finished``);
- a finished job's result nears the end of its one-hour retention (a paid result must not
  expire while the batch waits on others);
- every job finished;
- or the deadline passed.

The event is small: the finished ids and their statuses, never a result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_aimlstt.batch.progress import progress_line
from airflow_provider_aimlstt.exceptions import AimlSttApiError, AimlSttError, AimlSttNotFoundError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.retry import is_transient
from airflow_provider_aimlstt.polling import PollSchedule

RETENTION_SECONDS = 3600.0
"""How long the API keeps a job's result after its create."""
RETENTION_MARGIN_SECONDS = 600.0
"""Resume this long before a finished job's result would expire."""
PROGRESS_EVERY_SECONDS = 5.0
GONE = "gone"
"""The status the event gives a job the API no longer knows (404: expired, or never made)."""
FAILED_POLL = "unpollable"
"""The status the event gives a job whose polls fail for good (401, 403, ...)."""


class AimlSttBatchTrigger(BaseTrigger):
    """Wait for a batch's jobs; fire when the batch task has something to do.

    :param generation_ids: the jobs in flight.
    :param aimlstt_conn_id: the Airflow connection to poll with.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param created_at: epoch seconds of each job's create, in the order of ``generation_ids``
        (retention runs from it); None: now.
    :param resume_when_finished: fire once this many jobs finished (default: all of them).
    :param poke_interval: seconds before the second round of polls.
    :param max_poke_interval: the longest wait between two rounds.
    :param max_concurrent_polls: polls in progress at once.
    :param api_retries: retries of one poll; None reads the connection.
    :param progress: ``{"total", "done", "failed", "started_at"}`` of the whole batch, for the log.
    """

    def __init__(
        self,
        generation_ids: list[str],
        aimlstt_conn_id: str,
        deadline: float,
        created_at: list[float] | None = None,
        resume_when_finished: int | None = None,
        poke_interval: float = 10.0,
        max_poke_interval: float = 60.0,
        max_concurrent_polls: int = 16,
        api_retries: int | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.generation_ids = list(generation_ids)
        self.aimlstt_conn_id = aimlstt_conn_id
        self.deadline = float(deadline)
        now = time.time()
        self.created_at = (
            [float(moment) for moment in created_at] if created_at else [now] * len(generation_ids)
        )
        if len(self.created_at) != len(self.generation_ids):
            raise ValueError("created_at: must give one time per generation id")
        wanted = len(self.generation_ids) if resume_when_finished is None else int(resume_when_finished)
        self.resume_when_finished = max(1, min(wanted, len(self.generation_ids)))
        self.schedule = PollSchedule(poke_interval, max_poke_interval)
        self.max_concurrent_polls = max(1, int(max_concurrent_polls))
        self.api_retries = api_retries
        self.progress = dict(progress or {})

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and plain-JSON kwargs: ids and times, no result and no secret."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "generation_ids": self.generation_ids,
                "aimlstt_conn_id": self.aimlstt_conn_id,
                "deadline": self.deadline,
                "created_at": self.created_at,
                "resume_when_finished": self.resume_when_finished,
                "poke_interval": self.schedule.poke_interval,
                "max_poke_interval": self.schedule.max_poke_interval,
                "max_concurrent_polls": self.max_concurrent_polls,
                "api_retries": self.api_retries,
                "progress": self.progress,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll in rounds until the task has work to do, then yield one event."""
        hook = AimlSttHook.for_task(self)
        try:
            event = await self._wait(hook)
        finally:
            await hook.aclose()
        yield TriggerEvent(event)

    async def _wait(self, hook: AimlSttHook) -> dict[str, Any]:
        finished: dict[str, str] = {}
        messages: dict[str, str] = {}
        created = dict(zip(self.generation_ids, self.created_at, strict=True))
        gate = asyncio.Semaphore(self.max_concurrent_polls)
        last_progress = 0.0
        for interval in self.schedule.intervals():
            pending = [gid for gid in self.generation_ids if gid not in finished]
            outcomes = await asyncio.gather(*(self._poll(hook, gate, gid) for gid in pending))
            for gid, (status, message) in zip(pending, outcomes, strict=True):
                if status is not None:
                    finished[gid] = status
                if message:
                    messages[gid] = message
            now = time.time()
            if self._should_resume(finished, created, now):
                return self._event("ready", finished, messages)
            if now >= self.deadline:
                return self._event("timeout", finished, messages)
            if now - last_progress >= PROGRESS_EVERY_SECONDS:
                self.log.info("Batch: %s", self._progress(finished))
                last_progress = now
            await asyncio.sleep(
                min(interval, self.deadline - now, self._until_retention_risk(finished, created))
            )
        raise AssertionError("unreachable: the schedule has no end")  # pragma: no cover

    async def _poll(
        self, hook: AimlSttHook, gate: asyncio.Semaphore, generation_id: str
    ) -> tuple[str | None, str | None]:
        """One poll: the job's final status (None while pending) and a message for the task."""
        async with gate:
            try:
                job = await hook.aget_job(generation_id)
            except AimlSttNotFoundError as exc:
                return GONE, str(exc)
            except AimlSttError as exc:
                if is_transient(exc):
                    self.log.warning(
                        "Poll of generation_id=%s failed, will poll again: %s", generation_id, exc
                    )
                    return None, None
                status = exc.status_code if isinstance(exc, AimlSttApiError) else None
                return FAILED_POLL, f"{exc} (HTTP {status})" if status else str(exc)
        if job.is_finished:
            return job.status, job.error_reason if job.is_failed else None
        return None, None

    def _should_resume(self, finished: dict[str, str], created: dict[str, float], now: float) -> bool:
        if len(finished) >= self.resume_when_finished or len(finished) == len(self.generation_ids):
            return True
        return self._until_retention_risk(finished, created, now) <= 0

    def _until_retention_risk(
        self, finished: dict[str, str], created: dict[str, float], now: float | None = None
    ) -> float:
        """Seconds until the first finished job's result is within the margin of its expiry."""
        if not finished:
            return float("inf")
        moment = time.time() if now is None else now
        oldest = min(created[gid] for gid in finished)
        return oldest + RETENTION_SECONDS - RETENTION_MARGIN_SECONDS - moment

    def _event(self, status: str, finished: dict[str, str], messages: dict[str, str]) -> dict[str, Any]:
        self.log.info("Batch: %s; resuming the task (%s)", self._progress(finished), status)
        return {"status": status, "finished": finished, "messages": messages, "progress": self.progress}

    def _progress(self, finished: dict[str, str]) -> str:
        total = int(self.progress.get("total", len(self.generation_ids)))
        done = int(self.progress.get("done", 0)) + len(finished)
        failed = int(self.progress.get("failed", 0)) + sum(1 for s in finished.values() if s != "completed")
        started = float(self.progress.get("started_at", time.time()))
        return progress_line(done, total, failed, len(self.generation_ids) - len(finished), started)
