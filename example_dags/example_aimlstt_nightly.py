"""Nightly ingestion at scale: the day's new audio files, transcribed in batches, in four formats.

The input folder holds one folder a day, ``<input_dir>/2026/12/06/...`` (any sub-folders below).
The run at 02:00 UTC on 2026-12-07 transcribes the folder of 2026-12-06, whole since midnight:
its schedule, ``CronDataIntervalTimetable("0 2 * * *")``, gives it the data interval 2026-12-06
02:00 to 2026-12-07 02:00, and the day it names is the day before that interval ends. (A cron
string alone gives Airflow 3's ``CronTriggerTimetable``: its interval ends when the run starts,
and a template of ``logical_date`` names 2026-12-07, the folder of the day just begun.) The
transcripts go to ``<output_dir>/2026/12/06/``, sub-folders mirrored. A manual run names the day
before the one it is triggered on; a run triggered without a logical date names none, and fails
saying so.

``transcribe_new_audio`` (``airflow_provider_aimlstt.task_groups.nightly``) makes the whole job:
``list_new_audio`` lists the day's folder and the output folder once each, keeps the audio files
new or changed since their transcripts (a receipt of each file's content sits beside them),
estimates the night's cost from each file's first 64 KiB, and writes the files as lists of
``chunk_size``; one ``transcribe`` batch task per list (100,000 files at 500 a list are 200 tasks)
writes ``.txt``, ``.srt``, ``.vtt`` and ``.json`` for each file, ``max_in_flight`` jobs at a time, and
keeps a manifest (``_manifests/``) that makes a retry submit nothing twice; ``summarize`` reads
every manifest, logs the files not transcribed with their causes and the totals, writes the
night's report (``_reports/``, and the task's "Batch report" link), and fails the run naming
what was not transcribed. ``max_cost_usd`` caps the run: each batch task gets a share of it, in
proportion to its audio, and stops submitting before it would pass it. ``dry_run`` logs the
estimate and submits nothing. A run that transcribed anything updates the asset
``aimlstt_nightly_transcripts`` once, its ``extra`` naming the manifests; ``example_aimlstt_downstream``
is scheduled on it.

Read when the DAG is parsed: ``$AIMLSTT_INPUT_DIR`` and ``$AIMLSTT_OUTPUT_DIR`` (the params'
defaults: the ``audio`` folder next to this file, ``$AIRFLOW_HOME/transcripts``),
``$AIMLSTT_NIGHTLY_SCHEDULE`` (default ``0 2 * * *``; empty for manual runs only) and
``$AIMLSTT_RETRY_DELAY_SECONDS`` (default 30). Needs a connection ``aimlstt_default`` of type
``aimlstt``. For one task per file, see ``example_aimlstt_per_file``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.common.compat.sdk import Param, dag

from airflow_provider_aimlstt.assets import named_asset
from airflow_provider_aimlstt.models.families import KNOWN_MODELS
from airflow_provider_aimlstt.task_groups.nightly import transcribe_new_audio
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_2_PLUS

if AIRFLOW_V_3_2_PLUS:  # the task SDK has the timetables since 3.2
    from airflow.sdk import CronDataIntervalTimetable
else:
    from airflow.timetables.interval import CronDataIntervalTimetable

INPUT_DIR = os.environ.get("AIMLSTT_INPUT_DIR") or (Path(__file__).parent / "audio").resolve().as_uri()
OUTPUT_DIR = (
    os.environ.get("AIMLSTT_OUTPUT_DIR")
    or (Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser().resolve() / "transcripts").as_uri()
)
SCHEDULE = os.environ.get("AIMLSTT_NIGHTLY_SCHEDULE", "0 2 * * *")  # "": manual runs only
RETRY_DELAY_SECONDS = float(os.environ.get("AIMLSTT_RETRY_DELAY_SECONDS") or 30)
TRANSCRIPTS = named_asset("aimlstt_nightly_transcripts", "aimlstt://nightly/transcripts")
# [START howto_nightly]
DAY = "{{ (data_interval_end - macros.timedelta(days=1)).strftime('%Y/%m/%d') }}"
"""The day a run transcribes: the day before its data interval ends (run at 2026-12-07 02:00: 2026/12/06)."""


@dag(
    dag_id="example_aimlstt_nightly",
    description="The day's new audio files, transcribed in batches, in four formats, within a cost cap",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC") if SCHEDULE else None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Retries recover a lost worker or a scheduler race: a retried batch task adopts its manifest's jobs.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=RETRY_DELAY_SECONDS)},
    tags=["aimlstt", "example"],
    params={
        "input_dir": Param(INPUT_DIR, type="string", title="Input folder (a folder a day: YYYY/MM/DD)"),
        "output_dir": Param(OUTPUT_DIR, type="string", title="Output folder (the same days)"),
        "model": Param("#g1_nova-2-general", type="string", enum=sorted(KNOWN_MODELS), title="Model"),
        "chunk_size": Param(500, type="integer", minimum=1, title="Files per batch task"),
        "max_in_flight": Param(32, type="integer", minimum=1, title="Jobs in flight per batch task"),
        "max_cost_usd": Param(50.0, type=["null", "number"], minimum=0, title="Cost cap of the run (USD)"),
        "dry_run": Param(False, type="boolean", title="Dry run: log the estimate, submit nothing"),
    },
)
def example_aimlstt_nightly() -> None:
    transcribe_new_audio(
        input="{{ params.input_dir }}/" + DAY,
        output="{{ params.output_dir }}/" + DAY,
        model="{{ params.model }}",
        formats=("txt", "srt", "vtt", "json"),
        chunk_size="{{ params.chunk_size }}",
        max_in_flight="{{ params.max_in_flight }}",
        max_cost_usd="{{ params.max_cost_usd }}",
        dry_run="{{ params.dry_run }}",
        deferrable=True,  # wait in the triggerer; False waits on the worker
        outlets=[TRANSCRIPTS],
    )


example_aimlstt_nightly()
# [END howto_nightly]
