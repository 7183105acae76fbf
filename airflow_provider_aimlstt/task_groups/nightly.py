"""The nightly job as one call: list the new audio, transcribe it in mapped batches, summarize the run.

Light on purpose: a DAG file calls :func:`transcribe_new_audio` when it is parsed, so this module
imports the operators' modules, which import what runs a task only when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import Asset, TaskGroup

from airflow_provider_aimlstt.batch.inputs import DEFAULT_AUDIO_SUFFIXES
from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator
from airflow_provider_aimlstt.operators.listing import AimlSttListNewAudioOperator
from airflow_provider_aimlstt.operators.summary import (
    AimlSttAnnounceBatchesOperator,
    AimlSttBatchSummaryOperator,
)
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS

LISTING_TASK_ID = "list_new_audio"
BATCH_TASK_ID = "transcribe"
SUMMARY_TASK_ID = "summarize"
ANNOUNCE_TASK_ID = "announce_transcripts"


def transcribe_new_audio(
    *,
    input: str,
    output: str,
    model: str,
    options: dict[str, Any] | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    chunk_size: int | str = 500,
    max_in_flight: int | str = 32,
    max_failed_files: int | str = 0,
    max_cost_usd: float | str | None = None,
    usd_per_audio_second: float | None = None,
    dry_run: bool | str = False,
    outlets: Sequence[Asset] = (),
    audio_suffixes: Sequence[str] = DEFAULT_AUDIO_SUFFIXES,
    aimlstt_conn_id: str = DEFAULT_CONN_ID,
    input_conn_id: str | None = None,
    output_conn_id: str | None = None,
    deferrable: bool | None = None,
    group_id: str = "transcribe_new_audio",
) -> TaskGroup:
    """Transcribe the audio files of ``input`` that are new or changed since their transcripts in
    ``output`` were written: a task group of a listing, one batch task per chunk, and a summary.

    - ``list_new_audio``
      (:class:`~airflow_provider_aimlstt.operators.listing.AimlSttListNewAudioOperator`) lists
      ``input`` and ``output`` once each, writes the new files as lists of ``chunk_size`` on the
      output store, estimates the night's cost and shares ``max_cost_usd`` among the chunks in
      proportion to their audio.
    - ``transcribe`` (:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator`,
      mapped with ``expand_kwargs``: one instance per list, each with its list and its share of the
      cap) transcribes its files, ``max_in_flight`` jobs at a time, and keeps a manifest.
    - ``summarize`` (:class:`~airflow_provider_aimlstt.operators.summary.AimlSttBatchSummaryOperator`)
      reads every manifest, logs the files not transcribed with their causes and the totals,
      writes the run's report to ``<output>/_reports/``, and fails the run naming what was not
      transcribed: a file, a batch task that failed before it wrote its manifest, the listing.
    - With ``outlets``, ``announce_transcripts``
      (:class:`~airflow_provider_aimlstt.operators.summary.AimlSttAnnounceBatchesOperator`)
      updates them once for a run that transcribed anything, the event's ``extra`` naming the
      manifests (``{"manifests": [...]}``).

    **Which day a run names.** A date-partitioned input is templated from the run's data interval,
    not from the time it runs. With ``schedule=CronDataIntervalTimetable("0 2 * * *",
    timezone="UTC")``, the run made at 2026-12-07 02:00 UTC covers 2026-12-06 02:00 to
    2026-12-07 02:00, so ``"s3://calls/{{ data_interval_start.strftime('%Y/%m/%d') }}"`` names the
    complete folder ``s3://calls/2026/12/06``. Airflow 3's default for a cron ``schedule`` string is
    ``CronTriggerTimetable``, whose data interval is empty at the run's time: ``data_interval_start``,
    like ``logical_date``, is then 2026-12-07, the folder of the day just begun. A run triggered
    without a logical date has no data interval at all: the listing fails saying so.

    :param input: the audio: a folder (listed with its sub-folders) or a glob pattern
        (``s3://calls/2026/12/06/**/*.mp3``). Templated.
    :param output: the transcripts' folder; input sub-folders are mirrored. Templated.
    :param model: the model id. Templated.
    :param options: the model's options. Templated.
    :param formats: the formats to write for each file.
    :param chunk_size: files per batch task. Templated.
    :param max_in_flight: jobs in flight per batch task. Templated.
    :param max_failed_files: failed files each batch task tolerates before it fails (the summary
        fails the run for any). Templated.
    :param max_cost_usd: the cap of the whole run in USD; None: no cap. Each batch task gets its
        share and stops submitting before it would pass it. Templated.
    :param usd_per_audio_second: the price for the estimate and the cap; None: what this
        deployment's earlier batches of the model were billed.
    :param dry_run: estimate only: the listing logs the night's estimate and writes no chunk; nothing
        is submitted. Templated (``"{{ params.dry_run }}"``).
    :param outlets: assets updated once for a run that transcribed anything.
    :param audio_suffixes: the suffixes a folder's files must have (a glob takes what it matches).
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    :param output_conn_id: the Airflow connection of the output store, when its URI names none.
    :param deferrable: wait for the jobs in the triggerer; False: on the worker; None reads
        ``[operators] default_deferrable``.
    :param group_id: the task group's id (its tasks' ids start with it).
    """
    with TaskGroup(group_id=group_id) as group:
        listing = AimlSttListNewAudioOperator(
            task_id=LISTING_TASK_ID,
            input_path=input,
            output_path=output,
            formats=formats,
            chunk_size=chunk_size,
            model=model,
            audio_suffixes=audio_suffixes,
            input_conn_id=input_conn_id,
            output_conn_id=output_conn_id,
            aimlstt_conn_id=aimlstt_conn_id,
            usd_per_audio_second=usd_per_audio_second,
            max_cost_usd=max_cost_usd,
            estimate_only=dry_run,
        )
        batches = AimlSttBatchTranscribeOperator.partial(
            task_id=BATCH_TASK_ID,
            model=model,
            options=options,
            output_path=output,
            formats=formats,
            audio_suffixes=audio_suffixes,
            input_conn_id=input_conn_id,
            output_conn_id=output_conn_id,
            aimlstt_conn_id=aimlstt_conn_id,
            max_in_flight=max_in_flight,
            max_failed_files=max_failed_files,
            usd_per_audio_second=usd_per_audio_second,
            deferrable=deferrable,
        ).expand_kwargs(listing.output)
        summary = AimlSttBatchSummaryOperator(
            task_id=SUMMARY_TASK_ID,
            output_path=output,
            output_conn_id=output_conn_id,
            listing_task_id=listing.task_id,
            batch_task_id=batches.task_id,
            model=model,
        )
        listing >> summary
        batches >> summary
        if outlets:
            announce = AimlSttAnnounceBatchesOperator(
                task_id=ANNOUNCE_TASK_ID,
                output_path=output,
                output_conn_id=output_conn_id,
                listing_task_id=listing.task_id,
                batch_task_id=batches.task_id,
                outlets=list(outlets),
            )
            listing >> announce
            batches >> announce
    return group
