"""Run the nightly example DAG against the local emulator, in a throwaway Airflow home.

Everything lives in ``.demo/`` in the repository, wiped at each run: the Airflow home (SQLite),
Airflow's log (``.demo/airflow.log``), the audio (the samples, copied into the folder of one day,
``.demo/audio/2026/12/06``) and the transcripts (``.demo/transcripts/2026/12/06``). The DAG runs as
its scheduled run of 2026-12-07 02:00 UTC would, which transcribes the day before. Prints each
transcript; the exit status is 0 only when the run succeeded and every sample was transcribed.

Usage: ``.venv/bin/python scripts/demo.py``
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]
AUDIO_DIR = REPO / "example_dags" / "audio"
DEMO_DIR = REPO / ".demo"
AIRFLOW_HOME = DEMO_DIR / "airflow"
INPUT_DIR = DEMO_DIR / "audio"
TRANSCRIPTS_DIR = DEMO_DIR / "transcripts"
RUN_AT = "2026-12-07T02:00:00+00:00"
"""The run's logical date: the nightly run of that time transcribes the day before."""
DAY = "2026/12/06"
AIRFLOW_LOG = DEMO_DIR / "airflow.log"
DAG_ID = "example_aimlstt_nightly"
API_KEY = "demo-key"
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg")


class DemoFailed(Exception):
    """A step of the demo went wrong; the message says which."""


def airflow_environment(emulator_url: str) -> dict[str, str]:
    """The environment for Airflow commands: this demo's home, database, DAGs and connection.

    :param emulator_url: the emulator's base URL, for the ``aimlstt_default`` connection.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(AIRFLOW_HOME),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "example_dags"),
        AIRFLOW_CONN_AIMLSTT_DEFAULT=json.dumps(
            {"conn_type": "aimlstt", "host": emulator_url, "password": API_KEY}
        ),
        AIMLSTT_INPUT_DIR=str(INPUT_DIR),
        AIMLSTT_OUTPUT_DIR=str(TRANSCRIPTS_DIR),
    )
    return env


def run_airflow(args: list[str], env: dict[str, str], log: IO[str]) -> None:
    """Run one ``airflow`` command, its output going to the log; fail on a non-zero exit.

    :param args: the command's arguments after ``airflow``.
    :param env: its environment.
    :param log: the file its output is appended to.
    """
    command = ["airflow", *args]
    print(f"  $ {' '.join(command)}", end=" ", flush=True)
    started = time.monotonic()
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    finished = subprocess.run(
        [sys.executable, "-m", *command], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
    )
    print(f"({time.monotonic() - started:.1f} s)")
    if finished.returncode != 0:
        raise DemoFailed(f"`{' '.join(command)}` exited with status {finished.returncode}")


def last_run_state() -> str:
    """The state of the nightly DAG's latest run, read from the demo's SQLite database."""
    with sqlite3.connect(AIRFLOW_HOME / "airflow.db") as db:
        row = db.execute(
            "SELECT state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (DAG_ID,)
        ).fetchone()
    if row is None:
        raise DemoFailed(f"{DAG_ID} has no run in the database")
    return str(row[0])


def print_transcripts(samples: list[Path]) -> list[str]:
    """Print each sample's transcript; return the names of samples that have none.

    :param samples: the audio files the DAG was to transcribe.
    """
    from airflow_provider_aimlstt.transcripts import Transcript

    print(f"\nTranscripts written to {TRANSCRIPTS_DIR / DAY} (txt, srt, vtt, json):")
    print("  (the emulator does not recognise speech: its text is each file's sidecar <stem>.txt)")
    missing = []
    for sample in samples:
        written = [
            TRANSCRIPTS_DIR / DAY / f"{sample.stem}.{suffix}" for suffix in ("json", "txt", "srt", "vtt")
        ]
        if not all(path.is_file() for path in written):
            missing.append(sample.name)
            print(f"  {sample.name}: no transcript")
            continue
        transcript = Transcript.model_validate_json(written[0].read_text(encoding="utf-8"))
        seconds = "?" if transcript.duration_seconds is None else f"{transcript.duration_seconds:.1f}"
        print(f"  {sample.name} ({seconds} s, {transcript.word_count} words)")
        print(f"    {written[1].read_text(encoding='utf-8').strip()}")
    if not missing:
        first_srt = TRANSCRIPTS_DIR / DAY / f"{samples[0].stem}.srt"
        print(f"\nThe start of {first_srt.name}:")
        print("    " + "\n    ".join(first_srt.read_text(encoding="utf-8").splitlines()[:4]))
    return missing


def main() -> int:
    """Run the demo; return the process exit status."""
    from aimlstt_emulator import EmulatorConfig, EmulatorServer

    started = time.monotonic()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    AIRFLOW_HOME.mkdir(parents=True)
    shutil.copytree(AUDIO_DIR, INPUT_DIR / DAY)
    samples = sorted(path for path in AUDIO_DIR.iterdir() if path.suffix.lower() in AUDIO_SUFFIXES)
    config = EmulatorConfig(
        api_key=API_KEY, transcripts_dir=AUDIO_DIR, queued_seconds=0.5, processing_seconds=1.5
    )
    print(
        f"Transcribing {len(samples)} audio files of {INPUT_DIR / DAY} with the {DAG_ID} DAG run of {RUN_AT}"
    )
    try:
        with EmulatorServer(config, host="127.0.0.1", port=0) as emulator, AIRFLOW_LOG.open("w") as log:
            print(f"  emulator of the speech-to-text API at {emulator.base_url}")
            env = airflow_environment(emulator.base_url)
            run_airflow(["db", "migrate"], env, log)
            run_airflow(["dags", "test", DAG_ID, RUN_AT], env, log)
        state = last_run_state()
        missing = print_transcripts(samples)
        if state != "success":
            raise DemoFailed(f"the DAG run ended in state {state!r}")
        if missing:
            raise DemoFailed(f"no transcript for {', '.join(missing)}")
    except DemoFailed as failure:
        print(f"\nDemo FAILED: {failure}. Airflow's log: {AIRFLOW_LOG}", file=sys.stderr)
        return 1
    print(f"\nDemo succeeded in {time.monotonic() - started:.0f} s. Airflow's log: {AIRFLOW_LOG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
