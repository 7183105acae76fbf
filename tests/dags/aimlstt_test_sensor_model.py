"""A test-only DAG: a submit task and a sensor given the model and submission it recorded.

The sensor's ``model`` and ``submission`` are the submit task's XComs, so a Microsoft result
(``{text, usage}``, the same shape as OpenAI's) is read as Microsoft's, and its cost is known.
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.providers.common.compat.sdk import Param, XComArg, dag

from airflow_provider_aimlstt.operators.submit import (
    MODEL_XCOM_KEY,
    SUBMISSION_XCOM_KEY,
    AimlSttSubmitOperator,
)
from airflow_provider_aimlstt.sensors.job import AimlSttSensor

AUDIO = Path(__file__).resolve().parents[2] / "example_dags" / "audio"


@dag(
    dag_id="aimlstt_test_sensor_model",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"output_dir": Param("memory://aimlstt-test-sensor-model", type="string")},
    tags=["aimlstt", "test"],
)
def aimlstt_test_sensor_model() -> None:
    submit = AimlSttSubmitOperator(
        task_id="submit", model="microsoft/mai-transcribe-1.5", audio_path=str(AUDIO / "product_note.wav")
    )
    AimlSttSensor(
        task_id="wait",
        generation_id=submit.output,
        model=XComArg(submit, key=MODEL_XCOM_KEY),
        submission=XComArg(submit, key=SUBMISSION_XCOM_KEY),
        deferrable=False,
        poke_interval=0.2,
        output_path="{{ params.output_dir }}",
        formats=["json"],
    )


aimlstt_test_sensor_model()
