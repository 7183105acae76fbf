"""Transcribe without a triggerer: the sensor waits on a worker, in ``poke`` or ``reschedule`` mode.

``reschedule`` frees the worker slot between polls (the task goes back to the scheduler); ``poke``
keeps it and is only worth it for short jobs. Where a triggerer runs, prefer ``deferrable=True``
as in ``example_aimlstt_minimal``.

Needs a connection ``aimlstt_default`` of type ``aimlstt``.
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

AUDIO = Path(__file__).parent / "audio"
CALL_MODEL = "#g1_nova-2-phonecall"
NOTE_MODEL = "aai/universal"


@dag(
    dag_id="example_aimlstt_without_triggerer",
    description="Transcribe without a triggerer: the sensor waits on a worker",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374); a retried submit
    # task reuses its job (see docs/reliability.md).
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["aimlstt", "example"],
)
def example_aimlstt_without_triggerer() -> None:
    submit_call = AimlSttSubmitOperator(
        task_id="submit_support_call",
        model=CALL_MODEL,
        audio_path=str(AUDIO / "support_call.wav"),
        options={"diarize": True, "smart_format": True},
    )
    submit_note = AimlSttSubmitOperator(
        task_id="submit_product_note",
        model=NOTE_MODEL,
        audio_path=str(AUDIO / "product_note.wav"),
        options={"speaker_labels": True},
    )
    # [START howto_sensor_without_triggerer]
    wait_call = AimlSttSensor(
        task_id="poke_for_support_call",
        generation_id=submit_call.output,
        model=XComArg(submit_call, key=MODEL_XCOM_KEY),
        submission=XComArg(submit_call, key=SUBMISSION_XCOM_KEY),
        deferrable=False,
        mode="poke",
        poke_interval=1,
    )
    wait_note = AimlSttSensor(
        task_id="reschedule_for_product_note",
        generation_id=submit_note.output,
        model=XComArg(submit_note, key=MODEL_XCOM_KEY),
        submission=XComArg(submit_note, key=SUBMISSION_XCOM_KEY),
        deferrable=False,
        mode="reschedule",
        poke_interval=1,
    )
    # [END howto_sensor_without_triggerer]

    @task
    def print_transcripts(call: dict[str, Any], note: dict[str, Any]) -> list[str]:
        """Print both transcripts and return their texts."""
        from airflow_provider_aimlstt.transcripts import to_transcript

        texts = [to_transcript(call, model=CALL_MODEL).text, to_transcript(note, model=NOTE_MODEL).text]
        for text in texts:
            _log.info(text)
        return texts

    print_transcripts(wait_call.output, wait_note.output)


example_aimlstt_without_triggerer()
