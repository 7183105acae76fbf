"""Transcribe a folder in one batch, then load one row per recording into a SQL table.

``create_table`` creates the table ``aimlstt_transcripts`` when it is missing, through Airflow's
common SQL provider (``SQLExecuteQueryOperator``), before anything is sent to the API.
``transcribe``, one ``AimlSttBatchTranscribeOperator``, writes ``<stem>.txt`` and ``.json`` for each
audio file directly in the input folder (``*.wav``, ``*.mp3``, ``*.m4a``, ``*.flac``, ``*.ogg``)
that has no transcript yet, and returns its counts and its manifest's URI. ``load_into_sql``
reads that return value with ``airflow_provider_aimlstt.batch.results.read_batch`` and writes one
row per transcribed recording: its source (the key), name, generation id, duration in seconds,
words, cost in USD and text (from its json transcript). Rows are upserted by source, so loading
the same run again, or a later run that transcribes the same recording again, replaces its row
instead of adding one. Recordings skipped as already transcribed were loaded by the run that
transcribed them.

The table is written with the connection's ``DbApiHook.insert_rows(replace=True)``: any database
with an Airflow SQL provider works. The example uses SQLite (the ``sqlite`` provider, and the
connection ``sqlite_default``, a file such as ``/tmp/sqlite_default.db``); in production point
``$AIMLSTT_SQL_CONN_ID`` at your database's connection (PostgreSQL upserts with
``ON CONFLICT (source)``, MySQL with ``REPLACE``) and adjust ``CREATE_TABLE``'s types to it.

Params: ``input_dir`` (``$AIMLSTT_INPUT_DIR``, else the ``audio`` folder next to this file),
``output_dir`` (``$AIMLSTT_OUTPUT_DIR``, else ``$AIRFLOW_HOME/transcripts``) and ``model``. Read
when the DAG is parsed: ``$AIMLSTT_SQL_CONN_ID`` (default ``sqlite_default``) and
``$AIMLSTT_RETRY_DELAY_SECONDS`` (default 30). Needs a connection ``aimlstt_default`` of type
``aimlstt``. For thousands of files a night, in chunks, see ``example_aimlstt_nightly``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import Param, dag, task
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from airflow_provider_aimlstt.models.families import KNOWN_MODELS
from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

_log = logging.getLogger(__name__)

DEFAULT_INPUT_DIR = (
    os.environ.get("AIMLSTT_INPUT_DIR") or (Path(__file__).parent / "audio").resolve().as_uri()
)
DEFAULT_OUTPUT_DIR = (
    os.environ.get("AIMLSTT_OUTPUT_DIR")
    or (Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "transcripts").resolve().as_uri()
)
SQL_CONN_ID = os.environ.get("AIMLSTT_SQL_CONN_ID") or "sqlite_default"
RETRY_DELAY_SECONDS = float(os.environ.get("AIMLSTT_RETRY_DELAY_SECONDS") or 30)
TABLE = "aimlstt_transcripts"
COLUMNS = ("source", "name", "generation_id", "duration_seconds", "words", "cost_usd", "text")
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    source VARCHAR(1024) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    generation_id VARCHAR(64),
    duration_seconds DOUBLE PRECISION,
    words INTEGER,
    cost_usd DOUBLE PRECISION,
    text TEXT
)
"""


@dag(
    dag_id="example_aimlstt_to_sql",
    description="Transcribe a folder in one batch, then load one row per recording into a SQL table",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Retries recover a task failed by a scheduler race (apache/airflow#66374); a retried batch
    # task adopts its manifest's jobs, and a retried load replaces the rows it wrote.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=RETRY_DELAY_SECONDS)},
    tags=["aimlstt", "example"],
    params={
        "input_dir": Param(
            DEFAULT_INPUT_DIR,
            type="string",
            title="Input folder",
            description="Folder (URI or path) of audio files.",
        ),
        "output_dir": Param(
            DEFAULT_OUTPUT_DIR,
            type="string",
            title="Output folder",
            description="Folder (URI or path) for transcripts.",
        ),
        "model": Param(
            "#g1_nova-2-general",
            type="string",
            enum=sorted(KNOWN_MODELS),
            title="Model",
            description="Speech-to-text model id.",
        ),
    },
)
def example_aimlstt_to_sql() -> None:
    create_table = SQLExecuteQueryOperator(task_id="create_table", conn_id=SQL_CONN_ID, sql=CREATE_TABLE)
    # [START howto_batch]
    batch = AimlSttBatchTranscribeOperator(
        task_id="transcribe",
        input_path="{{ params.input_dir }}",
        output_path="{{ params.output_dir }}",
        model="{{ params.model }}",
        formats=("txt", "json"),
    )
    # [END howto_batch]

    @task
    def load_into_sql(batch: dict[str, Any]) -> int:
        """Upsert one row per transcribed recording of the batch into the table; return how many.

        :param batch: what the batch task returned (its counts and its manifest's URI).
        """
        from airflow.providers.common.compat.sdk import BaseHook
        from airflow.providers.common.sql.hooks.sql import DbApiHook

        from airflow_provider_aimlstt.batch.results import FileStatus, read_batch

        hook = BaseHook.get_hook(SQL_CONN_ID)
        if not isinstance(hook, DbApiHook):
            raise TypeError(f"{SQL_CONN_ID} is a {type(hook).__name__}, not a SQL database's connection")
        # [START howto_batch_results]
        files = read_batch(batch)
        transcribed = [file for file in files if file.status is FileStatus.TRANSCRIBED]
        rows = (
            (
                file.source,
                file.name,
                file.generation_id,
                file.audio_seconds,
                file.words,
                file.cost_usd,
                file.transcript().text,
            )
            for file in transcribed
        )
        # replace_index: the key PostgreSQL's upsert needs; SQLite and MySQL replace by primary key.
        hook.insert_rows(TABLE, rows, target_fields=COLUMNS, replace=True, replace_index="source")
        # [END howto_batch_results]
        for file in files:
            if file.status is not FileStatus.TRANSCRIBED:
                _log.info(f"Not loaded: {file.name} ({file.status.value}: {file.error})")
        _log.info(f"{len(transcribed)} row(s) loaded into {TABLE} of {SQL_CONN_ID}")
        return len(transcribed)

    create_table >> batch >> load_into_sql(batch.output)


example_aimlstt_to_sql()
