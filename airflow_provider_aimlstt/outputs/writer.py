"""Write a transcript's files to a folder of any store Airflow reaches: file://, s3://, gs://, memory://.

Usage::

    paths = write_transcript_files(transcript, "s3://lake/stt/2024-06-01", "call-42", ["srt", "json"])
    summary = transcript_summary(transcript, paths)  # the XCom value: ids, counts, URIs; never the text

Each format goes to ``<output_path>/<output_name><suffix>``, UTF-8 with ``\\n`` line endings, so that a failed
or repeated run never leaves half a file under a final name:

- Every format is rendered in memory before anything is written, so a format that cannot be
  rendered (subtitles of a transcript without word timings) raises and writes nothing.
- A file's bytes reach the store in one ``pipe_file`` call.
- Local folders (``file://`` URIs and plain paths; created when missing): the bytes go to a hidden
  sibling ``.<output_name><suffix>.<random>.tmp``, then ``os.replace`` renames it onto the final name,
  atomically on one filesystem. fsspec's local ``mv`` is not used: it is ``shutil.move``, which
  falls back to copy and delete when a rename fails (on Windows, whenever the target exists).
- Object stores (S3, GCS, Azure Blob: ``storage.WHOLE_OBJECT_PROTOCOLS``) and ``memory://``:
  written directly. An object appears whole or not at all (one PUT, or a multipart upload that only
  shows once completed; a failed upload leaves the previous version), and these stores have no
  rename: a "move" is a server-side copy plus a delete, twice the requests and cost for no gain.
  ``memory://`` stores the complete bytes in one assignment; its ``mv`` is a copy and delete too.
- Other stores (sftp, ftp, hdfs, smb, ...) may show a file while it is being written: temporary
  sibling, then the store's own ``mv``.
- On any failure the temporary is removed and the error raised again. Formats written before the
  failure stay, complete; the next run overwrites them.

``json`` is written last (without it, the last format asked for is): the marker that a name is
done, for DAGs that skip finished files with :func:`transcripts_exist` or by looking for the
``.json`` alone. An interrupted run leaves no marker, so it is redone.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from airflow_provider_aimlstt.outputs.storage import LOCAL_PROTOCOLS, filesystem_of, put_file, resolve_folder
from airflow_provider_aimlstt.transcripts import SUFFIXES, Transcript, render

OutputPath = str | os.PathLike[str] | ObjectStoragePath


def write_transcript_files(
    transcript: Transcript,
    output_path: OutputPath,
    output_name: str,
    formats: Any,
    *,
    output_conn_id: str | None = None,
) -> dict[str, str]:
    """Render the transcript in each format and write ``<output_path>/<output_name><suffix>``, json last.

    :param transcript: the transcript to write.
    :param output_path: the folder: an ``ObjectStoragePath``, a URI (``s3://bucket/prefix``,
        ``file:///abs/dir``, ``memory://x``) or a local path (``str`` or ``os.PathLike``).
    :param output_name: the file name without suffix (no ``/``).
    :param formats: formats of :data:`~airflow_provider_aimlstt.transcripts.FORMATS`, each once.
    :param output_conn_id: the Airflow connection of a remote store (ignored for local and memory folders).
    :return: ``{format: URI of the file}``, in the order asked, for example ``{"srt": "file:///d/a.srt"}``.
    :raises AimlSttValidationError: bad ``formats``, ``output_name`` or ``output_path`` (nothing written).
    :raises AimlSttRenderError: a format cannot be rendered (nothing written).
    """
    settings, folder, fs = _prepare(output_path, output_name, formats, output_conn_id)
    names = settings.formats
    contents = {name: render(transcript, name).encode("utf-8") for name in names}
    if folder.protocol in LOCAL_PROTOCOLS:
        fs.makedirs(folder.path, exist_ok=True)
    written = {
        name: put_file(fs, folder, f"{output_name}{SUFFIXES[name]}", contents[name])
        for name in _write_order(names)
    }
    return {name: written[name] for name in names}


def transcripts_exist(
    output_path: OutputPath,
    output_name: str,
    formats: Any,
    *,
    output_conn_id: str | None = None,
) -> bool:
    """True when every asked format of the name is already written (to skip finished files on re-runs).

    :param output_path: the folder, as for :func:`write_transcript_files`.
    :param output_name: the file name without suffix.
    :param formats: the formats that must all be there.
    :param output_conn_id: the Airflow connection of a remote store.
    :raises AimlSttValidationError: bad ``formats``, ``output_name`` or ``output_path``.
    """
    settings, folder, fs = _prepare(output_path, output_name, formats, output_conn_id)
    # The marker first: when a run did not finish, one look answers.
    return all(
        fs.isfile((folder / f"{output_name}{SUFFIXES[name]}").path)
        for name in _write_order(settings.formats)[::-1]
    )


def transcript_summary(transcript: Transcript, paths: dict[str, str]) -> dict[str, Any]:
    """The small, JSON-serializable XCom value of a task that wrote files: never the text or words.

    :param transcript: the transcript written.
    :param paths: what :func:`write_transcript_files` returned.
    """
    return {
        "generation_id": transcript.generation_id,
        "model": transcript.model,
        "family": transcript.family.value,
        "language": transcript.language,
        "duration_seconds": transcript.duration_seconds,
        "word_count": transcript.word_count,
        "has_word_timings": transcript.has_word_timings,
        "speaker_count": len(transcript.speakers) or None,  # None: the result has no speaker labels
        "channel_count": len(transcript.channels) or 1,  # ``channels`` is empty for a single channel
        "cost_usd": float(transcript.cost.usd) if transcript.cost is not None else None,
        "credits_used": transcript.cost.credits if transcript.cost is not None else None,
        "client_request_id": transcript.client_request_id,
        "paths": {str(name): str(uri) for name, uri in paths.items()},
    }


def _prepare(
    output_path: object, output_name: str, formats: object, output_conn_id: str | None
) -> tuple[OutputSettings, ObjectStoragePath, Any]:
    settings = OutputSettings(output_path, formats, output_name, output_conn_id)  # type: ignore[arg-type]
    settings.name_or(output_name)
    folder = resolve_folder(output_path, output_conn_id)
    fs = filesystem_of(folder)
    if folder.protocol in LOCAL_PROTOCOLS and os.path.isfile(folder.path):
        raise AimlSttValidationError(f"output_path: {folder.path} is a file, not a folder")
    return settings, folder, fs


def _write_order(names: tuple[str, ...]) -> list[str]:
    return sorted(names, key=lambda name: name == "json")
