"""Internal: remember a task's submission across its tries, so a retry reuses the job instead of
paying twice.

The generation id is written to Airflow's task state store (Airflow 3.3+) as soon as the API
returns it. The store is kept per DAG run, task and map index, and every try of the task instance
reads the same rows. XCom would not do: Airflow clears a task's XComs when a new try starts.

A later try reuses the stored job while the API still knows it and it has not failed: pending or
completed. It submits again when the job is gone (404: results are kept for one hour), ended in
``error``, or when the request changed (another file, model or options).

Each create carries a client request id made from the task instance, the try and the request
(:func:`task_client_request_id`), so the job can be found in the API's usage log when the
create's answer is lost, and traced back to the task afterwards. Each try has its own: a try whose
answer was lost finds its own create, never an earlier try's job. A retry that finds nothing in
the store (the try that submitted died before it could store, or Airflow refused the write) looks
in the usage log for that id before it submits.

Below Airflow 3.3 there is no store: the usage log is how a retry finds the earlier try's job. A
log row shows shortly after its create, so such a retry keeps looking until the connection's
``usage_log_wait`` has passed since the try started (the create was made before that), then
submits if there is none. The log may hold a job per earlier try (each try's id is known): the
newest one still usable is reused, and one that ended in error does not settle it while a later
try's row may still show. A usage log that cannot be read fails the try rather than risk a second
job. The first submission of such a task says so once in its log.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.exceptions import (
    AimlSttNotFoundError,
    AimlSttSubmissionUncertainError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.usage_log import find_logged_create
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.models.usage_log import UsageLogRow
from airflow_provider_aimlstt.tracing import Charge, client_request_id

STATE_KEY = "aimlstt_submission"


def submit_once(
    context: Any, hook: AimlSttHook, request: TranscriptionRequest, audio: AudioSource, log: Any
) -> SubmittedJob:
    """This task's job: an earlier try's while usable, else a new submission.

    A submission that failed after it may have reached the API, and that the usage log could not
    settle, fails the task without further tries (``AirflowFailException``): another try could
    pay twice.

    :param context: the task's context.
    :param hook: the hook to submit with.
    :param request: the validated request.
    :param audio: its audio, checked (:meth:`AudioSource.checked`).
    :param log: the task's logger.
    """
    fingerprint = request_fingerprint(request, audio)
    request_id = task_client_request_id(context, fingerprint)
    reused = reusable_submission(context, hook, fingerprint, log)
    if reused is not None:
        return reused
    logged = logged_submission(context, hook, fingerprint, log, _usage_log_wait(context, hook, log))
    if logged is not None:
        remember_submission(context, fingerprint, logged, log)
        return logged
    try:
        submission = hook.submit_job(request, audio, client_request_id=request_id)
    except AimlSttSubmissionUncertainError as exc:
        raise AirflowFailException(str(exc)) from exc
    remember_submission(context, fingerprint, submission, log)
    return submission


def task_client_request_id(context: Any, fingerprint: str, try_number: int | None = None) -> str:
    """The client request id of a try's create of this task instance, for this request.

    :param context: the task's context (its task instance names the DAG, run, task and map index).
    :param fingerprint: what is submitted (:func:`request_fingerprint`).
    :param try_number: the try; None: this one.
    """
    ti = context.get("ti") if hasattr(context, "get") else None
    parts = [getattr(ti, name, None) for name in ("dag_id", "run_id", "task_id", "map_index")]
    return client_request_id(*parts, fingerprint, try_number or _try_number(context))


def request_fingerprint(request: TranscriptionRequest, audio: AudioSource) -> str:
    """A digest of what was asked: model, options, and the audio (URL; local path, size and mtime;
    or object storage URI and size).

    :param request: a validated request.
    :param audio: its audio, checked.
    """
    described = {"model": request.model, "options": request.api_options(), **audio.fingerprint()}
    encoded = json.dumps(described, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def reusable_submission(context: Any, hook: AimlSttHook, fingerprint: str, log: Any) -> SubmittedJob | None:
    """The job an earlier try of this task submitted, if it can still be used.

    :param context: the task's context (its ``task_state_store``, when Airflow has one).
    :param hook: asks the API whether the earlier job is still there.
    :param fingerprint: what this try would submit (:func:`request_fingerprint`).
    :param log: the task's logger.
    """
    store = _store(context)
    if store is None:
        return None
    stored = store.get(STATE_KEY)
    if not isinstance(stored, dict) or not isinstance(stored.get("generation_id"), str):
        return None
    generation_id: str = stored["generation_id"]
    if stored.get("fingerprint") != fingerprint:
        log.info(
            "An earlier try submitted generation_id=%s for another request; submitting anew", generation_id
        )
        return None
    try:
        job = hook.get_job(generation_id)
    except AimlSttNotFoundError:
        log.warning(
            "An earlier try's generation_id=%s is gone (results are kept for one hour); submitting again",
            generation_id,
        )
        return None
    if job.is_failed:
        log.warning(
            "An earlier try's generation_id=%s ended in error (%s); submitting again",
            generation_id,
            job.error_reason,
        )
        return None
    log.info(
        "Reusing generation_id=%s, submitted by an earlier try at %s and now %s; not submitting again",
        generation_id,
        stored.get("submitted_at", "?"),
        job.status,
    )
    charge = stored.get("charge")
    return SubmittedJob(
        generation_id=generation_id,
        client_request_id=stored.get("client_request_id"),
        charge=Charge.model_validate(charge) if isinstance(charge, dict) else None,
        reused=True,
    )


def logged_submission(
    context: Any, hook: AimlSttHook, fingerprint: str, log: Any, wait_seconds: float = 0.0
) -> SubmittedJob | None:
    """The job an earlier try made that the usage log shows under that try's client request id
    (since the DAG run started), while the API still has it and it has not failed; None on a first
    try.

    The log may show a job per earlier try: the newest usable one is taken. One that ended in
    error or is gone does not end the lookup: a later try's create may show after it, within
    ``wait_seconds``, unless each earlier try's job shows already (a try makes one at most).

    :param context: the task's context (its task instance's try number, its DAG run's start).
    :param hook: reads the usage log and the jobs.
    :param fingerprint: what this try would submit (:func:`request_fingerprint`).
    :param log: the task's logger.
    :param wait_seconds: how long to keep looking for the row (0: one look).
    :raises AimlSttError: the usage log or a job could not be read (this try fails; it does not
        submit when an earlier try's job may be alive).
    """
    try_number = _try_number(context)
    if try_number <= 1:
        return None
    earlier_ids = [task_client_request_id(context, fingerprint, number) for number in range(1, try_number)]
    dag_run = context.get("dag_run")
    since = getattr(dag_run, "start_date", None) or datetime.now(timezone.utc) - timedelta(days=1)
    statuses: dict[str, str] = {}
    unusable: set[str] = set()

    def usable(row: UsageLogRow) -> bool:
        generation_id = row.inference_id
        if not generation_id or generation_id in unusable:
            return False
        try:
            job = hook.get_job(generation_id)
        except AimlSttNotFoundError:
            log.warning(
                "An earlier try's generation_id=%s is gone (results are kept for one hour)", generation_id
            )
            unusable.add(generation_id)
            return False
        if job.is_failed:
            log.warning(
                "An earlier try's generation_id=%s ended in error (%s)", generation_id, job.error_reason
            )
            unusable.add(generation_id)
            return False
        statuses[generation_id] = str(job.status)
        return True

    row = find_logged_create(
        hook.usage_log_page,
        earlier_ids,
        since,
        wait_seconds,
        log,
        usable=usable,
        most_creates=try_number - 1,  # a try makes one job at most
    )
    if row is None or not row.succeeded or not row.inference_id:
        if unusable:
            log.warning(
                "No job of an earlier try can be reused (%d ended in error or are gone); submitting again",
                len(unusable),
            )
        return None
    log.info(
        "Reusing generation_id=%s, which an earlier try submitted (the usage log shows it) and is now %s",
        row.inference_id,
        statuses[row.inference_id],
    )
    return SubmittedJob(
        generation_id=row.inference_id, client_request_id=row.client_request_id, charge=row.cost, reused=True
    )


def remember_submission(context: Any, fingerprint: str, submission: SubmittedJob, log: Any) -> None:
    """Store the new job for later tries of this task.

    :param context: the task's context.
    :param fingerprint: what was submitted (:func:`request_fingerprint`).
    :param submission: what the API (or its usage log) said of the new job.
    :param log: the task's logger.
    """
    store = _store(context)
    if store is None:
        log.info(
            "This Airflow has no task state store (3.3+): a retry of this task finds generation_id=%s "
            "in the usage log by client_request_id=%s, not in the store",
            submission.generation_id,
            submission.client_request_id,
        )
        return
    store.set(
        STATE_KEY,
        {
            "generation_id": submission.generation_id,
            "fingerprint": fingerprint,
            "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "client_request_id": submission.client_request_id,
            "charge": submission.charge.model_dump(mode="json") if submission.charge else None,
        },
    )


def _usage_log_wait(context: Any, hook: AimlSttHook, log: Any) -> float:
    """How long a retry looks for the earlier try's create in the usage log: one look where the
    task state store holds submissions (an unstored create is rare there); without one, until the
    connection's ``usage_log_wait`` has passed since this try started."""
    ti = context.get("ti") if hasattr(context, "get") else None
    if _store(context) is not None or int(getattr(ti, "try_number", 1) or 1) <= 1:
        return 0.0
    started = getattr(ti, "start_date", None)
    elapsed = (datetime.now(timezone.utc) - started).total_seconds() if started else 0.0
    wait = max(0.0, hook.settings.usage_log_wait - elapsed)
    log.info(
        "This Airflow has no task state store (3.3+): looking for an earlier try's job in the usage "
        "log for up to %.0f s before submitting",
        wait,
    )
    return wait


def _try_number(context: Any) -> int:
    ti = context.get("ti") if hasattr(context, "get") else None
    return int(getattr(ti, "try_number", 1) or 1)


def _store(context: Any) -> Any:
    getter = getattr(context, "get", None)
    return getter("task_state_store") if getter is not None else None
