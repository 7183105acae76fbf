"""The batch manifest: one JSON line per recording, kept on the output store as the batch goes.

It is the batch's memory across resumes, task retries and re-runs of the same DAG run: a file
whose row holds a generation id is never submitted again while that job is usable, and a row
written just before a create (``submitting``, with its client request id) lets a retry find the
job in the API's usage log even when the task died before it heard the answer.

The whole file is rewritten at each checkpoint, in one put (object stores have no append): it
appears whole or not at all, like the transcripts
(:func:`~airflow_provider_aimlstt.outputs.storage.put_file`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

from airflow_provider_aimlstt.outputs.storage import address_of, filesystem_of, put_file, resolve_folder


class FileStatus(str, Enum):
    """Where one recording stands in the batch."""

    PENDING = "pending"
    """Not submitted yet, or to be submitted again."""
    SUBMITTING = "submitting"
    """A create was about to be sent: its answer may never have been recorded."""
    SUBMITTED = "submitted"
    """The API accepted it: its job is in flight."""
    TRANSCRIBED = "transcribed"
    """Every format was written."""
    SKIPPED = "skipped"
    """Left alone: unchanged since its transcripts were written (any other file not transcribed
    has failed)."""
    FAILED = "failed"
    """Given up on; ``error`` says why."""

    @property
    def is_final(self) -> bool:
        """True when the batch has nothing more to do for the file."""
        return self in (FileStatus.TRANSCRIBED, FileStatus.SKIPPED, FileStatus.FAILED)


class ManifestRow(BaseModel):
    """One recording of the batch.

    :param source: the audio's URI (or path) as given.
    :param name: the transcripts' name without suffix, relative to the output folder (sub-folders
        kept: ``agent1/call``).
    :param fingerprint: what identified the audio's content when the batch listed it
        (:func:`~airflow_provider_aimlstt.batch.inputs.content_fingerprint`); None when unknown.
    :param status: where it stands.
    :param generation_id: the job's id, once the API accepted it.
    :param client_request_id: the ``X-Client-Request-Id`` of its latest create.
    :param attempts: creates sent for it.
    :param submitted_at: epoch seconds of the latest create: when it was sent, then when it was
        answered (the job's one-hour retention runs from it; its expected finish counts from it).
    :param finished_between: ``[after, by]``: seconds after ``submitted_at`` between which its job
        finished, as the trigger's polls proved it
        (:func:`~airflow_provider_aimlstt.polling.finish_bracket`).
    :param audio_seconds: the audio's length: read from the upload's head, then from the result.
    :param words: words in the transcript.
    :param cost_usd: what its job cost, when the API said.
    :param credits: the same in credits.
    :param paths: ``{format: URI}`` of its transcripts (with the store's connection id): those
        written, or for a skipped file those already there.
    :param error: why it failed (or was skipped).
    :param retryable: whether a later task try may submit a failed file again.
    """

    model_config = ConfigDict(extra="ignore")

    source: str
    name: str
    fingerprint: str | None = None
    status: FileStatus = FileStatus.PENDING
    generation_id: str | None = None
    client_request_id: str | None = None
    attempts: int = 0
    submitted_at: float | None = None
    finished_between: tuple[float, float] | None = None
    audio_seconds: float | None = None
    words: int | None = None
    cost_usd: float | None = None
    credits: int | None = None
    paths: dict[str, str] = {}
    error: str | None = None
    retryable: bool = False


class Manifest:
    """The rows of one batch task, in input order, and where they are kept.

    :param location: the manifest's URI (``.jsonl``).
    :param rows: the rows, keyed by source.
    :param output_conn_id: the Airflow connection of the store.
    """

    def __init__(self, location: str, rows: Iterable[ManifestRow] = (), output_conn_id: str | None = None):
        self.location = location
        self.output_conn_id = output_conn_id
        self.rows: dict[str, ManifestRow] = {row.source: row for row in rows}

    @classmethod
    def load(cls, location: str, output_conn_id: str | None = None) -> Manifest:
        """The manifest at ``location``, or an empty one when there is none yet.

        :param location: the manifest's URI.
        :param output_conn_id: the Airflow connection of the store.
        """
        path = _path(location, output_conn_id)
        fs = filesystem_of(path)
        if not fs.exists(path.path):
            return cls(location, output_conn_id=output_conn_id)
        text = fs.cat_file(path.path).decode("utf-8")
        rows = (ManifestRow.model_validate_json(line) for line in text.splitlines() if line.strip())
        return cls(location, rows, output_conn_id)

    def save(self) -> None:
        """Write every row, replacing the stored file whole."""
        path = _path(self.location, self.output_conn_id)
        folder = path.parent
        fs = filesystem_of(folder)
        if folder.protocol in ("file", "local"):
            fs.makedirs(folder.path, exist_ok=True)
        lines = "".join(row.model_dump_json(exclude_defaults=False) + "\n" for row in self.rows.values())
        put_file(fs, folder, path.name, lines.encode("utf-8"))

    def with_status(self, *statuses: FileStatus) -> list[ManifestRow]:
        """The rows in one of ``statuses``, in input order.

        :param statuses: the statuses wanted.
        """
        return [row for row in self.rows.values() if row.status in statuses]

    def typical_job_seconds(self, latest: int) -> float | None:
        """How long recent jobs took from create to finish (each the middle of what its polls
        proved): the lower quartile of the ``latest`` most recently finished; None before 4 jobs
        finished.

        :param latest: how many of the most recently finished jobs to look at.
        """
        timed = sorted(
            (row.submitted_at + (after + by) / 2, (after + by) / 2)
            for row in self.rows.values()
            if row.finished_between is not None and row.submitted_at is not None
            for after, by in [row.finished_between]
        )[-max(latest, 4) :]
        if len(timed) < 4:
            return None
        durations = sorted(duration for _, duration in timed)
        return round(durations[len(durations) // 4], 3)

    def by_generation_id(self) -> dict[str, ManifestRow]:
        """The rows that hold a job, by its generation id."""
        return {row.generation_id: row for row in self.rows.values() if row.generation_id}

    def counts(self) -> dict[str, Any]:
        """The batch's counts: the task's XCom value.

        ``submitted`` counts the files the API accepted a create of in this batch (those holding a
        job's generation id, but for skipped files, whose id is an earlier batch's job), never
        creates it refused or that found no API. ``audio_seconds`` and
        ``cost_usd`` are those of the transcribed files: ``cost_usd`` is 0.0 when none was
        transcribed, and None when the API did not report the cost of one of them (a sum of the
        others would pass for the whole).
        """
        tally = Counter(row.status.value for row in self.rows.values())
        done = self.with_status(FileStatus.TRANSCRIBED)
        costs = [row.cost_usd for row in done if row.cost_usd is not None]
        return {
            "files": len(self.rows),
            "submitted": sum(
                1 for row in self.rows.values() if row.generation_id and row.status is not FileStatus.SKIPPED
            ),
            "transcribed": tally[FileStatus.TRANSCRIBED.value],
            "skipped": tally[FileStatus.SKIPPED.value],
            "failed": tally[FileStatus.FAILED.value],
            "audio_seconds": round(sum((row.audio_seconds or 0.0 for row in done), 0.0), 3),
            "cost_usd": round(sum(costs, 0.0), 9) if len(costs) == len(done) else None,
            "manifest": self.location,
        }

    def __iter__(self) -> Iterator[ManifestRow]:
        return iter(self.rows.values())

    def __len__(self) -> int:
        return len(self.rows)


def _path(location: str, output_conn_id: str | None) -> Any:
    folder, _, name = location.rstrip("/").rpartition("/")
    resolved = resolve_folder(folder, output_conn_id)
    return resolved / name


def manifest_location(output_path: Any, output_conn_id: str | None, *parts: object) -> str:
    """Where a batch task keeps its manifest: ``<output_path>/_manifests/<parts...>.jsonl``.

    The parts (DAG id, run id, task id, map index) make it stable across the task's tries.

    :param output_path: the batch's output folder.
    :param output_conn_id: the Airflow connection of the store.
    :param parts: what names the task instance.
    """
    folder = resolve_folder(output_path, output_conn_id)
    safe = "__".join(safe_name(str(part)) for part in parts)
    return address_of(folder / "_manifests" / f"{safe}.jsonl")


def safe_name(text: str) -> str:
    """``text`` as a file name on any store: letters, digits and ``-_.=``; anything else ``_``.

    :param text: a run id, a task id, ...
    """
    return "".join(char if char.isalnum() or char in "-_.=" else "_" for char in text)
