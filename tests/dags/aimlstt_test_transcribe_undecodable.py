"""A test-only DAG: the combined operator given one file (a param) for a family that refuses
undecodable audio at create and one whose job fails, each waiting on the worker and in the
triggerer (``tests/operators/test_transcribe_undecodable.py``)."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import Param, dag

from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator

MODELS = {"deepgram": "#g1_nova-2-general", "assemblyai": "aai/universal"}


@dag(
    dag_id="aimlstt_test_transcribe_undecodable",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "audio_path": Param("/tmp/none.mp3", type="string"),
        "output_dir": Param("memory://aimlstt-test-undecodable", type="string"),
    },
    tags=["aimlstt", "test"],
)
def aimlstt_test_transcribe_undecodable() -> None:
    for family, model in MODELS.items():
        for deferrable in (False, True):
            task_id = f"{family}_{'deferred' if deferrable else 'on_the_worker'}"
            AimlSttTranscribeOperator(
                task_id=task_id,
                model=model,
                audio_path="{{ params.audio_path }}",
                output_path="{{ params.output_dir }}",
                output_name=task_id,
                formats=("txt", "json"),
                deferrable=deferrable,
            )


aimlstt_test_transcribe_undecodable()
