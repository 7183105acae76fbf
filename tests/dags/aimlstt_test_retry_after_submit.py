"""A test-only DAG: the submit task dies right after its job was accepted, then is retried.

The first try submits and then raises, standing in for a worker killed between the API's answer
and the end of the task. The retry must find the job in the task state store and not submit again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import dag

from airflow_provider_aimlstt.operators.submit import AimlSttSubmitOperator

MEETING_NOTE = Path(__file__).resolve().parents[2] / "example_dags" / "audio" / "meeting_note.wav"


class SubmitThenCrashOnFirstTry(AimlSttSubmitOperator):
    """Submits as usual; on its first try, fails right after the submission."""

    def execute(self, context: Any) -> str:
        generation_id = super().execute(context)
        if context["ti"].try_number == 1:
            raise RuntimeError(f"worker lost after submitting generation_id={generation_id}")
        return generation_id


@dag(
    dag_id="aimlstt_test_retry_after_submit",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["aimlstt", "test"],
)
def aimlstt_test_retry_after_submit() -> None:
    SubmitThenCrashOnFirstTry(
        task_id="submit",
        model="#g1_nova-2-general",
        audio_path=str(MEETING_NOTE),
        retries=2,
        retry_delay=timedelta(seconds=0),
    )


aimlstt_test_retry_after_submit()
