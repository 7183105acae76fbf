"""The job store: jobs, their ids, and their status on the store's clock.

A job's status follows the time since its creation: first pending (``waiting`` for the
Deepgram-style models, ``queued`` for the newer ones), then running (``active`` / ``generating``),
then ``completed`` -- or ``error`` when a failure was set on it. A held job stays pending for good.
After the retention time every job is gone.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from airflow_provider_aimlstt.emulator.billing import FREE, Bill
from airflow_provider_aimlstt.emulator.catalog import Family
from airflow_provider_aimlstt.emulator.clock import Clock, MonotonicClock
from airflow_provider_aimlstt.emulator.config import EmulatorConfig

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits + "_-"
_SHORT_ID_LENGTH = 21
_ISSUED_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    rf"|[A-Za-z0-9_-]{{{_SHORT_ID_LENGTH}}}"
)


class JobStatus(str, Enum):
    """The ``status`` of a fetch answer, as the fetch schemas list them."""

    WAITING = "waiting"
    ACTIVE = "active"
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    ERROR = "error"


def new_generation_id(family: Family) -> str:
    """A UUID for the older models, a 21-character url-safe id (``RlLz0hRdAs9voL5Qi1Pzr``) for the newer.

    :param family: the model family.
    """
    if family.uses_legacy_statuses:
        return str(uuid.uuid4())
    return new_inference_id()


def new_inference_id() -> str:
    """A 21-character url-safe id, as the newer generation ids and the tracing page's example are."""
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(_SHORT_ID_LENGTH))


def looks_like_generation_id(value: str) -> bool:
    """True for an id the emulator could have issued: a lowercase UUID4 or a 21-character url-safe id.

    :param value: an id from a request path.
    """
    return _ISSUED_ID.fullmatch(value) is not None


@dataclass
class Job:
    """One transcription job.

    :param generation_id: the id the create call answered.
    :param model: the model id.
    :param family: the model's family.
    :param created_at: creation time on the store's clock.
    :param result: the body served once the job is completed.
    :param failure: when set, the job ends in ``error`` with this ``{name, message}`` instead.
    :param held: when True, the job stays pending forever (until its retention expires).
    :param cost: what its create was billed.
    :param client_request_id: the valid ``X-Client-Request-Id`` of its create, or None.
    """

    generation_id: str
    model: str
    family: Family
    created_at: float
    result: dict[str, Any]
    failure: dict[str, str] | None = None
    held: bool = False
    cost: Bill = FREE
    client_request_id: str | None = None


class JobStore:
    """The jobs of one emulator, safe to use from many request threads.

    :param config: read on every call, so timing changes apply at once.
    :param clock: the clock job ages are measured on (default: real time); tests pass a
        :class:`~airflow_provider_aimlstt.emulator.clock.ManualClock` and advance it.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock | None = None) -> None:
        self._config = config
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    @property
    def clock(self) -> Clock:
        """The clock job ages are measured on; ``clock.advance(seconds)`` ages every job at once."""
        return self._clock

    def add(
        self,
        generation_id: str,
        model: str,
        family: Family,
        result: dict[str, Any],
        *,
        cost: Bill = FREE,
        client_request_id: str | None = None,
    ) -> Job:
        """Store a new job, created now.

        :param generation_id: its id, from :func:`new_generation_id`.
        :param model: the model id.
        :param family: the model's family.
        :param result: the body to serve once it is completed.
        :param cost: what its create was billed.
        :param client_request_id: the valid ``X-Client-Request-Id`` of its create, or None.
        """
        with self._lock:
            job = Job(
                generation_id,
                model,
                family,
                self._clock.now(),
                result,
                cost=cost,
                client_request_id=client_request_id,
            )
            self._drop_expired()
            self._jobs[generation_id] = job
        return job

    def get(self, generation_id: str) -> Job | None:
        """The job, or None when the id is unknown or the job is past its retention.

        :param generation_id: the id from the request.
        """
        with self._lock:
            self._drop_expired()
            return self._jobs.get(generation_id)

    def fail(self, generation_id: str, name: str = "Error", message: str = "Transcription failed") -> bool:
        """Make a job end in ``error`` (once it is past its pending and running phases).

        :param generation_id: the job's id.
        :param name: the ``error.name`` to report.
        :param message: the ``error.message`` to report.
        :return: False when there is no such job.
        """
        job = self.get(generation_id)
        if job is None:
            return False
        job.failure = {"name": name, "message": message}
        return True

    def hold(self, generation_id: str) -> bool:
        """Make a job stay pending (``waiting``/``queued``) until its retention expires.

        :param generation_id: the job's id.
        :return: False when there is no such job.
        """
        job = self.get(generation_id)
        if job is None:
            return False
        job.held = True
        return True

    def status_of(self, job: Job) -> JobStatus:
        """The job's status now.

        :param job: a stored job.
        """
        elapsed = self._clock.now() - job.created_at
        legacy = job.family.uses_legacy_statuses
        if job.held or elapsed < self._config.queued_seconds:
            return JobStatus.WAITING if legacy else JobStatus.QUEUED
        if elapsed < self._config.queued_seconds + self._config.processing_seconds:
            return JobStatus.ACTIVE if legacy else JobStatus.GENERATING
        return JobStatus.ERROR if job.failure is not None else JobStatus.COMPLETED

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._jobs)

    def _drop_expired(self) -> None:
        # Jobs are kept in creation order, so the expired ones are at the front.
        oldest_allowed = self._clock.now() - self._config.retention_seconds
        expired = []
        for key, job in self._jobs.items():
            if job.created_at >= oldest_allowed:
                break
            expired.append(key)
        for key in expired:
            del self._jobs[key]
