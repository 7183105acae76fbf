"""The emulated service's operations, apart from HTTP: create, fetch and the usage logs, on a job store.

Jobs and their statuses live in :mod:`.jobs`. A create first takes one of the API key's
concurrency slots (:mod:`.slots`: a 429 with ``Retry-After`` when ``max_concurrent_jobs`` are
unfinished, before any processing), then bills its job (:mod:`.billing`) and logs a row
(:mod:`.usage_log`); a fetch is free and logs nothing.

Audio no server could decode (:func:`~aimlstt_emulator.audio_info.measure_audio`), uploaded or
downloaded, is refused as the model family's own service refuses it: with a 400 at create where
that service reads the audio while answering (Deepgram, OpenAI, Microsoft), else (AssemblyAI,
which queues the transcript) by a job that ends in ``error``. Such a job, like one whose URL
could not be downloaded, is billed nothing and logged ``failed``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aimlstt_emulator.audio import StoredAudio
from aimlstt_emulator.audio_info import SOURCE_UPLOAD, AudioInfo, sniff_format
from aimlstt_emulator.billing import FREE, bill_audio, price_per_second
from aimlstt_emulator.catalog import MODEL_FAMILIES, Family
from aimlstt_emulator.config import EmulatorConfig
from aimlstt_emulator.exceptions import (
    UndecodableAudio,
    generation_not_found_error,
    too_many_requests_error,
    undecodable_audio_error,
    undecodable_audio_message,
)
from aimlstt_emulator.faults.injector import JOB_ERROR, JOB_NEVER_FINISHES
from aimlstt_emulator.jobs import (
    Job,
    JobStatus,
    JobStore,
    new_generation_id,
    new_inference_id,
)
from aimlstt_emulator.logs_query import parse_logs_query
from aimlstt_emulator.results.assemblyai import build_assemblyai_error, build_assemblyai_result
from aimlstt_emulator.results.deepgram import build_deepgram_result
from aimlstt_emulator.results.emulated_text import make_emulated_text
from aimlstt_emulator.results.facts import JobFacts
from aimlstt_emulator.results.text_usage import build_microsoft_result, build_openai_result
from aimlstt_emulator.slots import ConcurrencyLimitReached, Slot
from aimlstt_emulator.sources import find_url_audio
from aimlstt_emulator.stats import EmulatorStats
from aimlstt_emulator.usage_log import FAILED, SUCCEEDED, UsageLog

__all__ = [
    "Job",
    "JobStatus",
    "JobStore",
    "SttBackend",
    "new_generation_id",
    "new_inference_id",
]

DOWNLOAD_FAILURE_NAME = "AudioDownloadError"
UNDECODABLE_AUDIO_NAME = "UnsupportedAudioError"
JOB_FAULT_NAME = "TranscriptionError"
JOB_FAULT_MESSAGE = "Transcription failed (emulator fault injection)"
_RESULT_BUILDERS: dict[Family, Callable[[JobFacts], dict[str, Any]]] = {
    Family.DEEPGRAM: build_deepgram_result,
    Family.ASSEMBLYAI: build_assemblyai_result,
    Family.OPENAI: build_openai_result,
    Family.MICROSOFT: build_microsoft_result,
}


@dataclass(frozen=True)
class AudioFailure:
    """Why a job fails on its audio: the ``error`` its fetch answers report.

    :param name: the ``error.name``.
    :param message: the ``error.message``, for a person.
    """

    name: str
    message: str


class SttBackend:
    """``POST /v1/stt/create``, ``GET /v1/stt/{generation_id}`` and ``GET /v2/logs`` on a job store.

    :param config: the emulator settings, read on every call.
    :param jobs: where jobs live.
    :param stats: counters to update.
    :param usage: the usage log (a new one on the job store's clock when None).
    """

    def __init__(
        self, config: EmulatorConfig, jobs: JobStore, stats: EmulatorStats, usage: UsageLog | None = None
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.stats = stats
        self.usage = usage if usage is not None else UsageLog(config, jobs.clock)

    def create(
        self,
        model: str,
        options: dict[str, Any],
        *,
        url: str | None = None,
        upload: StoredAudio | None = None,
        job_fault: str | None = None,
        client_request_id: str | None = None,
        request_id: str | None = None,
    ) -> tuple[Job, int, dict[str, Any]]:
        """Make, bill and log the job of a validated create request, and answer its id.

        :param model: a known model id.
        :param options: the validated options.
        :param url: the audio URL, for a URL source.
        :param upload: the uploaded audio, for an upload (left for the caller to delete).
        :param job_fault: ``job_error`` or ``job_never_finishes`` to give the new job that fate (a
            failed URL download takes precedence); counted in the stats' ``faults_by_kind``.
        :param client_request_id: the request's valid ``X-Client-Request-Id``, or None.
        :param request_id: the id of the HTTP call, for the usage log.
        :return: the job, the HTTP status (201 for the older models, 200 for the newer) and the body.
        :raises ApiError: 429 with ``Retry-After`` when the key has ``max_concurrent_jobs``
            unfinished jobs; nothing is then made, billed or counted but ``concurrency_limited``.
            400 for audio the family's service cannot decode, when it refuses that at create.
        """
        family = MODEL_FAMILIES[model]
        with self._slot() as slot:
            facts, failure = self._job_facts(model, family, options, url, upload)
            job = self.jobs.add(
                facts.generation_id, model, family, _RESULT_BUILDERS[family](facts), cost=facts.bill,
                client_request_id=client_request_id, audio_seconds=facts.audio.duration_seconds, slot=slot,
            )  # fmt: skip
        generation_id = job.generation_id
        if failure is not None:
            error_result = None
            if family is Family.ASSEMBLYAI:  # AssemblyAI's own transcript says why, in its ``error``
                error_result = build_assemblyai_error(generation_id, url, failure.message)
            self.jobs.fail(generation_id, failure.name, failure.message, error_result)
        elif job_fault is not None:
            self._apply_job_fault(generation_id, job_fault)
        self.stats.count_create(facts.audio.sha256)
        self.usage.record(
            status=SUCCEEDED if failure is None else FAILED,
            model=model,
            inference_id=generation_id,
            request_id=request_id,
            client_request_id=client_request_id,
            cost=facts.bill,
        )
        if family.uses_legacy_statuses:
            return job, 201, {"generation_id": generation_id}
        return job, 200, {"generation_id": generation_id, "status": JobStatus.QUEUED.value}

    def refuse_create(self, model: str, *, request_id: str | None, client_request_id: str | None) -> str:
        """Log a create request the API refused (a valid key, but no job): ``failed``, at no cost.

        :param model: the model the request named ("" when none was read).
        :param request_id: the id of the HTTP call (its error body's ``requestId``).
        :param client_request_id: the request's valid ``X-Client-Request-Id``, or None.
        :return: the fresh inference id of the refusal, for its ``x-inference-id``.
        """
        inference_id = new_inference_id()
        self.usage.record(
            status=FAILED,
            model=model,
            inference_id=inference_id,
            request_id=request_id,
            client_request_id=client_request_id,
        )
        return inference_id

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
        if status is JobStatus.ERROR:
            result = job.error_result
        error = dict(job.failure) if status is JobStatus.ERROR and job.failure is not None else None
        if self.config.fetch_style == "universal":
            return {"id": job.generation_id, "status": status.value, "output": result, "error": error}
        body: dict[str, Any] = {"generation_id": job.generation_id, "status": status.value, "result": result}
        if error is not None:
            body["error"] = error
        return body

    def logs(self, query: str) -> dict[str, Any]:
        """``GET /v2/logs``: a page of the rows past their delay (polls are not inference requests,
        so they are never logged).

        :param query: the raw query string.
        :raises ApiError: 400 or 403 for a query the usage-logs page refuses.
        """
        checked = parse_logs_query(query, self.config.api_key)
        return checked.page(self.usage.rows(visible_only=True))

    def _slot(self) -> Slot:
        """One of the API key's concurrency slots, or the documented 429 when none is free."""
        try:
            return self.jobs.take_slot(self.config.api_key, self.config.max_concurrent_jobs)
        except ConcurrencyLimitReached as exc:
            self.stats.count_concurrency_limited()
            raise too_many_requests_error(exc.retry_after_seconds) from None

    def _job_facts(
        self,
        model: str,
        family: Family,
        options: dict[str, Any],
        url: str | None,
        upload: StoredAudio | None,
    ) -> tuple[JobFacts, AudioFailure | None]:
        """Measure the audio (downloading a loopback URL) and bill it: what the new job is made of.

        :param model: a known model id.
        :param family: its family.
        :param options: the validated options.
        :param url: the audio URL, for a URL source.
        :param upload: the uploaded audio, for an upload.
        :return: the facts, and why the job is to fail on its audio (then it is billed nothing):
            its URL could not be downloaded, or no server could decode it.
        :raises ApiError: 400 for audio the family's service refuses at create.
        """
        failure: AudioFailure | None = None
        stored: StoredAudio | None
        if upload is not None:
            stored, source, name = upload, SOURCE_UPLOAD, upload.filename
        else:
            found = find_url_audio(url or "", self.config)
            stored, source, name = found.stored, found.kind, found.name
            if found.failure is not None:
                failure = AudioFailure(DOWNLOAD_FAILURE_NAME, found.failure)
        try:
            if stored is None:
                audio = self._no_audio(url or "")
            else:
                audio, failure = self._measure(stored, family, name)
        finally:
            if stored is not None and stored is not upload:
                stored.delete()
        price = price_per_second(model, family, self.config.prices_per_second)
        bill = bill_audio(audio.duration_seconds, price) if failure is None else FREE
        facts = JobFacts(
            generation_id=new_generation_id(family),
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
            bill=bill,
        )
        return facts, failure

    def _measure(
        self, stored: StoredAudio, family: Family, name: str | None
    ) -> tuple[AudioInfo, AudioFailure | None]:
        """The audio's facts, and, for audio no server could decode, why its job is to fail.

        :param stored: the audio.
        :param family: the model's family.
        :param name: the audio's file name, for the message.
        :raises ApiError: 400 for undecodable audio, when the family refuses it at create.
        """
        try:
            return stored.measure(), None
        except UndecodableAudio as exc:
            if family.refuses_undecodable_audio_at_create:
                raise undecodable_audio_error(family.value, name, exc.cause) from None
            message = undecodable_audio_message(family.value, name, exc.cause)
            unread = AudioInfo(stored.sha256, stored.size, 0.0, 1, False, sniff_format(stored.head))
            return unread, AudioFailure(UNDECODABLE_AUDIO_NAME, message)

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
