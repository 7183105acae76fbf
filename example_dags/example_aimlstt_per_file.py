"""One task per file: transcribe every new audio file of a folder into another folder, in four formats.

For folders of up to a few hundred files, when one task per file is what you want to see in the UI.
Its limits: one mapped task per file stops at ``[core] max_map_length`` (1,024 by default), and
each file costs two task processes (about 1.6 s of Airflow CPU a file, measured). For thousands of
files a night use ``example_aimlstt_nightly``, which runs batches of files per task.

Both folders are object storage paths (``file://`` by default; ``s3://``, ``gs://`` and any store
with an Airflow filesystem work the same). For each audio file directly in the input folder
(``*.wav``, ``*.mp3``, ``*.m4a``, ``*.flac``, ``*.ogg``) without a finished transcript, one mapped
``AimlSttTranscribeOperator`` task submits it, waits in the triggerer and writes
``<stem>.txt``, ``.srt``, ``.vtt`` and ``.json`` (the json last: it marks the file as done).
Files already transcribed are skipped, so a re-run does only what is left.

One failed file holds up no other. It leaves ``<stem>.error.txt`` with its cause (removed once it
succeeds), and the summary lists every file with its outcome; the run fails if any file was not
transcribed, or if the listing failed (then nothing was transcribed). A run that transcribed
anything updates the asset ``aimlstt_nightly_transcripts`` once; the event's ``extra`` lists each
new transcript's generation id and paths. ``example_aimlstt_downstream`` is scheduled on it.

Every task is retried twice (Airflow 3.3.2 can fail a deferring task in a scheduler race). A
retry of ``transcribe`` reuses its file's job, so nothing is submitted twice; a job that ended in
``error`` is submitted again.

One mapped task instance per file: a folder with more new files than ``[core] max_map_length``
(1,024 by default) fails the listing, naming both numbers; run it on a smaller folder or raise
the limit.

Params (defaults from the environment when the DAG is parsed):

- ``input_dir``: ``$AIMLSTT_INPUT_DIR``, else the ``audio`` folder next to this file.
- ``output_dir``: ``$AIMLSTT_OUTPUT_DIR``, else ``$AIRFLOW_HOME/transcripts``.
- ``model``: ``#g1_nova-2-general``.

Read when the DAG is parsed: ``$AIMLSTT_NIGHTLY_SCHEDULE`` (default ``0 2 * * *``; empty for
manual runs only), ``$AIMLSTT_WAIT_TIMEOUT_SECONDS`` (default 3600, the API's retention)
bounds each file's wait; ``$AIMLSTT_RETRY_DELAY_SECONDS`` (default 30) is the wait before a
task's retry. Each wait polls at once, then from 10 s apart up to a minute until the model's
times are learned, then around each job's expected finish. Needs a connection
``aimlstt_default`` of type ``aimlstt``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import ObjectStoragePath, Param, dag, task

from airflow_provider_aimlstt.assets import named_asset
from airflow_provider_aimlstt.models.families import KNOWN_MODELS
from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator

_log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg")
FORMATS = ("txt", "srt", "vtt", "json")
DEFAULT_INPUT_DIR = (
    os.environ.get("AIMLSTT_INPUT_DIR") or (Path(__file__).parent / "audio").resolve().as_uri()
)
DEFAULT_OUTPUT_DIR = (
    os.environ.get("AIMLSTT_OUTPUT_DIR")
    or (Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "transcripts").resolve().as_uri()
)
SCHEDULE = os.environ.get("AIMLSTT_NIGHTLY_SCHEDULE", "0 2 * * *") or None  # 02:00 UTC; "" for none
WAIT_TIMEOUT_SECONDS = float(os.environ.get("AIMLSTT_WAIT_TIMEOUT_SECONDS") or 3600)
RETRY_DELAY_SECONDS = float(os.environ.get("AIMLSTT_RETRY_DELAY_SECONDS") or 30)
# A logical asset: where the files are is in each event's extra (the output folder is a param).
TRANSCRIPTS = named_asset("aimlstt_nightly_transcripts", "aimlstt://nightly/transcripts")
# Each mapped `transcribe` instance is named after its audio file, in the UI and for record_failure.
MAP_INDEX_TEMPLATE = "{{ task.audio_path.rsplit('/', 1)[-1] }}"
LISTING_TASK_ID = "list_new_audio"  # its list, at a map index, names that `transcribe` instance's file


def folder(location: str) -> ObjectStoragePath:
    """A folder given as a URI or a plain local path.

    :param location: ``s3://bucket/prefix``, ``file:///data/audio`` or ``/data/audio``.
    """
    return ObjectStoragePath(location if "://" in location else Path(location).resolve().as_uri())


@dag(
    dag_id="example_aimlstt_per_file",
    description="One task per file: every new audio file of a folder, in four formats",
    doc_md=__doc__,
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374); a retry of
    # `transcribe` reuses its job (see docs/reliability.md).
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
    },
)
def example_aimlstt_per_file() -> None:
    @task(task_id=LISTING_TASK_ID)
    def list_new_audio(input_dir: str, output_dir: str) -> list[str]:
        """Return the audio files of ``input_dir`` (as URIs) with no finished transcript in ``output_dir``.

        Fails, without retries, when there are more than ``[core] max_map_length`` of them: Airflow
        could not expand ``transcribe`` over the list.

        :param input_dir: the folder to read audio files from (not its subfolders).
        :param output_dir: the folder transcripts are written to.
        """
        from airflow.providers.common.compat.sdk import AirflowFailException, conf

        from airflow_provider_aimlstt.outputs import transcripts_exist

        source = folder(input_dir)
        if not source.is_dir():
            raise FileNotFoundError(f"The input folder {source} does not exist")
        new_files: list[str] = []
        seen_stems: set[str] = set()
        for path in sorted(source.iterdir(), key=lambda item: item.name):
            if not path.is_file() or Path(path.name).suffix.lower() not in AUDIO_SUFFIXES:
                continue
            stem = Path(path.name).stem
            if stem in seen_stems:
                _log.info(f"Skipping {path.name}: another file already writes {stem}.json")
                continue
            seen_stems.add(stem)
            if transcripts_exist(str(folder(output_dir)), stem, FORMATS):
                _log.info(f"Skipping {path.name}: already transcribed")
                continue
            new_files.append(str(path))
        _log.info(f"{len(new_files)} new audio file(s) in {source}")
        max_map_length = conf.getint("core", "max_map_length")
        if len(new_files) > max_map_length:
            raise AirflowFailException(
                f"{len(new_files)} new audio files in {source}, more than [core] max_map_length "
                f"({max_map_length}), the most one mapped task can expand to: nothing was submitted. "
                f"Run the DAG on a smaller folder (at most {max_map_length} new files), or raise "
                "[core] max_map_length (AIRFLOW__CORE__MAX_MAP_LENGTH), or use example_aimlstt_nightly, "
                "which transcribes batches of files per task."
            )
        return new_files

    # Runs after failures too, to report them; it fails the run when a file was not transcribed,
    # or when the listing failed (so nothing was). A retry could not change either: no retries.
    @task(trigger_rule="all_done")
    def summarize(
        new_files: list[str] | None, summaries: list[dict[str, Any]], output_dir: str
    ) -> list[dict[str, Any]]:
        """Print a table of this run's files and return its rows; fail if a file was not transcribed.

        :param new_files: the files this run set out to transcribe; None when ``list_new_audio``
            did not succeed (it returns a list, empty when there is nothing new).
        :param summaries: what ``transcribe`` returned (failed files have none).
        :param output_dir: the folder of the transcripts and of ``<stem>.error.txt`` files.
        """
        from airflow.providers.common.compat.sdk import AirflowFailException

        if new_files is None:
            raise AirflowFailException(
                f"{LISTING_TASK_ID} did not succeed, so this run transcribed nothing: its log has the cause"
            )
        new_files = list(new_files)
        if not new_files:
            _log.info("Nothing new to transcribe.")
            return []
        target = folder(output_dir)
        done = {Path(next(iter(s["paths"].values()))).stem: s for s in summaries or [] if s}
        table = []
        for audio in new_files:
            name, stem = Path(audio).name, Path(audio).stem
            error_file = target / f"{stem}.error.txt"
            summary = done.get(stem)
            if summary is not None:
                error_file.unlink(missing_ok=True)
                row = {
                    "file": name,
                    "duration_seconds": summary["duration_seconds"],
                    "words": summary["word_count"],
                    "cost_usd": summary.get("cost_usd"),
                }
                table.append({**row, "status": "transcribed"})
            else:
                cause = error_file.read_text().strip() if error_file.exists() else "not transcribed"
                row = {"file": name, "duration_seconds": None, "words": None, "cost_usd": None}
                table.append({**row, "status": f"failed: {cause}"})
        # Logged, not printed: a printed line can land in the UI's folded "Post Execute" group.
        for line in _format_table(table).splitlines():
            _log.info(line)
        missing = [row["file"] for row in table if row["status"] != "transcribed"]
        if missing:
            raise AirflowFailException(f"{len(missing)} of {len(table)} file(s) not transcribed: {missing}")
        return table

    new_files = list_new_audio(input_dir="{{ params.input_dir }}", output_dir="{{ params.output_dir }}")
    # [START howto_transcribe_mapped]
    transcribed = AimlSttTranscribeOperator.partial(
        task_id="transcribe",
        model="{{ params.model }}",
        output_path="{{ params.output_dir }}",
        formats=FORMATS,
        deferrable=True,
        timeout=WAIT_TIMEOUT_SECONDS,
        on_failure_callback=record_failure,
        map_index_template=MAP_INDEX_TEMPLATE,
    ).expand(audio_path=new_files)
    # [END howto_transcribe_mapped]
    announce_transcripts(transcribed.output)
    summarize(new_files, transcribed.output, output_dir="{{ params.output_dir }}")


@task(trigger_rule="all_done", outlets=[TRANSCRIPTS])
def announce_transcripts(summaries: list[dict[str, Any]], outlet_events: Any = None) -> int:
    """Update the transcripts asset once for the run, listing the new transcripts; skip if there are none.

    :param summaries: what ``transcribe`` returned (failed files have none).
    """
    from airflow.providers.common.compat.sdk import AirflowSkipException

    written = [{"generation_id": s["generation_id"], "paths": s["paths"]} for s in summaries or [] if s]
    if not written:
        raise AirflowSkipException("No new transcripts")
    outlet_events[TRANSCRIPTS].extra = {"transcripts": written}
    return len(written)


def record_failure(context: Any) -> None:
    """Write ``<stem>.error.txt`` in the output folder: which task failed, and why.

    Airflow runs this on the worker when a try fails there, and in the dag-processor when the task
    was failed from outside (killed, heartbeat lost, a scheduler race). There the task is the
    unexpanded mapped operator, with nothing rendered and no exception, so the file is read from
    the task instance: its rendered map index (the file name, see ``MAP_INDEX_TEMPLATE``) when
    set, else the listing's list at its map index.

    :param context: the failed task's context.
    """
    ti = context["ti"]
    name = _failed_audio_name(ti)
    if name is None:
        _log.warning("No audio file found for %s (map index %s): no error file written", ti, ti.map_index)
        return
    target = folder(context["params"]["output_dir"])
    target.mkdir(parents=True, exist_ok=True)
    error = context.get("exception")
    if isinstance(error, str):  # Airflow 2 words a failure from outside the task as a message
        cause = " ".join(error.split())
    elif error is not None:
        cause = f"{type(error).__name__}: {' '.join(str(error).split())}"
    else:
        cause = "failed outside the task (killed, heartbeat lost or a scheduler race): see its log"
    (target / f"{Path(name).stem}.error.txt").write_text(f"{ti.task_id} (try {ti.try_number}): {cause}\n")


def _failed_audio_name(ti: Any) -> str | None:
    """The name of the audio file of a failed ``transcribe`` instance, or None when it can't be told.

    :param ti: its task instance.
    """
    rendered = getattr(ti, "rendered_map_index", None)
    if rendered:
        return str(rendered)
    map_index = getattr(ti, "map_index", -1)
    files = ti.xcom_pull(task_ids=LISTING_TASK_ID, map_indexes=-1)
    if isinstance(files, list) and 0 <= map_index < len(files):
        return Path(str(files[map_index])).name
    return None


def _format_table(rows: list[dict[str, Any]]) -> str:
    """Format summary rows as a fixed-width text table, with a total line.

    :param rows: dicts with ``file``, ``duration_seconds``, ``words``, ``cost_usd`` and ``status``.
    """
    header = ("file", "duration", "words", "cost", "status")
    cells = [_cells(row) for row in rows]
    transcribed = [row for row in rows if row["status"] == "transcribed"]
    total = {
        "file": "total",
        "duration_seconds": sum(row["duration_seconds"] or 0.0 for row in transcribed),
        "words": sum(row["words"] or 0 for row in transcribed),
        "cost_usd": sum(row["cost_usd"] or 0.0 for row in transcribed),
        "status": f"{len(transcribed)} of {len(rows)} transcribed",
    }
    lines = [header, *cells, _cells(total)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(_join_padded(line, widths) for line in lines)


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(row["file"]),
        "-" if row["duration_seconds"] is None else f"{row['duration_seconds']:.1f} s",
        "-" if row["words"] is None else str(row["words"]),
        "-" if row.get("cost_usd") is None else f"${row['cost_usd']:.6f}",
        str(row["status"]),
    )


def _join_padded(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


example_aimlstt_per_file()
