"""What a finished job becomes in the task: its result, or transcript files plus a small summary.

Shared by :class:`~airflow_provider_aimlstt.sensors.aimlstt.AimlSttSensor` and
:class:`~airflow_provider_aimlstt.operators.transcribe.AimlSttTranscribeOperator`. Without an
``output_path`` the task returns the API's ``result`` object. With one, it writes the transcript
in the asked formats and returns only a summary (generation id, paths, duration, word count,
language). The task's asset outlets say what was written, so downstream DAGs can be scheduled on
new transcripts: an ``Asset`` outlet's event gets the generation id and the paths in its
``extra``; an ``AssetAlias`` outlet gets an event for the output folder's URI, with the same
``extra``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_aimlstt.exceptions import (
    AimlSttResponseError,
    AimlSttTranscriptionFailedError,
    AimlSttValidationError,
)
from airflow_provider_aimlstt.models.responses import FetchResponse

DEFAULT_FORMATS: tuple[str, ...] = ("json", "txt")


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


def check_output_settings(output_path: Any, formats: Sequence[str] | None, output_name: str | None) -> None:
    """Refuse output settings that cannot work, when the task is created.

    :param output_path: where transcripts go, or None for none.
    :param formats: the formats to write.
    :param output_name: the file name without suffix, or None for the default.
    """
    if output_path is None:
        return
    from airflow_provider_aimlstt.outputs import check_formats

    if isinstance(output_path, str) and not output_path.strip():
        raise AimlSttValidationError("output_path: must not be empty")
    check_formats(formats)
    if output_name is not None and "/" in output_name:
        raise AimlSttValidationError(f"output_name: must be a file name without '/', got {output_name!r}")


def deliver(
    task: Any,
    job: FetchResponse,
    *,
    generation_id: str,
    model: str | None,
    output_name: str,
    context: Any,
) -> dict[str, Any]:
    """The task's return value for a finished job; written files go to ``task.lineage_outputs``.

    The task's ``output_path``, ``formats``, ``output_conn_id``, ``outlets`` and ``log`` say what
    to do: without an ``output_path`` the whole result is returned instead of writing files.

    :param task: the sensor or operator delivering the result.
    :param job: the finished job.
    :param generation_id: its id.
    :param model: the model it ran on (read from the result when None).
    :param output_name: the file name without suffix.
    :param context: the task's context (for asset events).
    """
    result = completed_result(job, generation_id)
    if task.output_path is None:
        return result
    from airflow_provider_aimlstt.outputs import transcript_summary, write_transcript_files
    from airflow_provider_aimlstt.transcripts import to_transcript

    transcript = to_transcript(result, model=model, generation_id=generation_id)
    paths = write_transcript_files(
        transcript, task.output_path, output_name, task.formats, conn_id=task.output_conn_id
    )
    task.log.info("Wrote %s for generation_id=%s", ", ".join(paths.values()), generation_id)
    task.lineage_outputs = list(paths.values())
    summary = transcript_summary(transcript, paths)
    if task.outlets:
        _announce(context, task.outlets, folder_uri(task.output_path, task.output_conn_id), summary)
    return summary


def folder_uri(output_path: Any, conn_id: str | None = None) -> str:
    """The output folder as a plain URI (no connection id): local paths become ``file://`` URIs.

    :param output_path: a local path, a URI, or an ``ObjectStoragePath``.
    :param conn_id: the store's Airflow connection, if the path names none.
    """
    from airflow_provider_aimlstt.output_storage import resolve_folder, uri_of

    return uri_of(resolve_folder(output_path, conn_id)).rstrip("/")


def _announce(context: Any, outlets: Sequence[Any], folder: str, summary: dict[str, Any]) -> None:
    from airflow.sdk import Asset, AssetAlias

    events = context.get("outlet_events") if hasattr(context, "get") else None
    if events is None:
        return
    extra = {"generation_id": summary.get("generation_id"), "paths": summary.get("paths")}
    for outlet in outlets:
        if isinstance(outlet, AssetAlias):
            events[outlet].add(Asset(uri=folder), extra=extra)
        elif isinstance(outlet, Asset):
            events[outlet].extra.update(extra)
