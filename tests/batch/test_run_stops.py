"""A batch's run when no file can get past the API: a refused key keeps the jobs in flight for a
later try; an API nothing reaches is waited for, by the connection's backoff, before files fail."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_aimlstt.batch.inputs import BatchInputs
from airflow_provider_aimlstt.batch.manifest import FileStatus
from airflow_provider_aimlstt.batch.run import BatchRun, BatchSettings
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from tests.conftest import TEST_API_KEY, connection_json
from tests.helpers import closed_port
from tests.operators.test_batch import _creates, _folder

pytestmark = pytest.mark.usefixtures("airflow_db", "fast_batch")

LOG = logging.getLogger("tests.batch.run")


def _settings(input_dir: Path, output_dir: Path, max_in_flight: int) -> BatchSettings:
    return BatchSettings(
        inputs=BatchInputs(audio_paths=tuple(str(path) for path in sorted(input_dir.iterdir()))),
        model="#g1_nova-2-general",
        options={},
        allow_unknown_model=False,
        output=OutputSettings(str(output_dir), ("txt", "json"), None, None),
        aimlstt_conn_id="aimlstt_default",
        max_in_flight=max_in_flight,
        max_failed_files=0,
        timeout_seconds=600.0,
        task_instance=("dag", "run", "batch", -1),
    )


def _run_on_the_worker(run: BatchRun) -> None:
    """What the operator does from ``submit_what_fits`` on, waiting here."""
    while True:
        run.submit_what_fits()
        trigger = run.wait_for_in_flight()
        if trigger is None:
            return
        run.apply(trigger.wait_here())


def test_a_refused_key_keeps_the_jobs_in_flight_for_a_cleared_task_to_collect(
    emulator: Any, tmp_path: Path
) -> None:
    input_dir, output_dir, hashes = _folder(tmp_path, 4)
    before = _creates(emulator, hashes)  # other tests' files may have the same audio
    settings = _settings(input_dir, output_dir, max_in_flight=2)
    first = BatchRun.open(settings, LOG)
    first.plan()
    first.submit_what_fits()  # two jobs in flight, two files pending
    accepted = {row.source: row.generation_id for row in first.manifest.with_status(FileStatus.SUBMITTED)}
    assert len(accepted) == 2

    emulator.config.api_key = "sk-aimlstt-revoked"  # the connection's key is refused from now on
    wider = replace(settings, max_in_flight=4)  # room for the two pending files next to the jobs
    refused = BatchRun.open(wider, LOG)
    refused.plan()
    with pytest.raises(AirflowFailException) as failure:
        refused.submit_what_fits()

    message = str(failure.value)
    assert "HTTP 401" in message and "2 file(s) wait as pending" in message
    assert "2 job(s) the API accepted earlier stay submitted" in message
    stored = BatchRun.open(wider, LOG).manifest
    assert {row.source: row.generation_id for row in stored.with_status(FileStatus.SUBMITTED)} == accepted
    assert [(row.attempts, row.generation_id) for row in stored.with_status(FileStatus.PENDING)] == [
        (0, None)
    ] * 2
    assert stored.counts()["submitted"] == 2

    emulator.config.api_key = TEST_API_KEY  # the key works again: the task is cleared
    cleared = BatchRun.open(wider, LOG)
    cleared.plan()
    _run_on_the_worker(cleared)

    rows = cleared.manifest.rows
    assert all(row.status is FileStatus.TRANSCRIBED for row in rows.values())
    assert {source: rows[source].generation_id for source in accepted} == accepted  # collected, not redone
    after = _creates(emulator, hashes)
    assert {name: after[name] - before[name] for name in hashes} == dict.fromkeys(hashes, 1)


def test_creates_that_cannot_connect_wait_out_the_connections_backoff_before_the_files_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    retries = {"api_retries": 3, "api_retry_backoff": 0.4, "api_retry_max_backoff": 0.4}
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(f"http://127.0.0.1:{closed_port()}", **retries)
    )
    input_dir, output_dir, _ = _folder(tmp_path, 5)
    run = BatchRun.open(_settings(input_dir, output_dir, max_in_flight=4), LOG)
    run.plan()
    caplog.set_level(logging.INFO, logger=LOG.name)
    started = time.monotonic()

    run.submit_what_fits()

    took = time.monotonic() - started
    pauses = [
        float(seconds) for seconds in re.findall(r"trying again in ([\d.]+) s \(retry \d/3\)", caplog.text)
    ]
    assert len(pauses) == 3, caplog.text  # one wait a wave for all its creates, as many as api_retries
    assert took >= sum(pauses) - 0.2  # each logged to one decimal
    rows = list(run.manifest)
    assert all(row.status is FileStatus.FAILED and row.retryable for row in rows)  # a later try sends them
    assert all("no create could connect to the API in 4 attempt(s)" in str(row.error) for row in rows)
    assert all(row.attempts == 0 for row in rows)  # none reached the API
