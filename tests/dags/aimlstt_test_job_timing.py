"""A test-only DAG: three transcriptions of one model in a row, each waiting in the triggerer, so
that each later one is predicted from what the earlier ones taught. The test that runs it makes the
polls' defaults short (``airflow_provider_aimlstt.defaults``).

``audio_dir`` (a param) holds ``first.wav``, ``second.wav`` and ``third.wav``.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import Param, chain, dag

from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator

MODEL = "#g1_whisper-base"
TASKS = ("first", "second", "third")


@dag(
    dag_id="aimlstt_test_job_timing",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"audio_dir": Param("/tmp", type="string")},
    tags=["aimlstt", "test"],
)
def aimlstt_test_job_timing() -> None:
    chain(
        *(
            AimlSttTranscribeOperator(
                task_id=name,
                model=MODEL,
                audio_path=f"{{{{ params.audio_dir }}}}/{name}.wav",
                deferrable=True,
            )
            for name in TASKS
        )
    )


aimlstt_test_job_timing()
