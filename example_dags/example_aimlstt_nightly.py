"""Nightly ingestion at scale: every new audio file of a folder, transcribed in batches, in four formats.

Both folders are object storage paths (``file://`` by default; ``s3://``, ``gs://`` and any store
with an Airflow filesystem work the same). ``list_new_audio`` lists the input folder once and the
output folder once (each with its sub-folders), keeps the audio files (``*.wav``, ``*.mp3``,
``*.m4a``, ``*.flac``, ``*.ogg``) that are new or changed since their transcripts were written,
and writes them as lists of ``chunk_size`` files under ``<output_dir>/_chunks/<run id>/``. One
``AimlSttBatchTranscribeOperator`` task per chunk (mapped over the lists' paths, so XCom carries
paths, not 100,000 names) keeps up to ``max_in_flight`` jobs in flight, waits for them in one
trigger, and writes ``<name>.txt``, ``.srt``, ``.vtt`` and ``.json``, where the name is the file's
path in the input folder without its suffix (``agent1/call``), then a receipt of the audio it was
made from (``_receipts/``: a re-recorded file is transcribed again). 100,000 files at
500 a chunk are 200 tasks, well inside Airflow's limits, spread over workers and triggerers.

Each batch task keeps a manifest, ``<output_dir>/_manifests/<dag>__<run>__transcribe__<n>.jsonl``,
one row per file: its job, status, audio seconds, words, cost, paths, or why it failed. A retry
or a re-run of the task reads it and never submits a file twice. A failed file holds up no
other; ``summarize`` reads every chunk's manifest, prints the failed files with their causes and
the totals (files, audio seconds, cost), and fails the run when any file failed, when a batch
task failed before it wrote its manifest, or when the listing failed. A run that transcribed
anything updates the asset ``aimlstt_nightly_transcripts`` once, its ``extra`` naming the
manifests; ``example_aimlstt_downstream`` is scheduled on it.

Params: ``input_dir`` (``$AIMLSTT_INPUT_DIR``, else the ``audio`` folder next to this file),
``output_dir`` (``$AIMLSTT_OUTPUT_DIR``, else ``$AIRFLOW_HOME/transcripts``), ``model``,
``chunk_size`` (500), ``max_in_flight`` (jobs in flight per batch task, 32) and
``max_failed_files`` (per batch task, 0). Read when the DAG is parsed:
``$AIMLSTT_NIGHTLY_SCHEDULE`` (default ``0 2 * * *``; empty for manual runs only) and
``$AIMLSTT_RETRY_DELAY_SECONDS`` (default 30).
Needs a connection ``aimlstt_default`` of type ``aimlstt``. For one task per file, see
``example_aimlstt_per_file``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Asset, Param, dag, task

from airflow_provider_aimlstt.models.families import KNOWN_MODELS
from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

# Logged, not printed: Airflow stamps a printed line when the task's output reaches the supervisor,
# so lines printed last land after the "Post Execute" marker, folded away in the UI's log view.
_log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg")
FORMATS = ("txt", "srt", "vtt", "json")
DEFAULT_INPUT_DIR = (
    os.environ.get("AIMLSTT_INPUT_DIR") or (Path(__file__).parent / "audio").resolve().as_uri()
)
DEFAULT_OUTPUT_DIR = (
    os.environ.get("AIMLSTT_OUTPUT_DIR")
    or (Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "transcripts").resolve().as_uri()
)
SCHEDULE = os.environ.get("AIMLSTT_NIGHTLY_SCHEDULE", "0 2 * * *") or None  # 02:00 UTC; "" for none
RETRY_DELAY_SECONDS = float(os.environ.get("AIMLSTT_RETRY_DELAY_SECONDS") or 30)
TRANSCRIPTS = Asset(name="aimlstt_nightly_transcripts", uri="aimlstt://nightly/transcripts")
LISTING_TASK_ID = "list_new_audio"
BATCH_TASK_ID = "transcribe"
TABLE_ROWS = 200
"""Up to this many files, the summary prints every file; beyond, the failed ones and the totals."""


def as_uri(location: str) -> str:
    """A folder given as a URI or a plain local path, as a URI.

    :param location: ``s3://bucket/prefix``, ``file:///data/audio`` or ``/data/audio``.
    """
    return location if "://" in location else Path(location).resolve().as_uri()


@dag(
    dag_id="example_aimlstt_nightly",
    description="Every new audio file of a folder, transcribed in batches, in four formats",
    doc_md=__doc__,
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374) or a lost worker; a
    # retried batch task adopts its manifest's jobs (see the README's Reliability section).
    default_args={"retries": 2, "retry_delay": timedelta(seconds=RETRY_DELAY_SECONDS)},
    tags=["aimlstt", "example"],
    params={
        "input_dir": Param(
            DEFAULT_INPUT_DIR,
            type="string",
            title="Input folder",
            description="Folder (URI or path) of audio files.",
        ),
        "output_dir": Param(
            DEFAULT_OUTPUT_DIR,
            type="string",
            title="Output folder",
            description="Folder (URI or path) for transcripts.",
        ),
        "model": Param(
            "#g1_nova-2-general",
            type="string",
            enum=sorted(KNOWN_MODELS),
            title="Model",
            description="Speech-to-text model id.",
        ),
        "chunk_size": Param(
            500, type="integer", minimum=1, title="Chunk size", description="Files per batch task."
        ),
        "max_in_flight": Param(
            32,
            type="integer",
            minimum=1,
            title="Jobs in flight",
            description="Jobs in flight per batch task.",
        ),
        "max_failed_files": Param(
            0,
            type="integer",
            minimum=0,
            title="Failed files tolerated",
            description="Failed files a batch task tolerates.",
        ),
    },
)
def example_aimlstt_nightly() -> None:
    @task(task_id=LISTING_TASK_ID)
    def list_new_audio(
        input_dir: str, output_dir: str, chunk_size: int, run_id: str | None = None
    ) -> list[str]:
        """Write the new and changed audio files as lists of ``chunk_size``; return the lists' URIs.

        :param input_dir: the folder to read audio files from (and its sub-folders).
        :param output_dir: the folder transcripts are written to (sub-folders mirrored).
        :param chunk_size: files per list (per batch task).
        """
        from airflow_provider_aimlstt.batch.inputs import list_audio, write_audio_lists
        from airflow_provider_aimlstt.batch.manifest import safe_name
        from airflow_provider_aimlstt.batch.receipts import written_transcripts

        files = list_audio(as_uri(input_dir), AUDIO_SUFFIXES)  # named once, for the whole folder
        written = written_transcripts(as_uri(output_dir), FORMATS)
        new = [file for file in files if not written.unchanged(file.name, file.fingerprint)]
        _log.info(f"{len(new)} new or changed of {len(files)} audio file(s) in {input_dir}")
        chunks_folder = f"{as_uri(output_dir).rstrip('/')}/_chunks/{safe_name(str(run_id))}"
        return write_audio_lists(new, int(chunk_size), chunks_folder)

    @task(trigger_rule="all_done")
    def summarize(
        chunks: list[str] | None, batches: Any, output_dir: str, dag_run: Any = None
    ) -> dict[str, Any]:
        """Read every chunk's manifest; print failures and totals; fail when any file was not transcribed.

        :param chunks: the lists ``list_new_audio`` wrote; None when it did not succeed.
        :param batches: what the batch tasks returned (it makes this task wait for all of them).
        :param output_dir: the transcripts' folder (where the manifests are).
        """
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_aimlstt.batch.manifest import manifest_location
        from airflow_provider_aimlstt.batch.results import FileStatus, read_batch

        if chunks is None:
            raise AirflowFailException(
                f"{LISTING_TASK_ID} did not succeed, so nothing was transcribed: see its log"
            )
        rows, problems = [], []
        for index, chunk in enumerate(chunks):
            location = manifest_location(
                as_uri(output_dir), None, dag_run.dag_id, dag_run.run_id, BATCH_TASK_ID, index
            )
            try:
                rows += read_batch(location)
            except FileNotFoundError:
                problems.append(f"batch {index} ({chunk}) failed before it wrote its manifest: see its log")
        failed = [row for row in rows if row.status is FileStatus.FAILED]
        unfinished = [row for row in rows if not row.status.is_final]
        for row in rows if len(rows) <= TABLE_ROWS else failed + unfinished:
            _log.info(_line(row))
        done = [row for row in rows if row.status is FileStatus.TRANSCRIBED]
        totals = {
            "files": len(rows),
            "transcribed": len(done),
            "skipped": sum(row.status is FileStatus.SKIPPED for row in rows),
            "failed": len(failed),
            "unfinished": len(unfinished),
            "audio_seconds": round(sum(row.audio_seconds or 0.0 for row in done), 1),
            "cost_usd": round(sum(row.cost_usd or 0.0 for row in done), 6),
        }
        _log.info(f"total: {totals}")
        if failed or unfinished or problems:
            named = [f"{row.source}: {row.error or row.status.value}" for row in (failed + unfinished)[:20]]
            raise AirflowFailException(f"Not every file was transcribed: {problems + named}")
        return totals

    chunks = list_new_audio(
        input_dir="{{ params.input_dir }}",
        output_dir="{{ params.output_dir }}",
        chunk_size="{{ params.chunk_size }}",
    )
    batches = AimlSttBatchTranscribeOperator.partial(
        task_id=BATCH_TASK_ID,
        model="{{ params.model }}",
        output_path="{{ params.output_dir }}",
        formats=FORMATS,
        max_in_flight="{{ params.max_in_flight }}",
        max_failed_files="{{ params.max_failed_files }}",
        deferrable=True,  # wait in the triggerer; False waits on the worker
    ).expand(audio_list_path=chunks)
    announce_transcripts(batches.output)
    summarize(chunks, batches.output, output_dir="{{ params.output_dir }}")


@task(trigger_rule="all_done", outlets=[TRANSCRIPTS])
def announce_transcripts(batches: list[dict[str, Any]], outlet_events: Any = None) -> int:
    """Update the transcripts asset once for the run, naming each batch's manifest; skip if nothing new.

    :param batches: what each batch task returned (failed tasks have nothing).
    """
    from airflow.sdk.exceptions import AirflowSkipException

    done = [batch for batch in batches or [] if batch and batch.get("transcribed")]
    if not done:
        raise AirflowSkipException("No new transcripts")
    outlet_events[TRANSCRIPTS].extra = {"manifests": [batch["manifest"] for batch in done]}
    return sum(int(batch["transcribed"]) for batch in done)


def _line(row: Any) -> str:
    duration = "-" if row.audio_seconds is None else f"{row.audio_seconds:.1f} s"
    cost = "-" if row.cost_usd is None else f"${row.cost_usd:.6f}"
    detail = f": {row.error}" if row.error and row.status.value != "transcribed" else ""
    words = "-" if row.words is None else str(row.words)
    return f"{Path(row.source).name}  {duration}  {words} words  {cost}  {row.status.value}{detail}"


example_aimlstt_nightly()
