"""The batch operator's work, imported when the task runs: parsing a DAG needs none of it.

:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator` holds the
arguments, checked when the DAG is parsed; its ``execute`` calls :func:`start` and its
``execute_complete`` :func:`resume`. Every function takes the operator as ``task``.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowException

from airflow_provider_aimlstt.batch.inputs import (
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
from airflow_provider_aimlstt.job_timing import learn_jobs, learned_timing
from airflow_provider_aimlstt.models.status import SttStatus
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.triggers.batch import GONE, AimlSttBatchTrigger

if TYPE_CHECKING:
    from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

MAX_LISTED_FAILURES = 20
"""Failed files named in the task's failure message; the manifest has all of them."""
FIRST_POLL_EARLY = 0.9
"""Jobs without an expected finish of their own (no duration read from their upload, or nothing
learned of the model yet) are first polled at this share of the recent jobs' typical time: early
enough that some are still pending, so the estimate follows the API down as well as up."""


# -- entry points: the operator's execute and execute_complete ------------------------------


def start(task: AimlSttBatchTranscribeOperator, context: Any) -> dict[str, Any]:
    """Plan the batch (adopting an earlier try's manifest), submit the first files, and wait.

    :param task: the batch operator.
    :param context: its context.
    """
    check_request(task)
    manifest = Manifest.load(manifest_location_of(task, context), task.output_conn_id)
    plan(task, manifest, context)
    progress = {
        "total": len(manifest),
        "started_at": time.time(),
        "done_at_start": tally_of(manifest)["done"],
        "window": task.in_flight_limit,
    }
    return advance(task, context, manifest, progress, event=None)


def resume(
    task: AimlSttBatchTranscribeOperator, context: Any, event: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write what finished, submit the next files, and wait again or finish.

    :param task: the batch operator, resumed.
    :param context: its context.
    :param event: the trigger's event: ``{status, finished: {id: status}, messages, progress}``.
    """
    if not isinstance(event, dict) or not isinstance(event.get("finished"), dict):
        raise AirflowException(f"The batch trigger sent an unreadable event: {event!r}")
    manifest = Manifest.load(manifest_location_of(task, context), task.output_conn_id)
    progress = dict(event.get("progress") or {"total": len(manifest), "started_at": time.time()})
    return advance(task, context, manifest, progress, event)


# -- the steps ---------------------------------------------------------------------------


def advance(
    task: AimlSttBatchTranscribeOperator,
    context: Any,
    manifest: Manifest,
    progress: dict[str, Any],
    event: dict[str, Any] | None,
) -> dict[str, Any]:
    """Apply the trigger's event, if any, submit what fits, then defer again or finish."""
    poll_hooks = ThreadHooks(lambda: AimlSttHook.for_task(task))
    if event is not None:
        apply_event(task, manifest, event, poll_hooks)
        manifest.save()
    window = InFlightWindow(task.in_flight_limit, int(progress.get("window", task.in_flight_limit)))
    deadline = float(progress["started_at"]) + task.timeout_seconds
    submit_what_fits(task, context, manifest, window, deadline)
    progress["window"] = window.size
    in_flight = manifest.with_status(FileStatus.SUBMITTED)
    log_progress(task, manifest, progress, len(in_flight))
    timed_out = (event or {}).get("status") == "timeout" or time.time() >= deadline
    if in_flight and timed_out:
        for row in in_flight:
            row.status, row.error, row.retryable = FileStatus.FAILED, "the batch's deadline passed", True
        manifest.save()
        in_flight = []
    if in_flight:
        defer(task, manifest, in_flight, progress, deadline)
    return finish(task, context, manifest)


def plan(task: AimlSttBatchTranscribeOperator, manifest: Manifest, context: Any) -> None:
    """Add the inputs the manifest lacks; give an earlier try's failed or unanswered files another go."""
    sources = batch_sources(task)
    done = finished_names(task.output_path, task.formats, task.output_conn_id)
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
        task.log.info(
            "%d file(s) were being submitted when an earlier try ended; settling them", len(unanswered)
        )
        wait = AimlSttHook.for_task(task).settings.usage_log_wait
        settle_unanswered(unanswered, ThreadHooks(lambda: AimlSttHook.for_task(task)), wait, task.log)
    task.log.info(
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


def apply_event(
    task: AimlSttBatchTranscribeOperator, manifest: Manifest, event: dict[str, Any], hooks: ThreadHooks
) -> None:
    """Record the jobs the trigger saw finish; fetch and write the completed ones."""
    by_id = manifest.by_generation_id()
    messages = event.get("messages") or {}
    brackets = event.get("finished_between") or {}
    completed: list[ManifestRow] = []
    for generation_id, status in event["finished"].items():
        row = by_id.get(generation_id)
        if row is None or row.status is not FileStatus.SUBMITTED:
            continue
        bracket = brackets.get(generation_id)
        row.finished_between = None if bracket is None else (float(bracket[0]), float(bracket[1]))
        if status == SttStatus.COMPLETED.value:
            completed.append(row)
        elif status == GONE and row.attempts < task.max_attempts:
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
    collect(
        completed,
        lambda row, job, charge: write_transcripts(task, row, job, charge),
        hooks,
        min(task.in_flight_limit, 16),
    )
    learn_jobs(
        task.aimlstt_conn_id,
        task.model,
        [
            (row.audio_seconds, row.finished_between)
            for row in completed
            if row.status is FileStatus.TRANSCRIBED
            and row.audio_seconds is not None
            and row.finished_between is not None
        ],
        task.log,
    )


def write_transcripts(
    task: AimlSttBatchTranscribeOperator, row: ManifestRow, job: Any, fetch_charge: Charge | None
) -> None:
    """Write a completed job's transcripts and record them, with the job's cost, in its row."""
    from airflow_provider_aimlstt.outputs.delivery import completed_result
    from airflow_provider_aimlstt.outputs.writer import write_transcript_files
    from airflow_provider_aimlstt.transcripts import to_transcript

    generation_id = str(row.generation_id)
    create_charge = None
    if row.credits is not None and row.cost_usd is not None:
        create_charge = Charge(credits=row.credits, usd=Decimal(str(row.cost_usd)))
    charge = Charge.total([create_charge, fetch_charge]) if create_charge is not None else None
    transcript = to_transcript(
        completed_result(job, generation_id), model=task.model, generation_id=generation_id
    ).model_copy(update={"cost": charge, "client_request_id": row.client_request_id})
    row.paths = write_transcript_files(
        transcript, task.output_path, row.name, task.formats, output_conn_id=task.output_conn_id
    )
    row.status, row.error = FileStatus.TRANSCRIBED, None
    row.audio_seconds, row.words = transcript.duration_seconds, transcript.word_count
    if charge is not None:
        row.cost_usd, row.credits = float(charge.usd), charge.credits


def submit_what_fits(
    task: AimlSttBatchTranscribeOperator,
    context: Any,
    manifest: Manifest,
    window: InFlightWindow,
    deadline: float,
) -> None:
    """Submit pending files in waves while the window has room; wait out a ``Retry-After`` here
    only when nothing is in flight (otherwise the trigger's wait covers it)."""
    identity = task_identity(context)
    create_hooks = ThreadHooks(
        lambda: AimlSttHook(
            aimlstt_conn_id=task.aimlstt_conn_id,
            api_retries=0,
            resubmit_if_not_logged=task.resubmit_if_not_logged,
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
            task.log.info("Nothing in flight and the API asked to wait: waiting %.1f s", pause)
            time.sleep(pause)
            continue
        wave = pending[:room]
        requests = {}
        for row in wave:
            try:
                requests[row.source] = request_for(
                    row.source, task.model, task.options or {}, task.allow_unknown_model
                )
            except AimlSttValidationError as exc:
                row.status, row.error, row.retryable = FileStatus.FAILED, str(exc), False
                continue
            row.attempts += 1
            row.status = FileStatus.SUBMITTING
            row.client_request_id = row_request_id(identity, row)
            row.submitted_at, row.finished_between = time.time(), None
        wave = [row for row in wave if row.status is FileStatus.SUBMITTING]
        manifest.save()  # before the creates: a crash now leaves rows a retry can settle
        submit_wave(wave, requests, create_hooks, window, task.max_attempts, task.log)
        manifest.save()


def defer(
    task: AimlSttBatchTranscribeOperator,
    manifest: Manifest,
    in_flight: list[ManifestRow],
    progress: dict[str, Any],
    deadline: float,
) -> None:
    """Hand the wait for the jobs in flight to one batch trigger; the task resumes in ``resume``."""
    pending = manifest.with_status(FileStatus.PENDING)
    resume_when = max(1, math.ceil(len(in_flight) / 2)) if pending else len(in_flight)
    progress.update(tally_of(manifest))
    timing = learned_timing(task.aimlstt_conn_id, task.model, task.log)
    windows = [timing.expected_finish(row.audio_seconds) for row in in_flight]
    predicted = sum(window is not None for window in windows)
    task.log.info(
        "Waiting for %d job(s) in flight, %d with an expected finish from the model's earlier jobs",
        len(in_flight),
        predicted,
    )
    task.defer(
        trigger=AimlSttBatchTrigger(
            generation_ids=[str(row.generation_id) for row in in_flight],
            aimlstt_conn_id=task.aimlstt_conn_id,
            deadline=deadline,
            created_at=[float(row.submitted_at or time.time()) for row in in_flight],
            resume_when_finished=resume_when,
            poke_interval=task.poke_interval,
            max_poke_interval=task.max_poke_interval,
            max_concurrent_polls=task.max_concurrent_polls,
            api_retries=task.api_retries,
            progress=progress,
            first_poll_after=_early(manifest.typical_job_seconds(task.in_flight_limit)),
            resume_not_before=time.time() + task.min_defer_seconds if task.min_defer_seconds else None,
            expected_finish=[None if window is None else list(window) for window in windows]
            if predicted
            else None,
        ),
        method_name="execute_complete",
        timeout=None,  # the trigger keeps the batch's deadline itself
    )


def finish(task: AimlSttBatchTranscribeOperator, context: Any, manifest: Manifest) -> dict[str, Any]:
    """The batch's counts; the task fails when more files failed than ``max_failed_files``."""
    counts = manifest.counts()
    task.log.info("Batch finished: %s", counts)
    failed = manifest.with_status(FileStatus.FAILED)
    announce(task, context, counts)
    if len(failed) > task.failed_files_limit:
        listed = "; ".join(f"{row.source}: {row.error}" for row in failed[:MAX_LISTED_FAILURES])
        more = f" (and {len(failed) - MAX_LISTED_FAILURES} more)" if len(failed) > MAX_LISTED_FAILURES else ""
        raise AirflowException(
            f"{len(failed)} of {len(manifest)} file(s) failed, more than "
            f"max_failed_files={task.failed_files_limit}: {listed}{more}. Every file's row is in "
            f"{manifest.location}; a retry submits the failed files again where that is safe."
        )
    return counts


# -- small things ------------------------------------------------------------------------


def batch_sources(task: AimlSttBatchTranscribeOperator) -> list[str]:
    """The batch's files, from whichever input was given."""
    if task.audio_paths is not None:
        return [str(source) for source in task.audio_paths]
    if task.audio_list_path is not None:
        return read_audio_list(task.audio_list_path, task.input_conn_id)
    return listed_audio(task.input_path, task.audio_suffixes, task.input_conn_id)


def check_request(task: AimlSttBatchTranscribeOperator) -> None:
    """Fail at once, before any file, on a bad model, options, formats or limits."""
    limits = (task.in_flight_limit, task.failed_files_limit)  # each raises when it is wrong
    task.log.info("At most %d jobs in flight; %d failed file(s) tolerated", *limits)
    request = request_for(
        "https://example.invalid/check.wav", task.model, task.options or {}, task.allow_unknown_model
    )
    if request.family is not None:
        task.output_settings.check_timings_available(request.family.gives_word_timings, request.model)


def task_identity(context: Any) -> tuple[object, ...]:
    """The task instance's DAG, run, task and map index: what names its manifest and its creates."""
    ti = context["ti"]
    return (ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))


def manifest_location_of(task: AimlSttBatchTranscribeOperator, context: Any) -> str:
    """The manifest's URI: ``manifest_path``, else one under ``output_path`` named by the task instance."""
    if task.manifest_path:
        return str(task.manifest_path)
    return manifest_location(task.output_path, task.output_conn_id, *task_identity(context))


def tally_of(manifest: Manifest) -> dict[str, int]:
    """Files done (in a final status) and, of those, failed."""
    final = [row for row in manifest if row.status.is_final]
    return {"done": len(final), "failed": sum(1 for row in final if row.status is FileStatus.FAILED)}


def log_progress(
    task: AimlSttBatchTranscribeOperator, manifest: Manifest, progress: dict[str, Any], in_flight: int
) -> None:
    """Log the progress line: done, failed, in flight, rate and ETA."""
    tally = tally_of(manifest)
    line = progress_line(
        tally["done"],
        len(manifest),
        tally["failed"],
        in_flight,
        float(progress["started_at"]),
        int(progress.get("done_at_start", 0)),
    )
    task.log.info("Batch: %s", line)


def announce(task: AimlSttBatchTranscribeOperator, context: Any, counts: dict[str, Any]) -> None:
    """Put the counts into the ``extra`` of each ``Asset`` outlet's event."""
    from airflow.sdk import Asset

    events = context.get("outlet_events") if hasattr(context, "get") else None
    if events is None:
        return
    for outlet in task.outlets:
        if isinstance(outlet, Asset):
            events[outlet].extra.update(counts)


def _early(typical_seconds: float | None) -> float | None:
    return None if typical_seconds is None else round(typical_seconds * FIRST_POLL_EARLY, 3)
