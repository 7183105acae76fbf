"""A finished batch's figures, sent through Airflow's metrics: StatsD, Datadog's DogStatsD or
OpenTelemetry, whichever the deployment's ``[metrics]`` section turns on (none: nothing is sent).

They go through the Task SDK's ``Stats`` (:mod:`airflow.sdk.observability.stats`), which the task
runner sets up from ``[metrics]`` when a task starts, with Airflow's own prefix
(``[metrics] statsd_prefix`` / ``otel_prefix``, ``airflow`` by default) before each name:

=================================== ======= ==============================================================
name                                kind    what
=================================== ======= ==============================================================
``aimlstt.batch.files_submitted``   counter files the batch sent a create for
``aimlstt.batch.files_transcribed`` counter files whose transcripts were written
``aimlstt.batch.files_failed``      counter files given up on
``aimlstt.batch.files_skipped``     counter files left alone (already transcribed, or a name taken)
``aimlstt.batch.audio_seconds``     counter seconds of audio transcribed (whole seconds)
``aimlstt.batch.cost_microusd``     counter what the transcribed files were billed, in millionths of a USD
``aimlstt.batch.job_seconds``       timer   per finished job, create to finish (sent in ms)
=================================== ======= ==============================================================

A job's time is the middle of what its polls proved of its finish
(:func:`~airflow_provider_aimlstt.polling.finish_bracket`); a timer is sent in milliseconds, as
every Airflow timer.

Every one carries the tags ``model`` and those the caller gives (``dag_id``, ``task_id``): as
tags for DogStatsD and OpenTelemetry, appended to the name as ``,model=...`` with
``[metrics] statsd_influxdb_enabled``, and dropped by plain StatsD, which has none.

Counters, not gauges: a counter adds up across batches, tasks and workers, so a dashboard's rate
of ``cost_microusd`` is the deployment's spend per hour, and two batches finishing at once both
count; a gauge keeps the last value sent, and plain StatsD (no tags) would let one batch's value
overwrite another's. The cost is in micro-dollars because a StatsD counter is a whole number; a
batch's cost is a few cents to a few dollars, so a millionth loses nothing that was billed.
A counter that would add 0 is not sent.

Each call adds what it is given: call it once, when a batch task finishes. A task cleared and run
again adopts its manifest, so its files count again, as Airflow's own counters count each try.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from airflow_provider_aimlstt.batch.row_fields import job_seconds, values_of

PREFIX = "aimlstt.batch"

COUNTED = {
    "files_submitted": "submitted",
    "files_transcribed": "transcribed",
    "files_failed": "failed",
    "files_skipped": "skipped",
}
"""Counters and the key of the batch's counts they are taken from."""


def emit_batch_metrics(
    counts: Mapping[str, Any], rows: Iterable[Any], model: str, tags: Mapping[str, Any] | None = None
) -> None:
    """Send a finished batch's counts, audio, cost and job times through Airflow's metrics.

    :param counts: the batch's counts, as its task returns them
        (:meth:`~airflow_provider_aimlstt.batch.manifest.Manifest.counts`: ``submitted``,
        ``transcribed``, ``failed``, ``skipped``, ``audio_seconds``, ``cost_usd``).
    :param rows: its manifest rows (objects or dicts): each finished job's time is sent.
    :param model: the model id (the ``model`` tag).
    :param tags: more tags, e.g. ``{"dag_id": ..., "task_id": ...}``.
    """
    from airflow.providers.common.compat.sdk import Stats

    all_tags = {**(tags or {}), "model": model}
    for name, key in COUNTED.items():
        _count(Stats, name, counts.get(key), all_tags)
    _count(Stats, "audio_seconds", counts.get("audio_seconds"), all_tags)
    cost = counts.get("cost_usd")
    _count(Stats, "cost_microusd", None if cost is None else float(cost) * 1_000_000, all_tags)
    for row in rows:
        seconds = job_seconds(values_of(row))
        if seconds is not None:
            Stats.timing(f"{PREFIX}.job_seconds", timedelta(seconds=seconds), tags=all_tags)


def _count(stats: Any, name: str, value: Any, tags: dict[str, Any]) -> None:
    """Add ``value``, rounded to a whole number, to a counter; nothing for None or 0."""
    if value is None or not math.isfinite(float(value)):
        return
    whole = round(float(value))
    if whole > 0:
        stats.incr(f"{PREFIX}.{name}", whole, tags=tags)
