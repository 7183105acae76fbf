"""The batch trigger: one wait for every job a batch task has in flight, without a worker slot.

It polls the task's generation ids on the shared HTTP clients, a bounded number at a time, in
rounds on the interval schedule of a single job's wait
(:class:`~airflow_provider_aimlstt.polling.PollSchedule`), and fires when the task has work to do:

- enough jobs finished to fill the in-flight window again (``resume_when_finished``);
- a finished job's result nears the end of its one-hour retention (a paid result must not
  expire while the batch waits on others);
- every job finished;
- or the deadline passed.

A job joins the rounds in the middle of the window it is predicted to finish in (its audio's
duration and the model's learned pace, see :mod:`~airflow_provider_aimlstt.job_timing`): about
half such jobs are finished at their first poll, and the others tell the model how early jobs do
not finish. Any other job joins when it is ``first_poll_after`` seconds old (what the task saw its
jobs take), or :data:`~airflow_provider_aimlstt.defaults.FIRST_POLL_SECONDS` when the task has no
such figure yet. Every round polls every job that is due, so an event carries all the jobs that
finished by then (a resume has as much work as it can). The event (:class:`BatchWaitEvent`) is
small: the finished ids, their statuses and what the polls proved of when each finished
(:func:`~airflow_provider_aimlstt.polling.finish_bracket`), never a result.

A task that does not defer runs the same wait on its worker (:meth:`AimlSttBatchTrigger.wait_here`).

This module owns the event's format and the progress line the task logs too: the batch's code
imports it, never the reverse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_aimlstt.defaults import FIRST_POLL_SECONDS, MAX_POLL_SECONDS, RESULT_RETENTION_SECONDS
from airflow_provider_aimlstt.exceptions import AimlSttApiError, AimlSttError, AimlSttNotFoundError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.async_clients import aclose_shared_clients
from airflow_provider_aimlstt.hooks.retry import is_transient
from airflow_provider_aimlstt.models.status import SttStatus
from airflow_provider_aimlstt.polling import ExpectedFinish, PollSchedule, finish_bracket

RETENTION_MARGIN_SECONDS = 600.0
"""Resume this long before a finished job's result would expire (counted from its create, which
is earlier than its finish: on the safe side)."""
PROGRESS_EVERY_SECONDS = 5.0
"""How often the wait logs the progress line."""
MAX_CONCURRENT_POLLS = 16
"""Polls in progress at once: enough to poll a round of hundreds of jobs in seconds, few enough
not to look like a burst to the API."""
GONE = "gone"
"""The status the event gives a job the API no longer knows (404: expired, or never made)."""
FAILED_POLL = "unpollable"
"""The status the event gives a job whose polls fail for good (401, 403, ...)."""
READY = "ready"
"""The event's status when the task has work to do."""
TIMEOUT = "timeout"
"""The event's status when the batch's deadline passed."""


@dataclass(frozen=True)
class BatchWaitEvent:
    """What the batch trigger tells its task: the jobs that finished while it waited.

    :param status: :data:`READY`, or :data:`TIMEOUT` when the deadline passed.
    :param finished: ``{generation_id: status}`` of the jobs that finished: an API status
        (``completed``, ``error``...), :data:`GONE` or :data:`FAILED_POLL`.
    :param finished_between: ``{generation_id: [after, by]}``: seconds after its create between
        which each finished job finished, as the polls proved it.
    :param messages: ``{generation_id: text}`` for the jobs that did not complete: why.
    :param progress: the ``progress`` the trigger was given, handed back to the task.
    """

    status: str
    finished: dict[str, str]
    finished_between: dict[str, list[float]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The event as the plain-JSON payload of a ``TriggerEvent``."""
        return {
            "status": self.status,
            "finished": self.finished,
            "finished_between": self.finished_between,
            "messages": self.messages,
            "progress": self.progress,
        }

    @classmethod
    def from_payload(cls, payload: Any) -> BatchWaitEvent:
        """The event a task resumed with.

        :param payload: the ``event`` of the task's ``execute_complete``.
        :raises ValueError: when it is not a batch trigger's event.
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("finished"), dict):
            raise ValueError(f"not a batch trigger's event: {payload!r}")
        return cls(
            status=str(payload.get("status")),
            finished={str(key): str(value) for key, value in payload["finished"].items()},
            finished_between=dict(payload.get("finished_between") or {}),
            messages=dict(payload.get("messages") or {}),
            progress=dict(payload.get("progress") or {}),
        )


class AimlSttBatchTrigger(BaseTrigger):
    """Wait for a batch's jobs; fire when the batch task has something to do.

    Its polls follow :data:`~airflow_provider_aimlstt.defaults.FIRST_POLL_SECONDS` and
    :data:`~airflow_provider_aimlstt.defaults.MAX_POLL_SECONDS`, at most
    :data:`MAX_CONCURRENT_POLLS` at once, each retried as the connection says.

    :param generation_ids: the jobs in flight.
    :param aimlstt_conn_id: the Airflow connection to poll with.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param created_at: epoch seconds of each job's create, in the order of ``generation_ids``
        (retention runs from it); None: now.
    :param resume_when_finished: fire once this many jobs finished (default: all of them).
    :param progress: ``{"total", "done", "failed", "started_at", "done_at_start"}`` of the whole
        batch, for the log; handed back in the event with anything else it holds.
    :param first_poll_after: seconds after its create before the first poll of a job without an
        expected finish (at least the first poll interval); None: the first poll interval.
    :param resume_not_before: epoch seconds before which no ``ready`` event fires (jobs that
        finish meanwhile join the event); None: no such bound.
    :param expected_finish: per id, in the order of ``generation_ids``, ``[earliest, latest]``
        seconds after its create when it is predicted to finish (its first poll comes midway), or
        None; None: no predictions.
    """

    def __init__(
        self,
        generation_ids: list[str],
        aimlstt_conn_id: str,
        deadline: float,
        created_at: list[float] | None = None,
        resume_when_finished: int | None = None,
        progress: dict[str, Any] | None = None,
        first_poll_after: float | None = None,
        resume_not_before: float | None = None,
        expected_finish: list[list[float] | None] | None = None,
    ) -> None:
        super().__init__()
        times = [time.time()] * len(generation_ids) if created_at is None else list(created_at)
        if len(times) != len(generation_ids):
            raise ValueError("created_at: must give one time per generation id")
        windows = [None] * len(generation_ids) if expected_finish is None else list(expected_finish)
        if len(windows) != len(generation_ids):
            raise ValueError("expected_finish: must give one window (or None) per generation id")
        created: dict[str, tuple[float, ExpectedFinish | None]] = {}
        for generation_id, moment, window in zip(generation_ids, times, windows, strict=True):
            expected = None if window is None else (float(window[0]), float(window[1]))
            created.setdefault(str(generation_id), (float(moment), expected))  # an id given twice is one job
        self.generation_ids = list(created)
        self.created_at = [moment for moment, _ in created.values()]
        self.expected_finish = [window for _, window in created.values()]
        self.aimlstt_conn_id = aimlstt_conn_id
        self.deadline = float(deadline)
        wanted = len(self.generation_ids) if resume_when_finished is None else int(resume_when_finished)
        self.resume_when_finished = max(1, min(wanted, len(self.generation_ids)))
        self.schedule = PollSchedule(FIRST_POLL_SECONDS, MAX_POLL_SECONDS)
        self.progress = dict(progress or {})
        self.first_poll_after = None if first_poll_after is None else float(first_poll_after)
        self.first_wait = max(self.schedule.poke_interval, self.first_poll_after or 0.0)
        self.resume_not_before = None if resume_not_before is None else float(resume_not_before)

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
                "progress": self.progress,
                "first_poll_after": self.first_poll_after,
                "resume_not_before": self.resume_not_before,
                "expected_finish": (
                    None
                    if all(window is None for window in self.expected_finish)
                    else [None if window is None else list(window) for window in self.expected_finish]
                ),
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll in rounds until the task has work to do, then yield one event."""
        event = await self._wait_with_hook(self.resume_not_before)
        yield TriggerEvent(event.to_payload())

    def wait_here(self) -> dict[str, Any]:
        """Wait on this worker instead of in the triggerer (a task that does not defer): the same
        polls and the same event, as the payload the task would have resumed with.

        No resume is held back: ``resume_not_before`` guards against a race of deferring only.
        """

        async def wait() -> BatchWaitEvent:
            try:
                return await self._wait_with_hook(None)
            finally:
                await aclose_shared_clients()  # the loop ends with this wait

        return asyncio.run(wait()).to_payload()

    async def _wait_with_hook(self, resume_not_before: float | None) -> BatchWaitEvent:
        hook = AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id)
        try:
            return await self._wait(hook, resume_not_before)
        finally:
            await hook.aclose()

    async def _wait(self, hook: AimlSttHook, resume_not_before: float | None) -> BatchWaitEvent:
        finished: dict[str, str] = {}
        brackets: dict[str, tuple[float, float]] = {}
        last_pending: dict[str, float] = {}
        messages: dict[str, str] = {}
        created = dict(zip(self.generation_ids, self.created_at, strict=True))
        first_due = {
            gid: created[gid] + (self.first_wait if window is None else sum(window) / 2)
            for gid, window in zip(self.generation_ids, self.expected_finish, strict=True)
        }
        gate = asyncio.Semaphore(MAX_CONCURRENT_POLLS)
        last_progress = 0.0
        intervals = self.schedule.intervals(self.generation_ids[0] if self.generation_ids else None)
        interval = float("inf")  # no round yet: wait only for the first job to be due
        while True:
            now = time.time()
            pending = [gid for gid in self.generation_ids if gid not in finished]
            due = [gid for gid in pending if first_due[gid] <= now or now >= self.deadline]
            if due:
                outcomes = await asyncio.gather(*(self._poll(hook, gate, gid) for gid in due))
                now = time.time()
                for gid, (status, message, sent_at) in zip(due, outcomes, strict=True):
                    if status is None:
                        last_pending[gid] = sent_at
                    else:
                        finished[gid] = status
                        brackets[gid] = finish_bracket(created[gid], now, last_pending.get(gid))
                    if message:
                        messages[gid] = message
                interval = next(intervals)
            held = resume_not_before is not None and now < resume_not_before
            if self._should_resume(finished, created, now) and not held:
                return self._event(READY, finished, brackets, messages)
            if now >= self.deadline:
                return self._event(TIMEOUT, finished, brackets, messages)
            if now - last_progress >= PROGRESS_EVERY_SECONDS:
                self.log.info("Batch: %s", self._progress(finished))
                last_progress = now
            next_due = min(
                (
                    first_due[gid]
                    for gid in self.generation_ids
                    if gid not in finished and first_due[gid] > now
                ),
                default=float("inf"),
            )
            await asyncio.sleep(
                max(
                    0.0,
                    min(
                        interval,
                        next_due - now,
                        self.deadline - now,
                        # held: the bound is seconds away, the retention margin minutes
                        float(resume_not_before or now) - now
                        if held
                        else self._until_retention_risk(finished, created, now),
                    ),
                )
            )

    async def _poll(
        self, hook: AimlSttHook, gate: asyncio.Semaphore, generation_id: str
    ) -> tuple[str | None, str | None, float]:
        """One poll: the job's final status (None while pending), a message for the task, and
        when the poll was sent."""
        async with gate:
            sent_at = time.time()
            try:
                job = await hook.aget_job(generation_id)
            except AimlSttNotFoundError as exc:
                return GONE, str(exc), sent_at
            except AimlSttError as exc:
                if is_transient(exc):
                    self.log.warning(
                        "Poll of generation_id=%s failed, will poll again: %s", generation_id, exc
                    )
                    return None, None, sent_at
                status = exc.status_code if isinstance(exc, AimlSttApiError) else None
                return FAILED_POLL, f"{exc} (HTTP {status})" if status else str(exc), sent_at
        if job.is_finished:
            return job.status, job.error_reason if job.is_failed else None, sent_at
        return None, None, sent_at

    def _should_resume(self, finished: dict[str, str], created: dict[str, float], now: float) -> bool:
        if len(finished) >= self.resume_when_finished or len(finished) == len(self.generation_ids):
            return True
        return self._until_retention_risk(finished, created, now) <= 0

    def _until_retention_risk(
        self, finished: dict[str, str], created: dict[str, float], now: float | None = None
    ) -> float:
        """Seconds until the first completed job's result is within the margin of its expiry (a
        failed job has no result to lose)."""
        completed = [gid for gid, status in finished.items() if status == SttStatus.COMPLETED.value]
        if not completed:
            return float("inf")
        moment = time.time() if now is None else now
        oldest = min(created[gid] for gid in completed)
        return oldest + RESULT_RETENTION_SECONDS - RETENTION_MARGIN_SECONDS - moment

    def _event(
        self,
        status: str,
        finished: dict[str, str],
        brackets: dict[str, tuple[float, float]],
        messages: dict[str, str],
    ) -> BatchWaitEvent:
        self.log.info("Batch: %s; resuming the task (%s)", self._progress(finished), status)
        return BatchWaitEvent(
            status=status,
            finished=finished,
            finished_between={gid: [round(after, 3), round(by, 3)] for gid, (after, by) in brackets.items()},
            messages=messages,
            progress=self.progress,
        )

    def _progress(self, finished: dict[str, str]) -> str:
        total = int(self.progress.get("total", len(self.generation_ids)))
        done = int(self.progress.get("done", 0)) + len(finished)
        unsuccessful = sum(1 for status in finished.values() if status != SttStatus.COMPLETED.value)
        failed = int(self.progress.get("failed", 0)) + unsuccessful
        started = float(self.progress.get("started_at", time.time()))
        in_flight = len(self.generation_ids) - len(finished)
        return progress_line(
            done, total, failed, in_flight, started, int(self.progress.get("done_at_start", 0))
        )


def progress_line(
    done: int, total: int, failed: int, in_flight: int, started_at: float, done_at_start: int = 0
) -> str:
    """``412/1500 done, 2 failed, 32 in flight, 95.1 files/min, ETA 11m26s``: the batch's progress,
    the same in the trigger's log and in the task's.

    :param done: files finished (transcribed, skipped or failed).
    :param total: files in the batch.
    :param failed: files that failed.
    :param in_flight: jobs the API is working on.
    :param started_at: epoch seconds when the batch (or this try of it) began.
    :param done_at_start: files already finished then (an earlier try's): not part of the rate.
    """
    elapsed = max(time.time() - started_at, 1e-6)
    rate = max(done - done_at_start, 0) / elapsed * 60
    left = total - done
    eta = "-" if rate <= 0 or left <= 0 else _duration(left / rate * 60)
    return f"{done}/{total} done, {failed} failed, {in_flight} in flight, {rate:.1f} files/min, ETA {eta}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
