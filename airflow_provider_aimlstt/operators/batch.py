"""Transcribe thousands of recordings in one task: bounded jobs in flight, one deferred wait, a manifest."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException

from airflow_provider_aimlstt.batch.inputs import (
    DEFAULT_AUDIO_SUFFIXES,
    finished_names,
    listed_audio,
    output_name_of,
    read_audio_list,
)
from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow, manifest_location
from airflow_provider_aimlstt.batch.progress import progress_line
from airflow_provider_aimlstt.batch.window import InFlightWindow
from airflow_provider_aimlstt.batch.work import (
    ThreadHooks,
    collect,
    request_for,
    row_request_id,
    settle_unanswered,
    submit_wave,
)
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.status import SttStatus
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.triggers.batch import GONE, AimlSttBatchTrigger

MAX_LISTED_FAILURES = 20
"""Failed files named in the task's failure message; the manifest has all of them."""
FIRST_POLL_EARLY = 0.9
"""The next jobs are first polled at this share of the recent jobs' typical time: early enough
that some are still pending, so the estimate follows the API down as well as up."""


class AimlSttBatchTranscribeOperator(BaseOperator):
    """Transcribe many audio files in one task, writing each one's transcripts to ``output_path``.

    Files are submitted concurrently, at most ``max_in_flight`` jobs at a time (a 429 halves that
    for a while). The wait for the jobs runs in ONE trigger per task; the task resumes when it
    has work to do (enough jobs finished to refill the window, a result nearing its one-hour
    retention, or all done), writes what finished, submits the next files and defers again.

    A manifest (JSON Lines, one row per file) is kept on the output store and rewritten as the
    batch goes: a retry or a re-run of the task reads it and adopts its jobs, so no file is
    submitted twice. One bad file never fails the batch: it is recorded with its cause. The task
    fails at the end only when more than ``max_failed_files`` files failed, naming them. It
    returns counts and the manifest's location, never transcripts.

    :param audio_paths: the files: paths or URIs (``s3://...``, ``file://...``, ``https://...``).
        Templated; may come from XCom.
    :param input_path: instead of ``audio_paths``, a folder or prefix whose audio files are taken
        (one listing call). Templated.
    :param audio_list_path: instead of either, the URI of a JSON file holding the list of files
        (what a listing task writes for each chunk, so that XCom carries a path, not the list).
        Templated.
    :param audio_suffixes: the suffixes ``input_path``'s files must have.
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    :param model: the model id. Templated.
    :param options: the model's options. Templated.
    :param output_path: the folder of the transcripts (and of ``_manifests/``). Templated.
    :param formats: the formats to write for each file.
    :param output_conn_id: the Airflow connection of the output store.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param api_retries: retries of each poll and fetch; None reads the connection. Creates are
        not retried by the hook: a refused one is sent again by the batch, at the window's pace.
    :param allow_unknown_model: accept a model id the provider does not list.
    :param max_in_flight: jobs submitted and not finished, at most.
    :param max_failed_files: failed files the task tolerates before it fails.
    :param max_attempts: creates per file when creates keep failing transiently.
    :param resubmit_if_not_logged: submit again a file whose create's answer was lost and that the
        usage log shows no job for (default: the file fails, and a task retry submits it).
    :param poke_interval: seconds before the second round of polls.
    :param max_poke_interval: the longest wait between two rounds.
    :param max_concurrent_polls: polls in progress at once, in the trigger.
    :param min_defer_seconds: the shortest a deferral lasts (jobs that finish meanwhile join the
        resume). Airflow 3.3.2 can fail a task that resumes within seconds of deferring, when the
        scheduler reads the deferring process's exit after the resume began (apache/airflow#72716);
        the default, 6 s, covers the worker's 5 s ``[workers] min_heartbeat_interval`` (how late
        the exit can be reported) and a scheduler loop. 0: none.
    :param timeout: the longest the whole batch may take (default 12 hours).
    :param manifest_path: the manifest's URI; default
        ``<output_path>/_manifests/<dag>__<run>__<task>__<map index>.jsonl``.
    """

    template_fields: Sequence[str] = (
        "audio_paths",
        "input_path",
        "audio_list_path",
        "model",
        "options",
        "output_path",
        "manifest_path",
        "max_in_flight",
        "max_failed_files",
    )
    ui_color = "#8fd3bf"

    def __init__(
        self,
        *,
        model: str,
        output_path: Any,
        audio_paths: Sequence[str] | None = None,
        input_path: Any = None,
        audio_list_path: str | None = None,
        audio_suffixes: Sequence[str] = DEFAULT_AUDIO_SUFFIXES,
        input_conn_id: str | None = None,
        options: dict[str, Any] | None = None,
        formats: Sequence[str] = DEFAULT_FORMATS,
        output_conn_id: str | None = None,
        aimlstt_conn_id: str = AimlSttHook.default_conn_name,
        api_retries: int | None = None,
        allow_unknown_model: bool = False,
        max_in_flight: int | str = 32,
        max_failed_files: int | str = 0,
        max_attempts: int = 3,
        resubmit_if_not_logged: bool = False,
        poke_interval: float = 10.0,
        max_poke_interval: float = 60.0,
        max_concurrent_polls: int = 16,
        min_defer_seconds: float = 6.0,
        timeout: float | timedelta = timedelta(hours=12),
        manifest_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if [audio_paths, input_path, audio_list_path].count(None) != 2:
            raise AimlSttValidationError(
                "audio_paths / input_path / audio_list_path: give exactly one of them"
            )
        if not isinstance(max_in_flight, str):  # a template is checked once rendered
            max_in_flight = _whole("max_in_flight", max_in_flight, 1)
        if not isinstance(max_failed_files, str):
            max_failed_files = _whole("max_failed_files", max_failed_files, 0)
        max_attempts = _whole("max_attempts", max_attempts, 1)
        self.output_settings = OutputSettings(output_path, tuple(formats), None, output_conn_id)
        self.audio_paths = audio_paths
        self.input_path = input_path
        self.audio_list_path = audio_list_path
        self.audio_suffixes = tuple(audio_suffixes)
        self.input_conn_id = input_conn_id
        self.model = model
        self.options = options
        self.output_path = output_path
        self.formats = self.output_settings.formats
        self.output_conn_id = output_conn_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.api_retries = api_retries
        self.allow_unknown_model = allow_unknown_model
        self.max_in_flight = max_in_flight
        self.max_failed_files = max_failed_files
        self.max_attempts = max_attempts
        self.resubmit_if_not_logged = resubmit_if_not_logged
        self.poke_interval = poke_interval
        self.max_poke_interval = max_poke_interval
        self.max_concurrent_polls = max_concurrent_polls
        if isinstance(min_defer_seconds, bool) or not isinstance(min_defer_seconds, (int, float)):
            raise AimlSttValidationError(f"min_defer_seconds: must be seconds, got {min_defer_seconds!r}")
        if min_defer_seconds < 0:
            raise AimlSttValidationError(f"min_defer_seconds: must be 0 or more, got {min_defer_seconds!r}")
        self.min_defer_seconds = float(min_defer_seconds)
        self.timeout_seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        self.manifest_path = manifest_path

    # -- entry points ------------------------------------------------------------------------

    def execute(self, context: Any) -> dict[str, Any]:
        """Plan the batch (adopting an earlier try's manifest), submit the first files, and wait."""
        self._check_request()
        manifest = Manifest.load(self._manifest_location(context), self.output_conn_id)
        self._plan(manifest, context)
        progress = {
            "total": len(manifest),
            "started_at": time.time(),
            "done_at_start": self._tally(manifest)["done"],
            "window": self.in_flight_limit,
        }
        return self._advance(context, manifest, progress, event=None)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write what finished, submit the next files, and wait again or finish.

        :param event: the trigger's event: ``{status, finished: {id: status}, messages, progress}``.
        """
        if not isinstance(event, dict) or not isinstance(event.get("finished"), dict):
            raise AirflowException(f"The batch trigger sent an unreadable event: {event!r}")
        manifest = Manifest.load(self._manifest_location(context), self.output_conn_id)
        progress = dict(event.get("progress") or {"total": len(manifest), "started_at": time.time()})
        return self._advance(context, manifest, progress, event)

    # -- the steps ---------------------------------------------------------------------------

    def _advance(
        self, context: Any, manifest: Manifest, progress: dict[str, Any], event: dict[str, Any] | None
    ) -> dict[str, Any]:
        poll_hooks = ThreadHooks(lambda: AimlSttHook.for_task(self))
        if event is not None:
            self._apply(manifest, event, poll_hooks)
            manifest.save()
        window = InFlightWindow(self.in_flight_limit, int(progress.get("window", self.in_flight_limit)))
        deadline = float(progress["started_at"]) + self.timeout_seconds
        self._submit_what_fits(context, manifest, window, deadline)
        progress["window"] = window.size
        in_flight = manifest.with_status(FileStatus.SUBMITTED)
        self._log_progress(manifest, progress, len(in_flight))
        timed_out = (event or {}).get("status") == "timeout" or time.time() >= deadline
        if in_flight and timed_out:
            for row in in_flight:
                row.status, row.error, row.retryable = FileStatus.FAILED, "the batch's deadline passed", True
            manifest.save()
            in_flight = []
        if in_flight:
            self._defer(manifest, in_flight, progress, deadline)
        return self._finish(context, manifest)

    def _plan(self, manifest: Manifest, context: Any) -> None:
        """Add the inputs the manifest lacks; give an earlier try's failed or unanswered files another go."""
        sources = self._sources()
        done = finished_names(self.output_path, self.formats, self.output_conn_id)
        names = {row.name: row.source for row in manifest}
        added = 0
        for source in map(str, sources):
            if source in manifest.rows:
                continue
            name = output_name_of(source)
            row = ManifestRow(source=source, name=name)
            if name in names:
                row.status, row.error = FileStatus.SKIPPED, f"{names[name]} writes the same name {name!r}"
            elif name in done:
                row.status, row.error = FileStatus.SKIPPED, "already transcribed"
            names.setdefault(name, source)
            manifest.rows[source] = row
            added += 1
        for row in manifest.with_status(FileStatus.FAILED):
            if row.retryable:
                row.status, row.error = FileStatus.PENDING, f"retrying after: {row.error}"
        unanswered = manifest.with_status(FileStatus.SUBMITTING)
        if unanswered:
            self.log.info(
                "%d file(s) were being submitted when an earlier try ended; settling them", len(unanswered)
            )
            wait = AimlSttHook.for_task(self).settings.usage_log_wait
            settle_unanswered(unanswered, ThreadHooks(lambda: AimlSttHook.for_task(self)), wait, self.log)
        self.log.info(
            "Batch of %d file(s) (%d new), manifest %s: %s",
            len(manifest),
            added,
            manifest.location,
            {
                status.value: len(manifest.with_status(status))
                for status in FileStatus
                if manifest.with_status(status)
            },
        )
        manifest.save()

    def _apply(self, manifest: Manifest, event: dict[str, Any], hooks: ThreadHooks) -> None:
        """Record the jobs the trigger saw finish; fetch and write the completed ones."""
        by_id = manifest.by_generation_id()
        messages = event.get("messages") or {}
        seen_at = event.get("seen_at") or {}
        completed: list[ManifestRow] = []
        for generation_id, status in event["finished"].items():
            row = by_id.get(generation_id)
            if row is None or row.status is not FileStatus.SUBMITTED:
                continue
            row.finished_at = float(seen_at.get(generation_id) or time.time())
            if status == SttStatus.COMPLETED.value:
                completed.append(row)
            elif status == GONE and row.attempts < self.max_attempts:
                row.status, row.error, row.generation_id = (
                    FileStatus.PENDING,
                    messages.get(generation_id),
                    None,
                )
            else:
                reason = messages.get(generation_id) or status
                row.status, row.error, row.retryable = (
                    FileStatus.FAILED,
                    f"job {generation_id}: {reason}",
                    True,
                )
        collect(completed, self._write, hooks, min(self.in_flight_limit, 16))

    def _write(self, row: ManifestRow, job: Any, fetch_charge: Charge | None) -> None:
        from airflow_provider_aimlstt.outputs.delivery import completed_result
        from airflow_provider_aimlstt.outputs.writer import write_transcript_files
        from airflow_provider_aimlstt.transcripts import to_transcript

        generation_id = str(row.generation_id)
        create_charge = None
        if row.credits is not None and row.cost_usd is not None:
            create_charge = Charge(credits=row.credits, usd=Decimal(str(row.cost_usd)))
        charge = Charge.total([create_charge, fetch_charge]) if create_charge is not None else None
        transcript = to_transcript(
            completed_result(job, generation_id), model=self.model, generation_id=generation_id
        ).model_copy(update={"cost": charge, "client_request_id": row.client_request_id})
        row.paths = write_transcript_files(
            transcript, self.output_path, row.name, self.formats, output_conn_id=self.output_conn_id
        )
        row.status, row.error = FileStatus.TRANSCRIBED, None
        row.audio_seconds, row.words = transcript.duration_seconds, transcript.word_count
        if charge is not None:
            row.cost_usd, row.credits = float(charge.usd), charge.credits

    def _submit_what_fits(
        self, context: Any, manifest: Manifest, window: InFlightWindow, deadline: float
    ) -> None:
        """Submit pending files in waves while the window has room; wait out a ``Retry-After`` here
        only when nothing is in flight (otherwise the trigger's wait covers it)."""
        identity = self._identity(context)
        create_hooks = ThreadHooks(
            lambda: AimlSttHook(
                aimlstt_conn_id=self.aimlstt_conn_id,
                api_retries=0,
                resubmit_if_not_logged=self.resubmit_if_not_logged,
            )
        )
        while True:
            pending = manifest.with_status(FileStatus.PENDING)
            in_flight = len(manifest.with_status(FileStatus.SUBMITTED))
            room = window.free(in_flight)
            if not pending:
                return
            if time.time() >= deadline:  # e.g. a limit that never lets up: the files fail, named
                for row in pending:
                    row.status, row.error, row.retryable = (
                        FileStatus.FAILED,
                        "the batch's deadline passed",
                        True,
                    )
                manifest.save()
                return
            if room == 0:
                if in_flight:
                    return  # the trigger's wait covers the rest of any Retry-After
                pause = max(0.0, min(window.resume_at, deadline) - time.time())
                self.log.info("Nothing in flight and the API asked to wait: waiting %.1f s", pause)
                time.sleep(pause)
                continue
            wave = pending[:room]
            requests = {}
            for row in wave:
                try:
                    requests[row.source] = request_for(
                        row.source, self.model, self.options or {}, self.allow_unknown_model
                    )
                except AimlSttValidationError as exc:
                    row.status, row.error, row.retryable = FileStatus.FAILED, str(exc), False
                    continue
                row.attempts += 1
                row.status = FileStatus.SUBMITTING
                row.client_request_id = row_request_id(identity, row)
                row.submitted_at, row.finished_at = time.time(), None
            wave = [row for row in wave if row.status is FileStatus.SUBMITTING]
            manifest.save()  # before the creates: a crash now leaves rows a retry can settle
            submit_wave(wave, requests, create_hooks, window, self.max_attempts, self.log)
            manifest.save()

    def _defer(
        self, manifest: Manifest, in_flight: list[ManifestRow], progress: dict[str, Any], deadline: float
    ) -> None:
        pending = manifest.with_status(FileStatus.PENDING)
        resume_when = max(1, math.ceil(len(in_flight) / 2)) if pending else len(in_flight)
        progress.update(self._tally(manifest))
        self.defer(
            trigger=AimlSttBatchTrigger(
                generation_ids=[str(row.generation_id) for row in in_flight],
                aimlstt_conn_id=self.aimlstt_conn_id,
                deadline=deadline,
                created_at=[float(row.submitted_at or time.time()) for row in in_flight],
                resume_when_finished=resume_when,
                poke_interval=self.poke_interval,
                max_poke_interval=self.max_poke_interval,
                max_concurrent_polls=self.max_concurrent_polls,
                api_retries=self.api_retries,
                progress=progress,
                first_poll_after=_early(manifest.typical_job_seconds(self.in_flight_limit)),
                resume_not_before=time.time() + self.min_defer_seconds if self.min_defer_seconds else None,
            ),
            method_name="execute_complete",
            timeout=None,  # the trigger keeps the batch's deadline itself
        )

    def _finish(self, context: Any, manifest: Manifest) -> dict[str, Any]:
        counts = manifest.counts()
        self.log.info("Batch finished: %s", counts)
        failed = manifest.with_status(FileStatus.FAILED)
        self._announce(context, counts)
        if len(failed) > self.failed_files_limit:
            listed = "; ".join(f"{row.source}: {row.error}" for row in failed[:MAX_LISTED_FAILURES])
            more = (
                f" (and {len(failed) - MAX_LISTED_FAILURES} more)"
                if len(failed) > MAX_LISTED_FAILURES
                else ""
            )
            raise AirflowException(
                f"{len(failed)} of {len(manifest)} file(s) failed, more than "
                f"max_failed_files={self.failed_files_limit}: {listed}{more}. Every file's row is in "
                f"{manifest.location}; a retry submits the failed files again where that is safe."
            )
        return counts

    # -- small things ------------------------------------------------------------------------

    def _sources(self) -> list[str]:
        """The batch's files, from whichever input was given."""
        if self.audio_paths is not None:
            return [str(source) for source in self.audio_paths]
        if self.audio_list_path is not None:
            return read_audio_list(self.audio_list_path, self.input_conn_id)
        return listed_audio(self.input_path, self.audio_suffixes, self.input_conn_id)

    @property
    def in_flight_limit(self) -> int:
        """``max_in_flight``, rendered and checked."""
        return _whole("max_in_flight", self.max_in_flight, 1)

    @property
    def failed_files_limit(self) -> int:
        """``max_failed_files``, rendered and checked."""
        return _whole("max_failed_files", self.max_failed_files, 0)

    def _check_request(self) -> None:
        """Fail at once, before any file, on a bad model, options, formats or limits."""
        limits = (self.in_flight_limit, self.failed_files_limit)  # each raises when it is wrong
        self.log.info("At most %d jobs in flight; %d failed file(s) tolerated", *limits)
        request = request_for(
            "https://example.invalid/check.wav", self.model, self.options or {}, self.allow_unknown_model
        )
        if request.family is not None:
            self.output_settings.check_timings_available(request.family.gives_word_timings, request.model)

    def _identity(self, context: Any) -> tuple[object, ...]:
        ti = context["ti"]
        return (ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))

    def _manifest_location(self, context: Any) -> str:
        if self.manifest_path:
            return str(self.manifest_path)
        return manifest_location(self.output_path, self.output_conn_id, *self._identity(context))

    def _tally(self, manifest: Manifest) -> dict[str, int]:
        final = [row for row in manifest if row.status.is_final]
        return {"done": len(final), "failed": sum(1 for row in final if row.status is FileStatus.FAILED)}

    def _log_progress(self, manifest: Manifest, progress: dict[str, Any], in_flight: int) -> None:
        tally = self._tally(manifest)
        line = progress_line(
            tally["done"],
            len(manifest),
            tally["failed"],
            in_flight,
            float(progress["started_at"]),
            int(progress.get("done_at_start", 0)),
        )
        self.log.info("Batch: %s", line)

    def _announce(self, context: Any, counts: dict[str, Any]) -> None:
        from airflow.sdk import Asset

        events = context.get("outlet_events") if hasattr(context, "get") else None
        if events is None:
            return
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                events[outlet].extra.update(counts)


def _early(typical_seconds: float | None) -> float | None:
    return None if typical_seconds is None else round(typical_seconds * FIRST_POLL_EARLY, 3)


def _whole(name: str, value: Any, least: int) -> int:
    """``value`` as a whole number of at least ``least`` (a rendered template's text is read too).

    :param name: the argument, for the message.
    :param value: its value.
    :param least: the smallest allowed.
    :raises AimlSttValidationError: naming the argument.
    """
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise AimlSttValidationError(f"{name}: must be a whole number, {least} or more, got {value!r}")
    return value
