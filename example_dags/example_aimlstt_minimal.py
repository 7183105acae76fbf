"""Transcribe one audio file: submit it, wait in the triggerer, print the transcript.

Needs a connection ``aimlstt_default`` of type ``aimlstt`` (API key in the password; the host is
the API's base URL, for example the local emulator's).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import XComArg, dag, task

from airflow_provider_aimlstt.operators.submit import (
    MODEL_XCOM_KEY,
    SUBMISSION_XCOM_KEY,
    AimlSttSubmitOperator,
)
from airflow_provider_aimlstt.sensors.job import AimlSttSensor

_log = logging.getLogger(__name__)

SAMPLE_AUDIO = Path(__file__).parent / "audio" / "meeting_note.wav"
MODEL = "#g1_nova-2-general"


@dag(
    dag_id="example_aimlstt_minimal",
    description="Transcribe one audio file: submit it, wait in the triggerer, print the transcript",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374); a retried submit
    # task reuses its job (see docs/reliability.md).
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["aimlstt", "example"],
)
def example_aimlstt_minimal() -> None:
    # [START howto_submit]
    submit = AimlSttSubmitOperator(
        task_id="submit",
        model=MODEL,
        audio_path=str(SAMPLE_AUDIO),
    )
    # [END howto_submit]
    # [START howto_sensor_deferrable]
    wait = AimlSttSensor(
        task_id="wait_for_transcript",
        generation_id=submit.output,
        model=XComArg(submit, key=MODEL_XCOM_KEY),  # read the result as this model's
        submission=XComArg(submit, key=SUBMISSION_XCOM_KEY),  # for the job's cost
        deferrable=True,
        poke_interval=2,
    )
    # [END howto_sensor_deferrable]

    @task
    def print_transcript(result: dict[str, Any]) -> str:
        """Print the transcript text and return it."""
        from airflow_provider_aimlstt.transcripts import to_transcript

        text = to_transcript(result, model=MODEL).text
        _log.info(f"Transcript of {SAMPLE_AUDIO.name}: {text}")
        return text

    print_transcript(wait.output)


example_aimlstt_minimal()
