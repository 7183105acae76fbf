"""Remember a task's submission across its tries, so a retry reuses the job instead of paying twice.

The generation id is written to Airflow's task state store (Airflow 3.3+) as soon as the API
returns it. The store is kept per DAG run, task and map index, and every try of the task instance
reads the same rows. XCom would not do: Airflow clears a task's XComs when a new try starts.

A later try reuses the stored job while the API still knows it and it has not failed: pending or
completed. It submits again when the job is gone (404: results are kept for one hour), ended in
``error``, or when the request changed (another file, model or options).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.exceptions import AimlSttNotFoundError, AimlSttSubmissionUncertainError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.request import TranscriptionRequest

STATE_KEY = "aimlstt_submission"


def submit_once(
    context: Any, hook: AimlSttHook, request: TranscriptionRequest, audio: AudioSource, log: Any
) -> str:
    """The generation id of this task's job: an earlier try's while usable, else a new submission.

    A submission that failed after it may have reached the API fails the task without further
    tries (``AirflowFailException``): another try could pay twice.

    :param context: the task's context.
    :param hook: the hook to submit with.
    :param request: the validated request.
    :param audio: its audio, checked (:meth:`AudioSource.checked`).
    :param log: the task's logger.
    """
    fingerprint = request_fingerprint(request, audio)
    reused = reusable_generation_id(context, hook, fingerprint, log)
    if reused is not None:
        return reused
    try:
        generation_id = hook.submit(request, audio)
    except AimlSttSubmissionUncertainError as exc:
        raise AirflowFailException(str(exc)) from exc
    remember_submission(context, fingerprint, generation_id, log)
    return generation_id


def request_fingerprint(request: TranscriptionRequest, audio: AudioSource) -> str:
    """A digest of what was asked: model, options, and the audio (URL; local path, size and mtime;
    or object storage URI and size).

    :param request: a validated request.
    :param audio: its audio, checked.
    """
    described = {"model": request.model, "options": request.api_options(), **audio.fingerprint()}
    encoded = json.dumps(described, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def reusable_generation_id(context: Any, hook: AimlSttHook, fingerprint: str, log: Any) -> str | None:
    """The generation id an earlier try of this task submitted, if it can still be used.

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
    return generation_id


def remember_submission(context: Any, fingerprint: str, generation_id: str, log: Any) -> None:
    """Store the new generation id for later tries of this task.

    :param context: the task's context.
    :param fingerprint: what was submitted (:func:`request_fingerprint`).
    :param generation_id: the id the API returned.
    :param log: the task's logger.
    """
    store = _store(context)
    if store is None:
        log.warning("This Airflow has no task state store (3.3+): a retry of this task would submit again")
        return
    store.set(
        STATE_KEY,
        {
            "generation_id": generation_id,
            "fingerprint": fingerprint,
            "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )


def _store(context: Any) -> Any:
    getter = getattr(context, "get", None)
    return getter("task_state_store") if getter is not None else None
