"""What a batch transcribed, for the tasks downstream of it: one typed row per recording.

A batch task (:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator`)
returns counts and its manifest's URI, never transcripts. Give that return value (or the
manifest's URI) to :func:`read_batch` to get its files, in input order::

    from airflow_provider_aimlstt.batch.results import FileStatus, read_batch


    @task
    def load(batch: dict) -> None:
        for row in read_batch(batch):
            if row.status is FileStatus.TRANSCRIBED:
                transcript = row.transcript()  # the json transcript, read from the store
                print(row.name, row.audio_seconds, row.words, row.cost_usd, transcript.text)

A mapped batch's list of return values goes to :func:`read_batches`. A transcript written
anywhere by the provider (its ``json`` format) is read by :func:`read_transcript`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.storage import conn_id_of, filesystem_of, resolve_folder, with_conn_id

if TYPE_CHECKING:
    from airflow_provider_aimlstt.transcripts import Transcript

__all__ = ["FileResult", "FileStatus", "read_batch", "read_batches", "read_transcript"]


class FileResult(BaseModel):
    """One recording of a batch, as its task left it.

    :param source: the audio's URI (or path) as the batch was given it.
    :param name: its transcripts' file name, without suffix.
    :param status: ``transcribed``, ``skipped`` (already transcribed, or its name is taken by
        another file of the batch) or ``failed``; ``pending``, ``submitting`` or ``submitted``
        while its batch task has not finished.
    :param generation_id: its job's id, once the API accepted it.
    :param audio_seconds: the audio's length, once known.
    :param words: words in its transcript.
    :param cost_usd: what its job cost, when the API said.
    :param credits: the same in credits.
    :param paths: ``{format: URI}`` of the files written, each with the store's connection id in
        the URI's user part (``s3://aws_lake@bucket/key``), so ``ObjectStoragePath(uri)`` opens it
        in any task. Empty unless ``transcribed``.
    :param error: why it failed, or why it was skipped.
    """

    model_config = ConfigDict(frozen=True)

    source: str
    name: str
    status: FileStatus
    generation_id: str | None = None
    audio_seconds: float | None = None
    words: int | None = None
    cost_usd: float | None = None
    credits: int | None = None
    paths: dict[str, str] = {}
    error: str | None = None

    def transcript(self) -> Transcript:
        """The file's transcript, read from its ``json`` file.

        :raises LookupError: when the batch wrote no ``json`` for it (a file not transcribed,
            or a batch whose ``formats`` left ``json`` out).
        """
        uri = self.paths.get("json")
        if uri is None:
            written = ", ".join(self.paths) or "none"
            raise LookupError(
                f"{self.source}: no json transcript (status {self.status.value}, formats written: "
                f"{written}); a batch writes it when its formats include json"
            )
        return read_transcript(uri)


def read_batch(batch: Mapping[str, Any] | str, output_conn_id: str | None = None) -> list[FileResult]:
    """The files of one batch task, in its input order.

    :param batch: the batch task's return value (its ``manifest`` is read), or the manifest's URI.
    :param output_conn_id: the Airflow connection of the store, when the URI names none (the
        URI a batch returns names its own).
    :raises AimlSttValidationError: ``batch: ...`` when it is neither.
    :raises FileNotFoundError: when there is no manifest there (the batch task failed before
        it planned its files, or the URI is wrong).
    """
    return _read(_location("batch", batch), output_conn_id)


def read_batches(
    batches: Iterable[Mapping[str, Any] | str], output_conn_id: str | None = None
) -> list[FileResult]:
    """The files of several batch tasks (a mapped batch's return values), batch after batch.

    A mapped task instance that failed has no return value: leave it out knowingly
    (``[batch for batch in batches if batch]``); its files are in its manifest still.

    :param batches: each batch task's return value, or its manifest's URI.
    :param output_conn_id: the Airflow connection of the store, when the URIs name none.
    :raises AimlSttValidationError: ``batches[<index>]: ...`` naming the first that is neither.
    :raises FileNotFoundError: when a manifest is missing.
    """
    if isinstance(batches, (str, Mapping)):
        raise AimlSttValidationError(
            "batches: must be a list of batch return values or manifest URIs; for one, use read_batch"
        )
    locations = [_location(f"batches[{index}]", batch) for index, batch in enumerate(batches)]
    return [row for location in locations for row in _read(location, output_conn_id)]


def read_transcript(uri: str, output_conn_id: str | None = None) -> Transcript:
    """A transcript the provider wrote in its ``json`` format, as a
    :class:`~airflow_provider_aimlstt.transcripts.Transcript`.

    :param uri: the file's URI (``s3://aws_lake@bucket/key.json``, ``file:///d/a.json``) or path.
    :param output_conn_id: the Airflow connection of the store, when the URI names none.
    :raises AimlSttValidationError: ``uri: ...`` when it is not a URI or path.
    """
    from airflow_provider_aimlstt.transcripts import Transcript

    if not isinstance(uri, str) or not uri.strip():
        raise AimlSttValidationError(f"uri: must be a json transcript's URI or path, got {uri!r}")
    path = resolve_folder(uri, output_conn_id)
    return Transcript.model_validate_json(filesystem_of(path).cat_file(path.path))


def _location(field: str, batch: object) -> str:
    """The manifest URI in a batch's return value, or the URI given.

    :param field: the argument, for the message.
    :param batch: what was given.
    :raises AimlSttValidationError: naming ``field``.
    """
    location = batch.get("manifest") if isinstance(batch, Mapping) else batch
    if isinstance(location, str) and location.strip():
        return location
    what = "a dict without a 'manifest'" if isinstance(batch, Mapping) else repr(batch)[:80]
    raise AimlSttValidationError(
        f"{field}: must be a batch task's return value (its 'manifest' names the manifest) or a "
        f"manifest's URI, got {what}"
    )


def _read(location: str, output_conn_id: str | None) -> list[FileResult]:
    """The rows of the manifest at ``location``, its store's connection id in their paths.

    :param location: the manifest's URI.
    :param output_conn_id: the Airflow connection of the store.
    """
    path = resolve_folder(location, output_conn_id)
    if not filesystem_of(path).exists(path.path):
        raise FileNotFoundError(f"No batch manifest at {location}")
    public = set(FileResult.model_fields)
    return [
        FileResult.model_validate(
            {
                **row.model_dump(include=public),
                "paths": {fmt: _with_conn_id(uri, conn_id_of(path)) for fmt, uri in row.paths.items()},
            }
        )
        for row in Manifest.load(location, output_conn_id)
    ]


def _with_conn_id(uri: str, conn_id: str | None) -> str:
    """``uri`` with ``conn_id`` in its user part, unless it names a connection already."""
    authority = uri.partition("://")[2].partition("/")[0]
    return uri if "@" in authority else with_conn_id(uri, conn_id)
