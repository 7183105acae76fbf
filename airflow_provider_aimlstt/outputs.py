"""Write a transcript's files to a folder of any store Airflow reaches: file://, s3://, gs://, memory://.

Usage::

    paths = write_transcript_files(transcript, "s3://lake/stt/2024-06-01", "call-42", ["srt", "json"])
    summary = transcript_summary(transcript, paths)  # the XCom value: ids, counts, URIs; never the text

Each format goes to ``<folder>/<stem><suffix>``, UTF-8 with ``\\n`` line endings, so that a failed
or repeated run never leaves half a file under a final name:

- Every format is rendered in memory before anything is written, so a format that cannot be
  rendered (subtitles of a transcript without word timings) raises and writes nothing.
- A file's bytes reach the store in one ``pipe_file`` call.
- Local folders (``file://`` URIs and plain paths; created when missing): the bytes go to a hidden
  sibling ``.<stem><suffix>.<random>.tmp``, then ``os.replace`` renames it onto the final name,
  atomically on one filesystem. fsspec's local ``mv`` is not used: it is ``shutil.move``, which
  falls back to copy and delete when a rename fails (on Windows, whenever the target exists).
- Object stores (S3, GCS, Azure Blob: ``output_storage.WHOLE_OBJECT_PROTOCOLS``) and ``memory://``:
  written directly. An object appears whole or not at all (one PUT, or a multipart upload that only
  shows once completed; a failed upload leaves the previous version), and these stores have no
  rename: a "move" is a server-side copy plus a delete, twice the requests and cost for no gain.
  ``memory://`` stores the complete bytes in one assignment; its ``mv`` is a copy and delete too.
- Other stores (sftp, ftp, hdfs, smb, ...) may show a file while it is being written: temporary
  sibling, then the store's own ``mv``.
- On any failure the temporary is removed and the error raised again. Formats written before the
  failure stay, complete; the next run overwrites them.

``json`` is written last (without it, the last format asked for is): the marker that a stem is
done, for DAGs that skip finished files with :func:`transcripts_exist` or by looking for the
``.json`` alone. An interrupted run leaves no marker, so it is redone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from airflow.sdk import ObjectStoragePath

from airflow_provider_aimlstt.exceptions import AimlSttRenderError, AimlSttValidationError
from airflow_provider_aimlstt.output_storage import LOCAL_PROTOCOLS, filesystem_of, put_file, resolve_folder
from airflow_provider_aimlstt.transcripts import FORMATS, SUFFIXES, Transcript, render
from airflow_provider_aimlstt.transcripts.render import check_format


def write_transcript_files(
    transcript: Transcript,
    directory: str | os.PathLike[str] | ObjectStoragePath,
    stem: str,
    formats: Sequence[str],
    *,
    conn_id: str | None = None,
) -> dict[str, str]:
    """Render the transcript in each format and write ``<directory>/<stem><suffix>``, json last.

    :param transcript: the transcript to write.
    :param directory: the folder: an ``ObjectStoragePath``, a URI (``s3://bucket/prefix``,
        ``file:///abs/dir``, ``memory://x``) or a local path (``str`` or ``os.PathLike``).
    :param stem: the file name without suffix (no ``/``).
    :param formats: formats of :data:`~airflow_provider_aimlstt.transcripts.FORMATS`, each once.
    :param conn_id: the Airflow connection of a remote store (ignored for local and memory folders).
    :return: ``{format: URI of the file}``, in the order asked, for example ``{"srt": "file:///d/a.srt"}``.
    :raises AimlSttValidationError: bad ``formats``, ``stem`` or ``output_path`` (nothing written).
    :raises AimlSttRenderError: a format cannot be rendered (nothing written).
    """
    names, folder, fs = _prepare(directory, stem, formats, conn_id)
    contents = {name: render(transcript, name).encode("utf-8") for name in names}
    if folder.protocol in LOCAL_PROTOCOLS:
        fs.makedirs(folder.path, exist_ok=True)
    written = {
        name: put_file(fs, folder, f"{stem}{SUFFIXES[name]}", contents[name]) for name in _write_order(names)
    }
    return {name: written[name] for name in names}


def transcripts_exist(
    directory: str | os.PathLike[str] | ObjectStoragePath,
    stem: str,
    formats: Sequence[str],
    *,
    conn_id: str | None = None,
) -> bool:
    """True when every asked format of the stem is already written (to skip finished files on re-runs).

    :param directory: the folder, as for :func:`write_transcript_files`.
    :param stem: the file name without suffix.
    :param formats: the formats that must all be there.
    :param conn_id: the Airflow connection of a remote store.
    :raises AimlSttValidationError: bad ``formats``, ``stem`` or ``output_path``.
    """
    names, folder, fs = _prepare(directory, stem, formats, conn_id)
    # The marker first: when a run did not finish, one look answers.
    return all(fs.isfile((folder / f"{stem}{SUFFIXES[name]}").path) for name in _write_order(names)[::-1])


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
        "speaker_count": len(transcript.speakers),
        "channel_count": len(transcript.channels),
        "paths": {str(name): str(uri) for name, uri in paths.items()},
    }


def _prepare(
    directory: object, stem: object, formats: object, conn_id: str | None
) -> tuple[list[str], ObjectStoragePath, Any]:
    names = check_formats(formats)
    if not isinstance(stem, str) or not stem.strip() or stem in {".", ".."}:
        raise AimlSttValidationError(f"stem: must be a non-empty file name, got {stem!r}")
    if any(char in stem for char in "/\\\x00"):
        raise AimlSttValidationError(
            f"stem: must be a file name without '/' (nor backslash, NUL), got {stem!r}"
        )
    folder = resolve_folder(directory, conn_id)
    fs = filesystem_of(folder)
    if folder.protocol in LOCAL_PROTOCOLS and os.path.isfile(folder.path):
        raise AimlSttValidationError(f"output_path: {folder.path} is a file, not a folder")
    return names, folder, fs


def check_formats(formats: object) -> list[str]:
    """The formats' normalised names, or an error naming ``formats`` (used when a task is created).

    :param formats: a list such as ``["json", "srt"]``.
    """
    if isinstance(formats, (str, bytes)) or not isinstance(formats, Sequence) or not formats:
        raise AimlSttValidationError(
            f"formats: must be a non-empty list of {', '.join(FORMATS)} such as ['json'], got {formats!r}"
        )
    names: list[str] = []
    for fmt in formats:
        try:
            name = check_format(fmt)
        except AimlSttRenderError:
            raise AimlSttValidationError(
                f"formats: unknown format {fmt!r}; known: {', '.join(FORMATS)}"
            ) from None
        if name in names:
            raise AimlSttValidationError(
                f"formats: {name!r} is asked for more than once in {list(formats)!r}"
            )
        names.append(name)
    return names


def _write_order(names: list[str]) -> list[str]:
    return sorted(names, key=lambda name: name == "json")
