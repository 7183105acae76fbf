"""Test-only DAG: the nightly task group over any folder or glob, every argument a param."""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import Param, dag

from airflow_provider_aimlstt.assets import named_asset
from airflow_provider_aimlstt.task_groups.nightly import transcribe_new_audio

PRICE = 0.00007
"""The emulator's price per audio second of Deepgram's models: the estimate's, here."""
TRANSCRIPTS = named_asset("aimlstt_test_nightly_transcripts", "aimlstt://test/nightly")


@dag(
    dag_id="aimlstt_test_nightly",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "input": Param("/tmp/none", type="string"),
        "output": Param("/tmp/none-out", type="string"),
        "chunk_size": Param(2, type="integer"),
        "max_failed_files": Param(0, type="integer"),
        "max_cost_usd": Param(None, type=["null", "number"]),
        "dry_run": Param(False, type="boolean"),
    },
    tags=["aimlstt", "test"],
)
def aimlstt_test_nightly() -> None:
    transcribe_new_audio(
        input="{{ params.input }}",
        output="{{ params.output }}",
        model="#g1_nova-2-general",
        formats=("txt", "json"),
        chunk_size="{{ params.chunk_size }}",
        max_in_flight=4,
        max_failed_files="{{ params.max_failed_files }}",
        max_cost_usd="{{ params.max_cost_usd }}",
        usd_per_audio_second=PRICE,
        dry_run="{{ params.dry_run }}",
        deferrable=True,
        outlets=[TRANSCRIPTS],
        group_id="nightly",
    )


aimlstt_test_nightly()
