"""Jobs: their ids, their status as time passes, their failure flag and their retention.

A job's status follows the time since its creation: first pending (``waiting`` for the older
Deepgram-style models, ``queued`` for the newer ones), then running (``active`` / ``generating``),
then ``completed`` -- or ``error`` when a failure was set on it. A held job stays pending for
good. After the retention time every job is gone (404).
"""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_aimlstt.emulator.config import EmulatorConfig
from airflow_provider_aimlstt.models import JobError, ModelFamily, SttStatus

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits + "_-"
_SHORT_ID_LENGTH = 21


def uses_legacy_statuses(family: ModelFamily) -> bool:
    """True for the Deepgram-style models, which answer 201 and say ``waiting``/``active``.

    :param family: the model family.
    """
    return family is ModelFamily.DEEPGRAM


def new_generation_id(family: ModelFamily) -> str:
    """A UUID for the older models, a 21-character url-safe id (``RlLz0hRdAs9voL5Qi1Pzr``) for the newer.

    :param family: the model family.
    """
    if uses_legacy_statuses(family):
        return str(uuid.uuid4())
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(_SHORT_ID_LENGTH))


@dataclass
class Job:
    """One transcription job.

    :param generation_id: the id the create call answered.
    :param model: the model id.
    :param family: the model's family.
    :param created_at: creation time on the store's monotonic clock.
    :param result: the body served once the job is completed.
    :param failure: when set, the job ends in ``error`` with this payload instead.
    :param held: when True, the job stays pending forever (until its retention expires).
    """

    generation_id: str
    model: str
    family: ModelFamily
    created_at: float
    result: dict[str, Any]
    failure: JobError | None = field(default=None)
    held: bool = False


class JobStore:
    """The jobs of one emulator, safe to use from many request threads.

    :param config: read on every call, so timing changes apply at once.
    :param clock: a monotonic clock in seconds (replaceable in tests).
    """

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def add(self, generation_id: str, model: str, family: ModelFamily, result: dict[str, Any]) -> Job:
        """Store a new job, created now.

        :param generation_id: its id, from :func:`new_generation_id`.
        :param model: the model id.
        :param family: the model's family.
        :param result: the body to serve once it is completed.
        """
        with self._lock:
            job = Job(generation_id, model, family, self._clock(), result)
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
        job.failure = JobError(name=name, message=message)
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

    def status_of(self, job: Job) -> SttStatus:
        """The job's status now.

        :param job: a stored job.
        """
        elapsed = self._clock() - job.created_at
        legacy = uses_legacy_statuses(job.family)
        if job.held or elapsed < self._config.queued_seconds:
            return SttStatus.WAITING if legacy else SttStatus.QUEUED
        if elapsed < self._config.queued_seconds + self._config.processing_seconds:
            return SttStatus.ACTIVE if legacy else SttStatus.GENERATING
        return SttStatus.ERROR if job.failure is not None else SttStatus.COMPLETED

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._jobs)

    def _drop_expired(self) -> None:
        # Jobs are kept in creation order, so the expired ones are at the front.
        oldest_allowed = self._clock() - self._config.retention_seconds
        expired = []
        for key, job in self._jobs.items():
            if job.created_at >= oldest_allowed:
                break
            expired.append(key)
        for key in expired:
            del self._jobs[key]
