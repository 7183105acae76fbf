"""The emulated operations, create and fetch, apart from HTTP."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from airflow_provider_aimlstt.emulator.audio import AudioInfo, StoredAudio, measure_audio
from airflow_provider_aimlstt.emulator.config import EmulatorConfig
from airflow_provider_aimlstt.emulator.errors import generation_not_found_error
from airflow_provider_aimlstt.emulator.facts import JobFacts
from airflow_provider_aimlstt.emulator.jobs import JobStore, new_generation_id, uses_legacy_statuses
from airflow_provider_aimlstt.emulator.results import build_result
from airflow_provider_aimlstt.emulator.sources import SOURCE_UPLOAD, find_url_audio
from airflow_provider_aimlstt.emulator.stats import EmulatorStats
from airflow_provider_aimlstt.emulator.submission import Submission
from airflow_provider_aimlstt.emulator.transcripts import make_transcript
from airflow_provider_aimlstt.emulator.validation import validate_submission
from airflow_provider_aimlstt.models import CreateResponse, SttStatus

DOWNLOAD_FAILURE_NAME = "AudioDownloadError"
JOB_FAULT_NAME = "TranscriptionError"
JOB_FAULT_MESSAGE = "Transcription failed (emulator fault injection)"


class SttApi:
    """``POST /v1/stt/create`` and ``GET /v1/stt/{generation_id}`` as operations on a job store.

    :param config: the emulator settings, read on every call.
    :param jobs: where jobs live.
    :param stats: counters to update.
    """

    def __init__(self, config: EmulatorConfig, jobs: JobStore, stats: EmulatorStats) -> None:
        self.config = config
        self.jobs = jobs
        self.stats = stats

    def create(self, submission: Submission, job_fault: str | None = None) -> tuple[int, dict[str, Any]]:
        """Validate a create request, make its job and answer its id.

        :param submission: the request as received (its uploads are left for the caller to delete).
        :param job_fault: ``job_error`` or ``job_never_finishes`` to give the new job that fate (a
            failed URL download takes precedence); counted in the stats' ``faults_by_kind``.
        :return: the HTTP status (201 for the older models, 200 for the newer) and the body.
        :raises ApiError: 400 when the request is invalid.
        """
        request = validate_submission(submission)
        failure: str | None = None
        stored: StoredAudio | None
        if request.upload is not None:
            stored, source, name = request.upload, SOURCE_UPLOAD, request.upload.filename
        else:
            assert request.url is not None
            found = find_url_audio(request.url, self.config)
            stored, source, name, failure = found.stored, found.kind, found.name, found.failure
        try:
            audio = measure_audio(stored) if stored is not None else self._no_audio(request.url or "")
        finally:
            if stored is not None and stored is not request.upload:
                stored.delete()
        generation_id = new_generation_id(request.family)
        facts = JobFacts(
            generation_id=generation_id,
            model=request.model,
            family=request.family,
            options=request.options,
            audio=audio,
            transcript=make_transcript(
                self.config.transcripts_dir, name, audio.sha256, audio.duration_seconds
            ),
            audio_source=source,
            url=request.url,
            created=datetime.now(timezone.utc),
        )
        self.jobs.add(generation_id, request.model, request.family, build_result(facts))
        if failure is not None:
            self.jobs.fail(generation_id, DOWNLOAD_FAILURE_NAME, failure)
        elif job_fault is not None:
            self._apply_job_fault(generation_id, job_fault)
        self.stats.count_create(audio.sha256)
        if uses_legacy_statuses(request.family):
            return 201, CreateResponse(generation_id=generation_id).model_dump(exclude_none=True)
        answer = CreateResponse(generation_id=generation_id, status=SttStatus.QUEUED.value)
        return 200, answer.model_dump(exclude_none=True)

    def fetch(self, generation_id: str) -> dict[str, Any]:
        """The job's status, with its result once completed, in the configured fetch style.

        :param generation_id: the id from the path.
        :raises ApiError: 404 for an unknown or expired id.
        """
        job = self.jobs.get(generation_id)
        if job is None:
            raise generation_not_found_error(generation_id)
        status = self.jobs.status_of(job)
        result = job.result if status is SttStatus.COMPLETED else None
        error = job.failure.model_dump() if status is SttStatus.ERROR and job.failure is not None else None
        if self.config.fetch_style == "universal":
            return {"id": job.generation_id, "status": status.value, "output": result, "error": error}
        body: dict[str, Any] = {"status": status.value, "result": result}
        if error is not None:
            body["error"] = error
        return body

    def _apply_job_fault(self, generation_id: str, job_fault: str) -> None:
        if job_fault == "job_error":
            self.jobs.fail(generation_id, JOB_FAULT_NAME, JOB_FAULT_MESSAGE)
        elif job_fault == "job_never_finishes":
            self.jobs.hold(generation_id)
        else:
            raise ValueError(f"job_fault: unknown fate {job_fault!r}")
        self.stats.count_fault(job_fault)

    def _no_audio(self, url: str) -> AudioInfo:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return AudioInfo(digest, 0, self.config.nominal_duration_seconds, 1, True, "none")
