"""One batch task's run: its settings, its manifest and its steps, imported when the task runs.

:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator` checks its
arguments when the DAG is parsed; its ``execute`` builds a :class:`BatchRun` from plain values
(a :class:`BatchSettings`, the hooks, the manifest) and calls its steps in order. The run never
sees the operator.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_aimlstt.batch.estimate import CostEstimate, estimate_batch_cost, learn_cost_rate
from airflow_provider_aimlstt.batch.inputs import BatchInputs
from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow, manifest_location
from airflow_provider_aimlstt.batch.metrics import emit_batch_metrics
from airflow_provider_aimlstt.batch.receipts import Receipt, write_receipt, written_transcripts
from airflow_provider_aimlstt.batch.report import report_location, write_report
from airflow_provider_aimlstt.batch.window import InFlightWindow
from airflow_provider_aimlstt.batch.work import (
    ThreadHooks,
    collect,
    request_for,
    row_request_id,
    settle_unanswered,
    submit_wave,
)
from airflow_provider_aimlstt.exceptions import AimlSttApiError, AimlSttValidationError
from airflow_provider_aimlstt.job_timing import learn_jobs, learned_timing
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.models.status import SttStatus
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.triggers.batch import (
    GONE,
    TIMEOUT,
    AimlSttBatchTrigger,
    BatchWaitEvent,
    progress_line,
)

MAX_ATTEMPTS = 3
"""Creates per file when its creates keep failing transiently (or a job it made expired)."""
MIN_DEFER_SECONDS = 6.0
"""The shortest a deferral lasts (jobs that finish meanwhile join the resume). Airflow 3.3.2 can
fail a task that resumes within seconds of deferring, when the scheduler reads the deferring
process's exit after the resume began (apache/airflow#72716): 6 s covers the worker's 5 s
``[workers] min_heartbeat_interval`` (how late the exit can be reported) and a scheduler loop."""
MAX_CONCURRENT_FETCHES = 16
"""Results fetched and written at once, at most (fewer when ``max_in_flight`` is smaller)."""
MAX_LISTED_FAILURES = 20
"""Failed files named in the task's failure message; the manifest has all of them."""
FIRST_POLL_EARLY = 0.9
"""Jobs without an expected finish of their own (no duration read from their upload, or nothing
learned of the model yet) are first polled at this share of the recent jobs' typical time: early
enough that some are still pending, so the estimate follows the API down as well as up."""
DEADLINE_PASSED = "the batch's deadline passed"
OVER_THE_CAP = "not submitted: its create would have passed max_cost_usd"
UNCHANGED = "unchanged since its transcripts were written"
UNCHANGED_BY_NAME = "its transcripts are written (a URL has no fingerprint: judged by its name)"


@dataclass(frozen=True)
class BatchSettings:
    """What one batch task instance does, its templates rendered and checked.

    :param inputs: where its audio files come from.
    :param model: the model id.
    :param options: the model's options.
    :param allow_unknown_model: accept a model id the provider does not list.
    :param output: the output folder, formats and connection.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param max_in_flight: jobs submitted and not finished, at most.
    :param max_failed_files: failed files tolerated before the task fails.
    :param timeout_seconds: the longest the whole batch may take.
    :param max_cost_usd: the most the batch may cost, in USD; None: no cap.
    :param usd_per_audio_second: the price the estimate and the cap count with; None: what this
        deployment was billed before (:func:`~airflow_provider_aimlstt.batch.estimate.learned_cost_rate`).
    :param task_instance: DAG id, run id, task id and map index: what names the manifest and the
        creates' client request ids (the same in every try).
    """

    inputs: BatchInputs
    model: str
    options: dict[str, Any]
    allow_unknown_model: bool
    output: OutputSettings
    aimlstt_conn_id: str
    max_in_flight: int
    max_failed_files: int
    timeout_seconds: float
    task_instance: tuple[str, str, str, int]
    max_cost_usd: float | None = None
    usd_per_audio_second: float | None = None

    @property
    def manifest_location(self) -> str:
        """The manifest's URI: ``<output_path>/_manifests/<dag>__<run>__<task>__<map index>.jsonl``."""
        return manifest_location(self.output.output_path, self.output.output_conn_id, *self.task_instance)

    @property
    def report_location(self) -> str:
        """The report's URI: ``<output_path>/_reports/<dag>__<run>__<task>__<map index>.html``."""
        return report_location(self.output.output_path, self.output.output_conn_id, self.task_instance)

    def request_for(self, source: str) -> TranscriptionRequest:
        """The create request of one file.

        :param source: the audio's URI or path.
        :raises AimlSttValidationError: on a bad model or options.
        """
        return request_for(source, self.model, self.options, self.allow_unknown_model)


class BatchRun:
    """A batch task's files, where each stands, and the steps that move them on.

    Build it with :meth:`open`; then, when the task starts, :meth:`plan`, or when it resumes,
    :meth:`apply`; then :meth:`submit_what_fits` and :meth:`wait_for_in_flight`, and once nothing
    is in flight :meth:`finish` and :meth:`check_failed_files`.

    :param settings: what the task does.
    :param manifest: its files' rows.
    :param hooks: the worker's hooks.
    :param log: the task's logger.
    """

    def __init__(self, settings: BatchSettings, manifest: Manifest, hooks: ThreadHooks, log: Any) -> None:
        self.settings = settings
        self.manifest = manifest
        self.hooks = hooks
        self.log = log
        self.progress: dict[str, Any] = {"total": len(manifest), "started_at": time.time()}
        """The batch's progress: ``total``, ``started_at`` (this try's), ``done_at_start`` and
        the in-flight ``window``; carried through each deferral by the trigger."""
        self.window = InFlightWindow(settings.max_in_flight)
        self.timed_out = False
        self.report_url: str | None = None
        """The URI of the batch's report, once :meth:`finish` wrote it."""

    @classmethod
    def open(cls, settings: BatchSettings, log: Any) -> BatchRun:
        """The run of ``settings``' task instance, with its manifest as stored (empty at first).

        :param settings: what the task does.
        :param log: the task's logger.
        """
        manifest = Manifest.load(settings.manifest_location, settings.output.output_conn_id)
        return cls(settings, manifest, ThreadHooks(settings.aimlstt_conn_id), log)

    @property
    def deadline(self) -> float:
        """Epoch seconds when the batch's ``timeout`` runs out."""
        return float(self.progress["started_at"]) + self.settings.timeout_seconds

    # -- the steps -------------------------------------------------------------------------

    def plan(self, *, dry_run: bool = False) -> None:
        """Check the request, add the inputs the manifest lacks (skipping those unchanged since
        their transcripts were written, filled from their receipts), give an earlier try's failed
        or unanswered files another go, and save the manifest.

        :param dry_run: change nothing on the output store (no manifest saved, no receipt removed).
        """
        self._check_request()
        manifest = self.manifest
        files = self.settings.inputs.files()
        output = self.settings.output
        written = written_transcripts(output.output_path, output.formats, output.output_conn_id)
        names = {row.name.casefold(): row.source for row in manifest}
        added, unchanged, redone = 0, [], []
        for file in files:
            if file.source in manifest.rows:
                continue
            row = ManifestRow(source=file.source, name=file.name, fingerprint=file.fingerprint)
            taken_by = names.setdefault(file.name.casefold(), file.source)
            if taken_by != file.source:  # an earlier try named another file so: never skipped unseen
                row.status, row.retryable = FileStatus.FAILED, False
                row.error = f"its output name {file.name!r} is {taken_by}'s in this task's manifest"
            elif written.unchanged(file.name, file.fingerprint):
                row.status = FileStatus.SKIPPED
                row.error = UNCHANGED if file.fingerprint else UNCHANGED_BY_NAME
                unchanged.append(row)
            else:
                redone.append(file.name)
            manifest.rows[file.source] = row
            added += 1
        unread = written.fill_skipped(unchanged)
        if unread:
            self.log.warning("%d skipped file(s) have no readable receipt: their rows have no cost", unread)
        if not dry_run:
            written.remove_receipts(redone)  # before their transcripts are overwritten
        if changed := sum(written.complete(name) for name in redone):
            self.log.info("%d file(s) changed since their transcripts were written: redoing them", changed)
        for row in manifest.with_status(FileStatus.FAILED):
            if row.retryable:
                row.status, row.error = FileStatus.PENDING, f"retrying after: {row.error}"
        unanswered = manifest.with_status(FileStatus.SUBMITTING)
        if unanswered:
            self.log.info(
                "%d file(s) were being submitted when an earlier try ended; settling them", len(unanswered)
            )
            settle_unanswered(unanswered, self.hooks, self.log)
        final = [row.status.value for row in manifest if row.status.is_final]
        self.log.info(
            "Batch of %d file(s), %d of them new to its manifest: %d to submit, %d in flight from an "
            "earlier try, %d left unchanged%s; manifest %s",
            len(manifest),
            added,
            len(manifest.with_status(FileStatus.PENDING)),
            len(manifest.with_status(FileStatus.SUBMITTED)),
            len(final),
            f" ({', '.join(f'{count} {status}' for status, count in Counter(final).items())})"
            if final
            else "",
            manifest.location,
        )
        if not dry_run:
            manifest.save()
        self.progress.update(total=len(manifest), started_at=time.time(), done_at_start=self._tally()["done"])

    def estimate(self) -> CostEstimate:
        """Estimate what the files to submit will cost, from their heads (one ranged read each), and
        log it; each file's duration goes into its row (the cap counts with it), the estimate into
        the progress the trigger carries."""
        settings = self.settings
        pending = self.manifest.with_status(FileStatus.PENDING)
        estimate = estimate_batch_cost(
            [row.source for row in pending],
            usd_per_audio_second=settings.usd_per_audio_second,
            conn_id=settings.aimlstt_conn_id,
            model=settings.model,
            input_conn_id=settings.inputs.input_conn_id,
            log=self.log,
        )
        for row in pending:
            if row.audio_seconds is None:
                row.audio_seconds = estimate.seconds_by_source.get(row.source)
        self.log.info("%s", estimate.log_line())
        if settings.max_cost_usd is not None:
            self.log.info("At most $%s to spend (max_cost_usd)", settings.max_cost_usd)
        self.progress["estimate"] = estimate.summary()
        return estimate

    def apply(self, payload: Any) -> None:
        """Record the jobs the trigger saw finish, fetch and write the completed ones, learn the
        model's pace from them, and save the manifest.

        :param payload: the trigger's event, as the task resumed with it.
        :raises AirflowException: when it is not a batch trigger's event.
        """
        try:
            event = BatchWaitEvent.from_payload(payload)
        except ValueError as exc:
            raise AirflowException(f"The batch trigger sent an unreadable event: {exc}") from None
        self.progress = event.progress or {"total": len(self.manifest), "started_at": time.time()}
        limit = self.settings.max_in_flight
        self.window = InFlightWindow(limit, int(self.progress.get("window", limit)))
        self.timed_out = event.status == TIMEOUT
        by_id = self.manifest.by_generation_id()
        completed: list[ManifestRow] = []
        for generation_id, status in event.finished.items():
            row = by_id.get(generation_id)
            if row is None or row.status is not FileStatus.SUBMITTED:
                continue
            bracket = event.finished_between.get(generation_id)
            row.finished_between = None if bracket is None else (float(bracket[0]), float(bracket[1]))
            message = event.messages.get(generation_id)
            if status == SttStatus.COMPLETED.value:
                completed.append(row)
            elif status == GONE and row.attempts < MAX_ATTEMPTS:
                row.status, row.error, row.generation_id = FileStatus.PENDING, message, None
            else:
                row.status, row.error, row.retryable = (
                    FileStatus.FAILED,
                    f"job {generation_id}: {message or status}",
                    True,
                )
        collect(completed, self._write_transcripts, self.hooks, min(limit, MAX_CONCURRENT_FETCHES))
        learn_jobs(
            self.settings.aimlstt_conn_id,
            self.settings.model,
            [
                (row.audio_seconds, row.finished_between)
                for row in completed
                if row.status is FileStatus.TRANSCRIBED
                and row.audio_seconds is not None
                and row.finished_between is not None
            ],
            self.log,
        )
        self.manifest.save()

    def submit_what_fits(self) -> None:
        """Submit pending files in waves while the window has room; wait out a ``Retry-After``
        here only when nothing is in flight (otherwise the trigger's wait covers it).

        While no job is in flight, one create goes alone: a wrong key, or an API nothing can
        reach, then costs one create and one upload, not a wave of them.

        A create the API refuses with 401 or 403 stops the batch's creates: the task fails at once,
        without retries (a retry would meet the same refusal), naming the cause. No file is
        marked failed: the files not submitted stay ``pending``, and the jobs the API accepted
        before stay ``submitted``, in the manifest. Clearing the task once the connection works
        submits the first and collects the second (a job whose one-hour retention ran out by
        then is submitted again).

        Creates that could not connect never reached the API, so they are sent again: after the
        connection's retry backoff (``api_retries``, ``api_retry_backoff``,
        ``api_retry_max_backoff``), one wait for the whole wave. When ``api_retries`` such waits
        in a row end with no create connecting, the pending files fail (a later try submits them).

        :raises AirflowFailException: when the API refused a create with 401 or 403.
        """
        manifest, window, deadline = self.manifest, self.window, self.deadline
        policy = self.hooks.get().settings.retry_policy
        unreachable_waves, unreachable_since = 0, 0.0
        while pending := manifest.with_status(FileStatus.PENDING):
            in_flight = len(manifest.with_status(FileStatus.SUBMITTED))
            room = window.free(in_flight)
            if time.time() >= deadline:  # e.g. a limit that never lets up: the files fail, named
                self._fail_all(pending, DEADLINE_PASSED)
                return
            if room == 0:
                if in_flight:
                    return  # the trigger's wait covers the rest of any Retry-After
                pause = max(0.0, min(window.resume_at, deadline) - time.time())
                self.log.info("Nothing in flight and the API asked to wait: waiting %.1f s", pause)
                time.sleep(pause)
                continue
            affordable = self._within_the_cap(pending[: room if in_flight else 1])
            if not affordable:
                if in_flight:
                    return  # what the jobs in flight really cost may leave room: decided at the resume
                self._leave_over_the_cap(pending)
                return
            wave, requests = self._mark_submitting(affordable)
            manifest.save()  # before the creates: a crash now leaves rows a retry can settle
            sent_at = time.time()
            outcome = submit_wave(wave, requests, self.hooks, window, MAX_ATTEMPTS, self.log)
            manifest.save()
            if outcome.refusal is not None:
                raise self._refused(outcome.refusal)
            if outcome.unreachable is None or outcome.accepted:
                unreachable_waves = 0
                continue
            if not unreachable_waves:
                unreachable_since = sent_at
            unreachable_waves += 1
            if unreachable_waves > policy.api_retries:
                self._fail_all(
                    manifest.with_status(FileStatus.PENDING),
                    f"not submitted: no create could connect to the API in {unreachable_waves} attempt(s) "
                    f"over {time.time() - unreachable_since:.1f} s ({outcome.unreachable})",
                )
                return
            pause = min(policy.wait_before_retry(unreachable_waves), max(0.0, deadline - time.time()))
            self.log.warning(
                "No create could connect to the API (%s); trying again in %.1f s (retry %d/%d)",
                outcome.unreachable,
                pause,
                unreachable_waves,
                policy.api_retries,
            )
            time.sleep(pause)

    def wait_for_in_flight(self) -> AimlSttBatchTrigger | None:
        """Log the progress; the trigger to wait for the jobs in flight with, or None when none is
        (or the batch's deadline passed: they fail, to be retried by a later try).

        The task resumes when the trigger fires: once half the jobs in flight finished while files
        are pending (all of them otherwise), or a result nears its retention's end.
        """
        manifest = self.manifest
        in_flight = manifest.with_status(FileStatus.SUBMITTED)
        self.progress["window"] = self.window.size
        tally = self._tally()
        started_at, done_at_start = (
            float(self.progress["started_at"]),
            int(self.progress.get("done_at_start", 0)),
        )
        line = progress_line(
            tally["done"], len(manifest), tally["failed"], len(in_flight), started_at, done_at_start
        )
        self.log.info("Batch: %s", line)
        if in_flight and (self.timed_out or time.time() >= self.deadline):
            self._fail_all(in_flight, DEADLINE_PASSED)
            return None
        if not in_flight:
            return None
        pending = manifest.with_status(FileStatus.PENDING)
        self.progress.update(tally)
        settings = self.settings
        timing = learned_timing(settings.aimlstt_conn_id, settings.model, self.log)
        windows = [timing.expected_finish(row.audio_seconds) for row in in_flight]
        predicted = sum(window is not None for window in windows)
        self.log.info(
            "Waiting for %d job(s) in flight, %d with an expected finish from the model's earlier jobs",
            len(in_flight),
            predicted,
        )
        typical = manifest.typical_job_seconds(settings.max_in_flight)
        return AimlSttBatchTrigger(
            generation_ids=[str(row.generation_id) for row in in_flight],
            aimlstt_conn_id=settings.aimlstt_conn_id,
            deadline=self.deadline,
            created_at=[float(row.submitted_at or time.time()) for row in in_flight],
            resume_when_finished=max(1, math.ceil(len(in_flight) / 2)) if pending else len(in_flight),
            progress=self.progress,
            first_poll_after=None if typical is None else round(typical * FIRST_POLL_EARLY, 3),
            resume_not_before=time.time() + MIN_DEFER_SECONDS if MIN_DEFER_SECONDS else None,
            expected_finish=[None if window is None else list(window) for window in windows]
            if predicted
            else None,
        )

    def finish(self) -> dict[str, Any]:
        """The batch's counts (the task's return value, see :meth:`Manifest.counts`) with its
        estimate and cap; logged, and sent to Airflow's metrics. The batch's report is written on
        the output store (its URI in :attr:`report_url`), and what it was billed per audio second
        learned."""
        settings, rows = self.settings, list(self.manifest)
        counts = self.manifest.counts()
        estimate = self._estimate_made()
        counts["estimated_usd"] = None if estimate is None else estimate.total_usd
        if settings.max_cost_usd is not None:
            counts["max_cost_usd"] = settings.max_cost_usd
        try:
            self.report_url = write_report(
                rows,
                settings.output.output_path,
                settings.output.output_conn_id,
                settings.task_instance,
                model=settings.model,
                estimate=estimate,
                max_cost_usd=settings.max_cost_usd,
                billed_usd=counts["cost_usd"],
            )
        except Exception as exc:  # a report is a view: it never fails the batch
            self.report_url = None
            self.log.warning("Could not write the batch's report: %s", exc)
        self.log.info("The batch's report: %s", self.report_url)
        self.log.info("Batch finished: %s", counts)
        dag_id, _, task_id, _ = settings.task_instance
        emit_batch_metrics(counts, rows, settings.model, {"dag_id": dag_id, "task_id": task_id})
        learn_cost_rate(settings.aimlstt_conn_id, settings.model, rows, self.log)
        return counts

    def check_failed_files(self) -> None:
        """Fail the task when more files failed than ``max_failed_files``, naming them.

        :raises AirflowFailException: when files were left for ``max_cost_usd``, saying how many.
        :raises AirflowException: naming the failed files (the first 20) and the manifest.
        """
        over_the_cap = [
            row for row in self.manifest.with_status(FileStatus.FAILED) if row.error == OVER_THE_CAP
        ]
        if over_the_cap:
            raise AirflowFailException(
                f"{len(over_the_cap)} of {len(self.manifest)} file(s) were not submitted: the next create "
                f"would have passed max_cost_usd={self.settings.max_cost_usd} (committed "
                f"${self._committed_usd(self._rate()):.4f}); what was in flight was written. Every "
                f"file's row is in {self.manifest.location}; clear the task with a higher cap to go on."
            )
        failed = self.manifest.with_status(FileStatus.FAILED)
        limit = self.settings.max_failed_files
        if len(failed) <= limit:
            return
        listed = "; ".join(f"{row.source}: {row.error}" for row in failed[:MAX_LISTED_FAILURES])
        more = f" (and {len(failed) - MAX_LISTED_FAILURES} more)" if len(failed) > MAX_LISTED_FAILURES else ""
        raise AirflowException(
            f"{len(failed)} of {len(self.manifest)} file(s) failed, more than "
            f"max_failed_files={limit}: {listed}{more}. Every file's row is in "
            f"{self.manifest.location}; a retry submits the failed files again where that is safe."
        )

    # -- helpers ---------------------------------------------------------------------------

    def _check_request(self) -> None:
        """Fail at once, before any file, on a bad model, options or formats."""
        settings = self.settings
        self.log.info(
            "At most %d jobs in flight; %d failed file(s) tolerated",
            settings.max_in_flight,
            settings.max_failed_files,
        )
        request = settings.request_for("https://example.invalid/check.wav")
        if request.family is not None:
            settings.output.check_timings_available(request.family.gives_word_timings, request.model)

    def _mark_submitting(
        self, rows: list[ManifestRow]
    ) -> tuple[list[ManifestRow], dict[str, TranscriptionRequest]]:
        """Rows about to be submitted, marked ``submitting`` with their client request ids, and
        their requests; a file whose request is invalid fails instead."""
        requests: dict[str, TranscriptionRequest] = {}
        for row in rows:
            try:
                requests[row.source] = self.settings.request_for(row.source)
            except AimlSttValidationError as exc:
                row.status, row.error, row.retryable = FileStatus.FAILED, str(exc), False
                continue
            row.attempts += 1
            row.status = FileStatus.SUBMITTING
            row.client_request_id = row_request_id(self.settings.task_instance, row)
            row.submitted_at, row.finished_between = time.time(), None
        return [row for row in rows if row.status is FileStatus.SUBMITTING], requests

    def _write_transcripts(self, row: ManifestRow, job: FetchResponse) -> None:
        """Write a completed job's transcripts and record them, with the job's cost, in its row.

        :param row: the file's row.
        :param job: its fetched job; ``charge`` is what that fetch cost.
        """
        from airflow_provider_aimlstt.outputs.delivery import completed_result
        from airflow_provider_aimlstt.outputs.storage import conn_id_of, resolve_folder, with_conn_id
        from airflow_provider_aimlstt.outputs.writer import write_transcript_files
        from airflow_provider_aimlstt.transcripts import to_transcript

        generation_id = str(row.generation_id)
        create_charge = None
        if row.credits is not None and row.cost_usd is not None:
            create_charge = Charge(credits=row.credits, usd=Decimal(str(row.cost_usd)))
        charge = Charge.total([create_charge, job.charge]) if create_charge is not None else None
        transcript = to_transcript(
            completed_result(job, generation_id), model=self.settings.model, generation_id=generation_id
        ).model_copy(update={"cost": charge, "client_request_id": row.client_request_id})
        output = self.settings.output
        root = resolve_folder(output.output_path, output.output_conn_id)
        inside, _, leaf = row.name.rpartition("/")
        written = write_transcript_files(
            transcript,
            root / inside if inside else root,
            leaf,
            output.formats,
            output_conn_id=conn_id_of(root),
        )
        row.paths = {fmt: with_conn_id(uri, conn_id_of(root)) for fmt, uri in written.items()}
        row.audio_seconds, row.words = transcript.duration_seconds, transcript.word_count
        if charge is not None:
            row.cost_usd, row.credits = float(charge.usd), charge.credits
        receipt = Receipt(
            source=row.source,
            fingerprint=row.fingerprint,
            generation_id=generation_id,
            audio_seconds=row.audio_seconds,
            words=row.words,
            cost_usd=row.cost_usd,
            credits=row.credits,
        )
        write_receipt(root, row.name, receipt)  # after the last format: the file is done
        row.status, row.error = FileStatus.TRANSCRIBED, None

    def _refused(self, refusal: AimlSttApiError) -> AirflowFailException:
        """The task's failure when the API refused a create with 401 or 403, saying what the
        manifest keeps (the counts are logged too).

        :param refusal: the refusal.
        """
        manifest = self.manifest
        self.log.info("Batch stopped: %s", manifest.counts())
        conn_id = self.settings.aimlstt_conn_id
        api_key = self.hooks.get().settings.api_key
        cause = str(refusal).replace(api_key, "***") if api_key else str(refusal)  # should a server echo it
        in_flight = len(manifest.with_status(FileStatus.SUBMITTED))
        kept = (
            f" {in_flight} job(s) the API accepted earlier stay submitted in it: a cleared task collects "
            "them while their results are kept (one hour)."
            if in_flight
            else ""
        )
        return AirflowFailException(
            f"The API refused to create jobs through the connection {conn_id!r}: {cause}. No more files "
            f"were submitted: {len(manifest.with_status(FileStatus.PENDING))} file(s) wait as pending in "
            f"the manifest {manifest.location}.{kept} Clear this task once the connection works to go on."
        )

    def _estimate_made(self) -> CostEstimate | None:
        """The estimate :meth:`estimate` made when the task started (carried in the progress)."""
        summary = self.progress.get("estimate")
        return CostEstimate.from_summary(summary) if isinstance(summary, dict) else None

    def _rate(self) -> float | None:
        """USD per audio second: the price given, else what this batch's own jobs were billed,
        else what the estimate used (learned from earlier batches); None when nothing says."""
        if self.settings.usd_per_audio_second is not None:
            return self.settings.usd_per_audio_second
        usd = seconds = 0.0
        for row in self._with_jobs():
            if row.cost_usd is not None and row.audio_seconds:
                usd, seconds = usd + row.cost_usd, seconds + row.audio_seconds
        if seconds > 0:
            return usd / seconds
        estimate = self._estimate_made()
        return None if estimate is None else estimate.usd_per_audio_second

    def _with_jobs(self) -> list[ManifestRow]:
        """The rows whose jobs this batch made (a skipped row's job is an earlier batch's)."""
        return [row for row in self.manifest if row.generation_id and row.status is not FileStatus.SKIPPED]

    def _expected_usd(self, row: ManifestRow, rate: float | None) -> float:
        """What a row's job costs or will: as billed, else its audio (or the batch's mean) at ``rate``."""
        if row.cost_usd is not None:
            return row.cost_usd
        if rate is None:
            return 0.0
        known = [other.audio_seconds for other in self.manifest if other.audio_seconds]
        seconds = row.audio_seconds or (sum(known) / len(known) if known else 0.0)
        return seconds * rate

    def _committed_usd(self, rate: float | None) -> float:
        """What the jobs this batch made cost, or will (those in flight at ``rate``)."""
        return sum(self._expected_usd(row, rate) for row in self._with_jobs())

    def _within_the_cap(self, rows: list[ManifestRow]) -> list[ManifestRow]:
        """The first of ``rows`` whose creates keep the batch within ``max_cost_usd`` (all without a
        cap). Without a price known yet, one file goes alone, and its create's cost sets it."""
        cap = self.settings.max_cost_usd
        if cap is None:
            return rows
        rate = self._rate()
        committed = self._committed_usd(rate)
        if rate is None:
            return rows[:1] if committed < cap and not self.manifest.with_status(FileStatus.SUBMITTED) else []
        affordable = []
        for row in rows:
            committed += self._expected_usd(row, rate)
            if committed > cap:
                break
            affordable.append(row)
        return affordable

    def _leave_over_the_cap(self, rows: list[ManifestRow]) -> None:
        """Fail the files the cap leaves out (a later try with a higher cap submits them)."""
        self.log.warning(
            "max_cost_usd=%s: the next create would pass it; %d file(s) left unsubmitted",
            self.settings.max_cost_usd,
            len(rows),
        )
        self._fail_all(rows, OVER_THE_CAP)

    def _fail_all(self, rows: list[ManifestRow], why: str) -> None:
        for row in rows:
            row.status, row.error, row.retryable = FileStatus.FAILED, why, True
        self.manifest.save()

    def _tally(self) -> dict[str, int]:
        """Files done (in a final status) and, of those, failed."""
        final = [row for row in self.manifest if row.status.is_final]
        return {"done": len(final), "failed": sum(1 for row in final if row.status is FileStatus.FAILED)}
