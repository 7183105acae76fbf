"""A batch's metrics through Airflow's real StatsD client: a process set up as the task runner sets
up a task's metrics, from ``[metrics]`` settings in its environment, sends to a UDP socket here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow
from tests.airflow_compat import start_stats, stop_stats
from tests.conftest import REPO

MODEL = "openai/whisper-1"


def _manifest() -> Manifest:
    rows = [
        ManifestRow(
            source="a.wav",
            name="a",
            status=FileStatus.TRANSCRIBED,
            generation_id="g-1",
            attempts=1,
            submitted_at=1_000.0,
            finished_between=(10.0, 14.0),
            audio_seconds=62.4,
            cost_usd=0.0125,
        ),
        ManifestRow(
            source="b.wav",
            name="b",
            status=FileStatus.TRANSCRIBED,
            generation_id="g-2",
            attempts=2,
            submitted_at=1_010.0,
            finished_between=(30.0, 31.0),
            audio_seconds=120.3,
            cost_usd=0.0240004,
        ),
        ManifestRow(
            source="c.wav",
            name="c",
            status=FileStatus.FAILED,
            generation_id="g-3",
            attempts=1,
            submitted_at=1_020.0,
            finished_between=(5.0, 7.0),
            error="job g-3: failed",
        ),
        ManifestRow(source="d.wav", name="d", status=FileStatus.SKIPPED, error="already transcribed"),
        ManifestRow(source="e.wav", name="e", status=FileStatus.FAILED, error="audio_path: no such file"),
    ]
    return Manifest("memory://m/_manifests/x.jsonl", rows)


_CHILD = """
import json, os, sys
from airflow_provider_aimlstt.batch.metrics import emit_batch_metrics
from tests.airflow_compat import start_stats

counts, rows = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for influx in ("False", "True"):
    os.environ["AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED"] = influx
    start_stats()  # what the task runner does when a task starts
    emit_batch_metrics(counts, rows, "openai/whisper-1", {"dag_id": "nightly", "task_id": "transcribe"})
"""


def _received(listener: socket.socket, child: subprocess.Popen[str]) -> list[str]:
    """Every datagram until the child exits and the socket stays quiet for a while."""
    packets: list[str] = []
    quiet_until = None
    listener.settimeout(0.2)
    while True:
        try:
            packets.extend(listener.recv(65536).decode().splitlines())
            quiet_until = None
        except TimeoutError:
            if child.poll() is not None:
                quiet_until = quiet_until or time.monotonic() + 0.5
                if time.monotonic() > quiet_until:
                    return packets


def _parse(lines: list[str]) -> dict[str, list[tuple[float, str]]]:
    """``{name: [(value, kind), ...]}`` of StatsD lines (``name:value|kind``)."""
    parsed: dict[str, list[tuple[float, str]]] = {}
    for line in lines:
        name, _, rest = line.partition(":")
        value, _, kind = rest.partition("|")
        parsed.setdefault(name, []).append((float(value), kind))
    return parsed


def test_a_batch_sends_its_counts_audio_cost_and_job_times_to_statsd() -> None:
    manifest = _manifest()
    counts = manifest.counts()
    rows = [row.model_dump(mode="json") for row in manifest]  # the rows as JSON dicts
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(listener.getsockname()[1]),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
    }
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(counts), json.dumps(rows)],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines = _received(listener, child)
        _, stderr = child.communicate(timeout=60)
    finally:
        listener.close()
    assert child.returncode == 0, stderr[-3000:]

    ours = [line for line in lines if line.startswith("airflow.aimlstt.")]  # Airflow sends its own too
    plain = _parse([line for line in ours if "," not in line.partition(":")[0]])
    assert plain["airflow.aimlstt.batch.files_submitted"] == [(3, "c")]
    assert plain["airflow.aimlstt.batch.files_transcribed"] == [(2, "c")]
    assert plain["airflow.aimlstt.batch.files_failed"] == [(2, "c")]
    assert plain["airflow.aimlstt.batch.files_skipped"] == [(1, "c")]
    assert plain["airflow.aimlstt.batch.audio_seconds"] == [(round(62.4 + 120.3), "c")]
    assert plain["airflow.aimlstt.batch.cost_microusd"] == [(36_500, "c")]  # $0.0365004, to the millionth
    timings = plain["airflow.aimlstt.batch.job_seconds"]
    assert sorted(value for value, _ in timings) == pytest.approx([6_000, 12_000, 30_500])  # ms
    assert {kind for _, kind in timings} == {"ms"}

    # with [metrics] statsd_influxdb_enabled, the same, with the tags in the name
    tagged = _parse([line for line in ours if "," in line.partition(":")[0]])
    suffix = ",dag_id=nightly,task_id=transcribe,model=openai/whisper-1"
    assert tagged[f"airflow.aimlstt.batch.files_transcribed{suffix}"] == [(2, "c")]
    assert len(tagged[f"airflow.aimlstt.batch.job_seconds{suffix}"]) == 3
    assert {name.partition(",")[0] for name in tagged} == set(plain)


def test_rows_as_objects_and_counters_with_nothing_to_add(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Airflow's ``Stats`` with a backend that records what it is sent."""
    from airflow_provider_aimlstt.batch.metrics import emit_batch_metrics

    sent: list[tuple[str, str, Any, dict[str, Any]]] = []

    class Recorder:
        def incr(self, stat: str, count: int = 1, rate: float = 1, *, tags: Any = None) -> None:
            sent.append(("incr", stat, count, tags))

        def timing(self, stat: str, dt: Any, *, tags: Any = None) -> None:
            sent.append(("timing", stat, dt.total_seconds(), tags))

    start_stats(Recorder)
    try:
        manifest = _manifest()
        for row in manifest:
            row.cost_usd = None  # the API told no cost
        manifest.rows["d.wav"].status = FileStatus.TRANSCRIBED  # nothing skipped
        emit_batch_metrics(manifest.counts(), manifest, MODEL, {"dag_id": "d", "task_id": "t"})
    finally:
        stop_stats()

    counters = {stat: count for kind, stat, count, _ in sent if kind == "incr"}
    assert "aimlstt.batch.files_skipped" not in counters and "aimlstt.batch.cost_microusd" not in counters
    assert counters["aimlstt.batch.files_transcribed"] == 3
    assert sorted(seconds for kind, _, seconds, _ in sent if kind == "timing") == [6.0, 12.0, 30.5]
    assert all(tags == {"dag_id": "d", "task_id": "t", "model": MODEL} for *_, tags in sent)
