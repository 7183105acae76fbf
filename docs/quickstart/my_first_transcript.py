"""My first transcript: one local audio file, transcribed through the emulator into txt, srt and json."""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.providers.common.compat.sdk import dag

from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator

REPO = Path(__file__).resolve().parents[2]
AUDIO = REPO / "example_dags" / "audio" / "meeting_note.wav"  # or your own file
TRANSCRIPTS = Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "transcripts"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def my_first_transcript() -> None:
    AimlSttTranscribeOperator(
        task_id="transcribe",
        model="#g1_nova-2-general",
        audio_path=str(AUDIO),
        output_path=str(TRANSCRIPTS),  # writes meeting_note.txt, .srt and .json there
        formats=["txt", "srt", "json"],
    )


my_first_transcript()
