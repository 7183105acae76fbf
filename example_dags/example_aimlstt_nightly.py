"""Nightly ingestion: transcribe every new audio file of a folder into another folder.

For each audio file directly in the input folder (``*.wav``, ``*.mp3``, ``*.m4a``, ``*.flac``,
``*.ogg``) with no ``<stem>.json`` yet in the output folder, the run submits a job, waits for it
in the triggerer, and writes ``<stem>.json`` (the full result) and ``<stem>.txt`` (the text).
Files already transcribed are skipped, so a re-run only does what is left; with nothing new the
run succeeds and says so.

Each file is its own mapped task group (submit, wait, write), so one failed file holds up no
other. A failed file leaves ``<stem>.error.txt`` with the cause (removed once it succeeds), and
the summary lists every file with its status; the run fails if any file was not transcribed.

Params (defaults from the environment when the DAG is parsed):

- ``input_dir``: ``$AIMLSTT_INPUT_DIR``, else the ``audio`` folder next to this file.
- ``output_dir``: ``$AIMLSTT_OUTPUT_DIR``, else ``$AIRFLOW_HOME/transcripts``.
- ``model``: ``#g1_nova-2-general``.

``$AIMLSTT_WAIT_TIMEOUT_SECONDS`` (read when the DAG is parsed; default 3600, the API's retention)
bounds each file's wait.

Needs a connection ``aimlstt_default`` of type ``aimlstt``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task, task_group

from airflow_provider_aimlstt.operators.aimlstt import AimlSttSubmitOperator
from airflow_provider_aimlstt.sensors.aimlstt import AimlSttSensor

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg")
DEFAULT_INPUT_DIR = os.environ.get("AIMLSTT_INPUT_DIR") or str(Path(__file__).parent / "audio")
DEFAULT_OUTPUT_DIR = os.environ.get("AIMLSTT_OUTPUT_DIR") or str(
    Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "transcripts"
)
WAIT_TIMEOUT_SECONDS = float(os.environ.get("AIMLSTT_WAIT_TIMEOUT_SECONDS") or 3600)


@dag(
    dag_id="example_aimlstt_nightly",
    schedule="0 2 * * *",  # every night at 02:00 UTC
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["aimlstt", "example"],
    params={
        "input_dir": Param(DEFAULT_INPUT_DIR, type="string", description="Folder to read audio files from."),
        "output_dir": Param(DEFAULT_OUTPUT_DIR, type="string", description="Folder to write transcripts to."),
        "model": Param("#g1_nova-2-general", type="string", description="Speech-to-text model id."),
    },
)
def example_aimlstt_nightly() -> None:
    @task
    def list_new_audio(input_dir: str, output_dir: str) -> list[str]:
        """Return the audio files of ``input_dir`` that have no transcript in ``output_dir`` yet.

        :param input_dir: the folder to read audio files from (not its subfolders).
        :param output_dir: the folder transcripts are written to.
        """
        source, target = Path(input_dir), Path(output_dir)
        if not source.is_dir():
            raise FileNotFoundError(f"The input folder {source} does not exist")
        new_files: list[str] = []
        seen_stems: set[str] = set()
        for path in sorted(source.iterdir()):
            if not path.is_file() or path.suffix.lower() not in AUDIO_SUFFIXES:
                continue
            if path.stem in seen_stems:
                print(f"Skipping {path.name}: another file already writes {path.stem}.json")
                continue
            seen_stems.add(path.stem)
            if (target / f"{path.stem}.json").exists():
                print(f"Skipping {path.name}: already transcribed")
                continue
            new_files.append(str(path))
        print(f"{len(new_files)} new audio file(s) in {source}")
        return new_files

    @task(on_failure_callback=record_failure)
    def write_transcript(audio_path: str, result: dict[str, Any], output_dir: str) -> dict[str, Any]:
        """Write ``<stem>.txt`` then ``<stem>.json``, each atomically, and return a summary row.

        The json is written last: its presence is what marks a file as done.

        :param audio_path: the audio file.
        :param result: the job's result.
        :param output_dir: the folder to write the transcripts to.
        """
        from airflow_provider_aimlstt.models import summarize_result

        audio = Path(audio_path)
        target = Path(output_dir)
        target.mkdir(parents=True, exist_ok=True)
        summary = summarize_result(result)
        _write_atomically(target / f"{audio.stem}.txt", summary.text + "\n")
        _write_atomically(target / f"{audio.stem}.json", json.dumps(result, indent=2, ensure_ascii=False))
        (target / f"{audio.stem}.error.txt").unlink(missing_ok=True)
        return {
            "file": audio.name,
            "duration_seconds": summary.duration_seconds,
            "words": summary.word_count,
            "status": "transcribed",
        }

    # Runs after failures too, to report them; it fails the run when a file was not transcribed.
    @task(trigger_rule="all_done")
    def summarize(new_files: list[str], rows: list[dict[str, Any]], output_dir: str) -> list[dict[str, Any]]:
        """Print a table of this run's files and return its rows; fail if a file was not transcribed.

        :param new_files: the files this run set out to transcribe.
        :param rows: the rows returned by ``write_transcript`` (failed files have none).
        :param output_dir: the folder holding ``<stem>.error.txt`` of failed files.
        """
        new_files, rows = list(new_files or []), [row for row in rows or [] if row]
        if not new_files:
            print("Nothing new to transcribe.")
            return []
        row_by_file = {row["file"]: row for row in rows}
        table = [
            row_by_file.get(Path(path).name) or _failed_row(Path(path), Path(output_dir))
            for path in new_files
        ]
        print(_format_table(table))
        missing = [row["file"] for row in table if row["status"] != "transcribed"]
        if missing:
            raise RuntimeError(f"{len(missing)} of {len(table)} file(s) not transcribed: {missing}")
        return table

    @task_group
    def transcribe(audio_path: str) -> Any:
        """Submit one file, wait for its job in the triggerer, and write its transcript."""
        submit = AimlSttSubmitOperator(
            task_id="submit",
            model="{{ params.model }}",
            audio_path=audio_path,
            on_failure_callback=record_failure,
            map_index_template="{{ task.audio_path.rsplit('/', 1)[-1] }}",  # the file name in the UI
        )
        wait = AimlSttSensor(
            task_id="wait_for_transcript",
            generation_id=submit.output,
            deferrable=True,
            poke_interval=3,
            max_poke_interval=30,
            timeout=WAIT_TIMEOUT_SECONDS,
            on_failure_callback=record_failure,
        )
        return write_transcript(audio_path, wait.output, output_dir="{{ params.output_dir }}")

    new_files = list_new_audio(input_dir="{{ params.input_dir }}", output_dir="{{ params.output_dir }}")
    written = transcribe.expand(audio_path=new_files)
    summarize(new_files, written, output_dir="{{ params.output_dir }}")


def record_failure(context: Any) -> None:
    """Write ``<stem>.error.txt`` in the output folder: which task failed, and why.

    A failure callback of the tasks of ``transcribe``; it finds the file by the task's map index.

    :param context: the failed task's context.
    """
    ti = context["ti"]
    new_files = ti.xcom_pull(task_ids="list_new_audio") or []
    if not 0 <= ti.map_index < len(new_files):
        return
    audio = Path(new_files[ti.map_index])
    target = Path(context["params"]["output_dir"])
    target.mkdir(parents=True, exist_ok=True)
    error = context.get("exception")
    cause = f"{type(error).__name__}: {' '.join(str(error).split())}" if error is not None else "unknown"
    _write_atomically(target / f"{audio.stem}.error.txt", f"{ti.task_id} (try {ti.try_number}): {cause}\n")


def _failed_row(audio: Path, output_dir: Path) -> dict[str, Any]:
    """The summary row of a file with no transcript: the cause its failure left, if any."""
    error_file = output_dir / f"{audio.stem}.error.txt"
    cause = error_file.read_text(encoding="utf-8").strip() if error_file.exists() else "not transcribed"
    return {"file": audio.name, "duration_seconds": None, "words": None, "status": f"failed: {cause}"}


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file in ``path``'s folder, then rename it onto ``path``.

    :param path: the file to write.
    :param text: its new content.
    """
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as temporary:
        try:
            temporary.write(text)
            temporary.flush()
            os.fsync(temporary.fileno())
        except BaseException:
            temporary.close()
            os.unlink(temporary.name)
            raise
    try:
        os.replace(temporary.name, path)
    except BaseException:
        os.unlink(temporary.name)
        raise


def _format_table(rows: list[dict[str, Any]]) -> str:
    """Format summary rows as a fixed-width text table.

    :param rows: dicts with ``file``, ``duration_seconds``, ``words`` and ``status``.
    """
    header = ("file", "duration", "words", "status")
    cells = [
        (
            str(row["file"]),
            "-" if row["duration_seconds"] is None else f"{row['duration_seconds']:.1f} s",
            "-" if row["words"] is None else str(row["words"]),
            str(row["status"]),
        )
        for row in rows
    ]
    lines = [header, *cells]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(_join_padded(line, widths) for line in lines)


def _join_padded(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


example_aimlstt_nightly()
