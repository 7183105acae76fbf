"""Test-only DAGs: a batch under a cost cap, and a batch that only estimates (a dry run)."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import Param, dag

from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

PARAMS = {
    "input_dir": Param("/tmp/none", type="string"),
    "output_dir": Param("/tmp/none-out", type="string"),
    "max_cost_usd": Param(1.0, type="number"),
}


@dag(
    dag_id="aimlstt_test_batch_cap",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params=PARAMS,
    default_args={"retries": 2},  # the cap's failure must not be retried
    tags=["aimlstt", "test"],
)
def aimlstt_test_batch_cap() -> None:
    AimlSttBatchTranscribeOperator(
        task_id="batch",
        input_path="{{ params.input_dir }}",
        output_path="{{ params.output_dir }}",
        model="#g1_nova-2-general",
        formats=("txt", "json"),
        max_in_flight=8,
        max_cost_usd="{{ params.max_cost_usd }}",
        deferrable=True,
    )


@dag(
    dag_id="aimlstt_test_batch_estimate_only",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params=PARAMS,
    tags=["aimlstt", "test"],
)
def aimlstt_test_batch_estimate_only() -> None:
    AimlSttBatchTranscribeOperator(
        task_id="batch",
        input_path="{{ params.input_dir }}",
        output_path="{{ params.output_dir }}",
        model="#g1_nova-2-general",
        formats=("txt", "json"),
        usd_per_audio_second=0.0001,
        estimate_only=True,
    )


aimlstt_test_batch_cap()
aimlstt_test_batch_estimate_only()
