"""The emulated service's state and operations, apart from HTTP: a job store, and create and fetch on it.

A job's status follows the time since its creation on the store's clock: first pending
(``waiting`` for the Deepgram-style models, ``queued`` for the newer ones), then running
(``active`` / ``generating``), then ``completed`` -- or ``error`` when a failure was set on it. A
held job stays pending for good. After the retention time every job is gone (404).
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from airflow_provider_aimlstt.emulator.audio import StoredAudio
from airflow_provider_aimlstt.emulator.audio_info import SOURCE_UPLOAD, AudioInfo
from airflow_provider_aimlstt.emulator.catalog import MODEL_FAMILIES, Family
from airflow_provider_aimlstt.emulator.clock import Clock, MonotonicClock
from airflow_provider_aimlstt.emulator.config import EmulatorConfig
from airflow_provider_aimlstt.emulator.exceptions import generation_not_found_error
from airflow_provider_aimlstt.emulator.faults.injector import JOB_ERROR, JOB_NEVER_FINISHES
from airflow_provider_aimlstt.emulator.results.assemblyai import build_assemblyai_result
from airflow_provider_aimlstt.emulator.results.deepgram import build_deepgram_result
from airflow_provider_aimlstt.emulator.results.emulated_text import make_emulated_text
from airflow_provider_aimlstt.emulator.results.facts import JobFacts
from airflow_provider_aimlstt.emulator.results.text_usage import build_microsoft_result, build_openai_result
from airflow_provider_aimlstt.emulator.sources import find_url_audio
from airflow_provider_aimlstt.emulator.stats import EmulatorStats

DOWNLOAD_FAILURE_NAME = "AudioDownloadError"
JOB_FAULT_NAME = "TranscriptionError"
JOB_FAULT_MESSAGE = "Transcription failed (emulator fault injection)"
_SHORT_ID_ALPHABET = string.ascii_letters + string.digits + "_-"
_SHORT_ID_LENGTH = 21
_RESULT_BUILDERS: dict[Family, Callable[[JobFacts], dict[str, Any]]] = {
    Family.DEEPGRAM: build_deepgram_result,
    Family.ASSEMBLYAI: build_assemblyai_result,
    Family.OPENAI: build_openai_result,
    Family.MICROSOFT: build_microsoft_result,
}


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
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(_SHORT_ID_LENGTH))


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
    """

    generation_id: str
    model: str
    family: Family
    created_at: float
    result: dict[str, Any]
    failure: dict[str, str] | None = None
    held: bool = False


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

    def add(self, generation_id: str, model: str, family: Family, result: dict[str, Any]) -> Job:
        """Store a new job, created now.

        :param generation_id: its id, from :func:`new_generation_id`.
        :param model: the model id.
        :param family: the model's family.
        :param result: the body to serve once it is completed.
        """
        with self._lock:
            job = Job(generation_id, model, family, self._clock.now(), result)
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


class SttBackend:
    """``POST /v1/stt/create`` and ``GET /v1/stt/{generation_id}`` as operations on a job store.

    :param config: the emulator settings, read on every call.
    :param jobs: where jobs live.
    :param stats: counters to update.
    """

    def __init__(self, config: EmulatorConfig, jobs: JobStore, stats: EmulatorStats) -> None:
        self.config = config
        self.jobs = jobs
        self.stats = stats

    def create(
        self,
        model: str,
        options: dict[str, Any],
        *,
        url: str | None = None,
        upload: StoredAudio | None = None,
        job_fault: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Make the job of a validated create request and answer its id.

        :param model: a known model id.
        :param options: the validated options.
        :param url: the audio URL, for a URL source.
        :param upload: the uploaded audio, for an upload (left for the caller to delete).
        :param job_fault: ``job_error`` or ``job_never_finishes`` to give the new job that fate (a
            failed URL download takes precedence); counted in the stats' ``faults_by_kind``.
        :return: the HTTP status (201 for the older models, 200 for the newer) and the body.
        """
        family = MODEL_FAMILIES[model]
        failure: str | None = None
        stored: StoredAudio | None
        if upload is not None:
            stored, source, name = upload, SOURCE_UPLOAD, upload.filename
        else:
            found = find_url_audio(url or "", self.config)
            stored, source, name, failure = found.stored, found.kind, found.name, found.failure
        try:
            audio = stored.measure() if stored is not None else self._no_audio(url or "")
        finally:
            if stored is not None and stored is not upload:
                stored.delete()
        generation_id = new_generation_id(family)
        facts = JobFacts(
            generation_id=generation_id,
            model=model,
            family=family,
            options=options,
            audio=audio,
            emulated_text=make_emulated_text(
                self.config.transcripts_dir, name, audio.sha256, audio.duration_seconds
            ),
            audio_source=source,
            url=url,
            created=datetime.now(timezone.utc),
        )
        self.jobs.add(generation_id, model, family, _RESULT_BUILDERS[family](facts))
        if failure is not None:
            self.jobs.fail(generation_id, DOWNLOAD_FAILURE_NAME, failure)
        elif job_fault is not None:
            self._apply_job_fault(generation_id, job_fault)
        self.stats.count_create(audio.sha256)
        if family.uses_legacy_statuses:
            return 201, {"generation_id": generation_id}
        return 200, {"generation_id": generation_id, "status": JobStatus.QUEUED.value}

    def fetch(self, generation_id: str) -> dict[str, Any]:
        """The job's status, with its result once completed, in the configured fetch style.

        :param generation_id: the id from the path.
        :raises ApiError: 404 for an unknown or expired id.
        """
        job = self.jobs.get(generation_id)
        if job is None:
            raise generation_not_found_error(generation_id)
        status = self.jobs.status_of(job)
        result = job.result if status is JobStatus.COMPLETED else None
        error = dict(job.failure) if status is JobStatus.ERROR and job.failure is not None else None
        if self.config.fetch_style == "universal":
            return {"id": job.generation_id, "status": status.value, "output": result, "error": error}
        body: dict[str, Any] = {"status": status.value, "result": result}
        if error is not None:
            body["error"] = error
        return body

    def _apply_job_fault(self, generation_id: str, job_fault: str) -> None:
        if job_fault == JOB_ERROR:
            self.jobs.fail(generation_id, JOB_FAULT_NAME, JOB_FAULT_MESSAGE)
        elif job_fault == JOB_NEVER_FINISHES:
            self.jobs.hold(generation_id)
        else:
            raise ValueError(f"job_fault: unknown fate {job_fault!r}")
        self.stats.count_fault(job_fault)

    def _no_audio(self, url: str) -> AudioInfo:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return AudioInfo(digest, 0, self.config.nominal_duration_seconds, 1, True, "none")
