"""A test-only DAG: one batch task over a folder, its knobs as params.

Its tests poll fast and never hold a resume back (``dag.test()`` has no scheduler to race with)
by setting the provider's internal constants (see ``tests/operators/test_batch.py``).
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import Param, dag

from airflow_provider_aimlstt.assets import named_asset
from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

MANIFESTS = named_asset("aimlstt_test_batch_manifest", "memory://aimlstt-test-batch-manifests")


@dag(
    dag_id="aimlstt_test_batch",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "input_dir": Param("/tmp/none", type="string"),
        "output_dir": Param("/tmp/none-out", type="string"),
        "model": Param("#g1_nova-2-general", type="string"),
    },
    tags=["aimlstt", "test"],
)
def aimlstt_test_batch() -> None:
    AimlSttBatchTranscribeOperator(
        task_id="batch",
        input_path="{{ params.input_dir }}",
        output_path="{{ params.output_dir }}",
        model="{{ params.model }}",
        formats=("txt", "json"),
        max_in_flight=8,
        deferrable=True,
        outlets=[MANIFESTS],
    )


aimlstt_test_batch()
