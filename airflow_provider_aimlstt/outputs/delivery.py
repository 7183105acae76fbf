"""What a finished job becomes in the task: its result, or transcript files plus a small summary.

Without output settings the task returns the API's ``result`` object. With them, it writes the
transcript in the asked formats and returns only a summary (generation id, paths, duration, word
count, language, cost). Either way the log ends with one line saying what the job gave and cost.
The task's asset outlets say what was written, so downstream DAGs can be
scheduled on new transcripts: an ``Asset`` outlet's event gets the generation id and the paths in
its ``extra``; an ``AssetAlias`` outlet gets an event for the output folder's URI, with the same
``extra`` (on Airflow 2, whose alias events need hashable values, ``paths`` is a list of
``[format, URI]`` pairs: ``dict(extra["paths"])`` reads both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_aimlstt.exceptions import AimlSttResponseError, AimlSttTranscriptionFailedError
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS


def completed_result(job: FetchResponse, generation_id: str) -> dict[str, Any]:
    """The job's result, or the error that says why there is none.

    :param job: the job as last fetched.
    :param generation_id: its id, for the messages.
    :raises AimlSttTranscriptionFailedError: the job ended in ``error``.
    :raises AimlSttResponseError: the job is not completed or has no result.
    """
    if job.is_failed:
        raise AimlSttTranscriptionFailedError(generation_id, job.error_reason)
    if not job.is_completed or job.result is None:
        raise AimlSttResponseError(
            f"generation_id={generation_id} is {job.status!r} with no result, "
            "where a completed job was expected"
        )
    return job.result


def deliver(
    job: FetchResponse,
    settings: OutputSettings | None,
    *,
    generation_id: str,
    model: str | None,
    default_name: str,
    outlets: Sequence[Any],
    context: Any,
    log: Any,
    charge: Charge | None = None,
    client_request_id: str | None = None,
) -> dict[str, Any]:
    """The task's return value for a finished job: the result, or the summary of the files written.

    :param job: the finished job.
    :param settings: where to write the transcript (rendered); None returns the whole result.
    :param generation_id: the job's id.
    :param model: the model it ran on (None: read from the result's shape).
    :param default_name: the file name when the settings give none.
    :param outlets: the task's outlets, which get asset events.
    :param context: the task's context (for asset events).
    :param log: the task's logger.
    :param charge: what the job cost, if known (goes into the summary and the json).
    :param client_request_id: the ``X-Client-Request-Id`` it was submitted with, if known.
    """
    result = completed_result(job, generation_id)
    from airflow_provider_aimlstt.outputs.writer import transcript_summary, write_transcript_files
    from airflow_provider_aimlstt.transcripts import to_transcript

    transcript = to_transcript(result, model=model, generation_id=generation_id).model_copy(
        update={"cost": charge, "client_request_id": client_request_id}
    )
    if settings is None:
        log.info(result_line(transcript))
        return result
    paths = write_transcript_files(
        transcript,
        settings.output_path,
        settings.name_or(default_name),
        settings.formats,
        output_conn_id=settings.output_conn_id,
    )
    log.info("%s; wrote %s", result_line(transcript), ", ".join(paths.values()))
    summary = transcript_summary(transcript, paths)
    if outlets:
        _announce(context, outlets, folder_uri(settings), summary)
    return summary


def result_line(transcript: Any) -> str:
    """One line for the task log: what the job gave and what it cost.

    :param transcript: the job's transcript (a :class:`~airflow_provider_aimlstt.transcripts.Transcript`).
    """
    duration = transcript.duration_seconds
    audio = f"{duration:.1f} s of audio" if duration is not None else "audio of unknown length"
    cost = transcript.cost.describe() if transcript.cost is not None else "not reported"
    model = transcript.model or transcript.family.value
    return (
        f"Transcribed generation_id={transcript.generation_id} ({model}): "
        f"{audio}, {transcript.word_count} words, cost {cost}"
    )


def folder_uri(settings: OutputSettings) -> str:
    """The output folder as a plain URI (no connection id): local paths become ``file://`` URIs.

    :param settings: the rendered output settings.
    """
    from airflow_provider_aimlstt.outputs.storage import resolve_folder, uri_of

    return uri_of(resolve_folder(settings.output_path, settings.output_conn_id)).rstrip("/")


def _announce(context: Any, outlets: Sequence[Any], folder: str, summary: dict[str, Any]) -> None:
    from airflow.providers.common.compat.sdk import Asset, AssetAlias

    events = context.get("outlet_events") if hasattr(context, "get") else None
    if events is None:
        return
    extra = {"generation_id": summary.get("generation_id"), "paths": summary.get("paths")}
    for outlet in outlets:
        if isinstance(outlet, AssetAlias):
            events[outlet].add(Asset(uri=folder), extra=extra if AIRFLOW_V_3_0_PLUS else _hashable(extra))
        elif isinstance(outlet, Asset):
            events[outlet].extra.update(extra)


def _hashable(extra: dict[str, Any]) -> dict[str, Any]:
    """An alias event's ``extra`` as Airflow 2 needs it (its values hashable): ``paths`` as sorted
    ``(format, URI)`` pairs, stored as a list of pairs (``dict()`` of it gives the mapping back)."""
    return {
        key: tuple(sorted(value.items())) if isinstance(value, dict) else value
        for key, value in extra.items()
    }
