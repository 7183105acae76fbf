"""Runs whenever the nightly DAG wrote transcripts: scheduled on its asset.

``example_aimlstt_nightly`` updates the asset ``aimlstt_nightly_transcripts`` once per run that
transcribed anything; the event's ``extra`` names each batch's manifest (``manifests``), read here
with ``airflow_provider_aimlstt.batch.results.read_batches``: one row per file, with its status,
generation id, words and paths, and its transcript on demand. ``example_aimlstt_per_file`` lists
the transcripts themselves (``transcripts``). This DAG reads each new transcript.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import ObjectStoragePath, dag, task

from airflow_provider_aimlstt.assets import named_asset

_log = logging.getLogger(__name__)


@dag(
    dag_id="example_aimlstt_downstream",
    description="Runs whenever the nightly DAG wrote transcripts: scheduled on its asset",
    doc_md=__doc__,
    schedule=[named_asset("aimlstt_nightly_transcripts", "aimlstt://nightly/transcripts")],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374); see docs/reliability.md.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["aimlstt", "example"],
)
def example_aimlstt_downstream() -> None:
    @task
    def read_new_transcripts(
        triggering_asset_events: Any = None, triggering_dataset_events: Any = None
    ) -> list[dict[str, Any]]:
        """Return one row per new transcript: its generation id, text file and word count."""
        from airflow_provider_aimlstt.batch.results import FileStatus, read_batches

        rows = []
        # Airflow 2 calls them triggering_dataset_events.
        for events in (triggering_asset_events or triggering_dataset_events or {}).values():
            for event in events:
                extra = event.extra or {}
                for transcript in extra.get("transcripts", []):  # from example_aimlstt_per_file
                    text_uri = transcript["paths"].get("txt")
                    words = len(ObjectStoragePath(text_uri).read_text().split()) if text_uri else None
                    rows.append(
                        {"generation_id": transcript["generation_id"], "txt": text_uri, "words": words}
                    )
                    _log.info(f"{text_uri}: {words} words")
                # [START howto_downstream]
                for file in read_batches(extra.get("manifests", [])):  # from example_aimlstt_nightly
                    if file.status is FileStatus.TRANSCRIBED:
                        text = file.transcript().text
                        rows.append(
                            {
                                "generation_id": file.generation_id,
                                "txt": file.paths.get("txt"),
                                "words": file.words,
                            }
                        )
                        _log.info(f"{file.name}: {file.words} words: {text[:60]!r}")
                # [END howto_downstream]
        return rows

    read_new_transcripts()


example_aimlstt_downstream()
