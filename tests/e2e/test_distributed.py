"""The example DAGs on a distributed Airflow, from ``s3://`` to ``s3://``, with components killed mid-night.

PostgreSQL holds the metadata, Redis is the Celery broker, two Celery workers run the tasks and two
triggerers the waits; every worker and triggerer has its own Airflow home, working directory and
temp dir, so that the only things the tasks share are the database, the API and the S3 store (moto's
server mode). The transcripts bucket is versioned: one version of a transcript means it was
written once.

The batch nightly DAG runs over a few hundred files in four batch tasks while:
- a Celery worker is SIGKILLed while one of its batch tasks is sending creates: the task's heartbeat
  stops, its retry runs on the other worker, reads the manifest (on S3) and adopts the jobs whose
  creates it never heard back from;
- the triggerer holding the batch triggers is SIGKILLed: the other one adopts the same triggers,
  with their deadlines;
- the scheduler is SIGKILLed and restarted: the new one adopts the tasks the old one had queued.
Then the per-file example DAG transcribes the speech samples through the single-file trigger.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS
from tests.e2e.cluster import CeleryAirflow
from tests.e2e.servers import PostgresServer, RedisServer, S3Server
from tests.e2e.support import EXAMPLE_DAGS, day_named_now, mono_samples, spoken_text
from tests.operators.test_batch import tone

NIGHTLY = "example_aimlstt_nightly"
BATCH = "transcribe_new_audio.transcribe"
DAY = day_named_now()
"""The folder of the day the nightly run transcribes: the test's files go there, and the run is
checked to name it."""
PER_FILE = "example_aimlstt_per_file"
FILES = 200
CHUNK_SIZE = 50  # four batch tasks
S3_CONN_ID = "s3_e2e"
AUDIO_BUCKET, TRANSCRIPTS_BUCKET = "audio", "transcripts"
FORMATS = ("txt", "srt", "vtt", "json")
RUN_TIMEOUT_SECONDS = 420.0
# How soon a silent component is taken for dead; Airflow's defaults are minutes. Tasks beat every
# second (below), so a live task must miss about a dozen beats in a row to be taken for dead.
HEARTBEAT_TIMEOUT_SECONDS = 12


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[PostgresServer, RedisServer, S3Server]]:
    """PostgreSQL, Redis and S3 on loopback, stopped afterwards."""
    logs = tmp_path / "servers"
    logs.mkdir()
    started: list[Any] = []
    try:
        for server in (PostgresServer(logs), RedisServer(logs), S3Server(logs)):
            server.start()
            started.append(server)
        yield started[0], started[1], started[2]
    finally:
        for server in reversed(started):
            server.stop()


def _manifest(s3: Any, run_id: str, map_index: int) -> list[dict[str, Any]]:
    key = f"nightly/{DAY}/_manifests/{NIGHTLY}__{run_id}__{BATCH}__{map_index}.jsonl"
    try:
        body = s3.get_object(Bucket=TRANSCRIPTS_BUCKET, Key=key)["Body"].read().decode()
    except s3.exceptions.NoSuchKey:
        return []
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def _versions(s3: Any, prefix: str) -> dict[str, int]:
    """How many times each object under ``prefix`` of the transcripts bucket was written."""
    counts: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=TRANSCRIPTS_BUCKET, Prefix=prefix):
        for version in page.get("Versions", []):
            counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def _task_logs(home: Path, dag_id: str, run_id: str) -> list[Path]:
    return [
        path
        for path in home.rglob("attempt=*.log")
        if f"dag_id={dag_id}" in str(path) and run_id in str(path)
    ]


def _failed_tries(home: Path, dag_id: str, run_id: str, lines: int = 15) -> str:
    """The last lines of each of the run's task logs that holds an error, whichever component wrote it.

    :param home: the cluster's home (each component's Airflow home is below it).
    :param dag_id: the DAG's id.
    :param run_id: the run's id.
    :param lines: how many lines of each log.
    """
    stories = []
    for path in sorted(_task_logs(home, dag_id, run_id)):
        text = path.read_text(errors="replace")
        if "ERROR" in text or '"error"' in text:
            tail = "\n".join(text.splitlines()[-lines:])
            stories.append(f"----- {path.relative_to(home)} -----\n{tail}")
    return "\n".join(stories) or "(no task log holds an error)"


def _trigger_logs(home: Path, run_id: str) -> list[Path]:
    return [path for path in home.rglob("*.trigger.*.log") if run_id in str(path)]


@pytest.mark.e2e
def test_nightly_batches_and_per_file_runs_survive_killed_workers_triggerers_and_scheduler(
    emulator: Any, servers: tuple[PostgresServer, RedisServer, S3Server], tmp_path: Path
) -> None:
    postgres, redis, s3_server = servers
    before = emulator.stats()["creates_by_sha256"]  # the emulator serves the whole session
    emulator.config.queued_seconds = 1.0
    emulator.config.processing_seconds = 4.0
    emulator.config.usage_log_delay_seconds = 0.5
    s3 = s3_server.client()
    for bucket in (AUDIO_BUCKET, TRANSCRIPTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=TRANSCRIPTS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    hashes = {}
    for index in range(FILES):
        path = tmp_path / f"call_{index:03d}.wav"
        tone(path, 150 + 7 * index)
        hashes[path.stem] = hashlib.sha256(path.read_bytes()).hexdigest()
        s3.put_object(Bucket=AUDIO_BUCKET, Key=f"nightly/{DAY}/{path.name}", Body=path.read_bytes())
    for sample in mono_samples():
        s3.put_object(Bucket=AUDIO_BUCKET, Key=f"per_file/{sample.name}", Body=sample.read_bytes())
    extra_env = {
        "AIRFLOW_CONN_AIMLSTT_DEFAULT": os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"],  # set by `emulator`
        f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": s3_server.connection_json(),
        "AIMLSTT_NIGHTLY_SCHEDULE": "",
        "AIMLSTT_RETRY_DELAY_SECONDS": "0",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_SECONDS),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": str(HEARTBEAT_TIMEOUT_SECONDS),
        "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "5",
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(HEARTBEAT_TIMEOUT_SECONDS),
    }
    # A running task beats every 5 s by default (Airflow 3's supervisor, Airflow 2's task job): a
    # loaded machine overran the few seconds that left before the timeout above, and live tasks were
    # taken for dead until their retries ran out. Every second leaves a wide margin.
    if AIRFLOW_V_3_0_PLUS:
        extra_env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = "1"
    else:
        extra_env["AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC"] = "1"
    nightly_run, per_file_run = "distributed_nightly", "distributed_per_file"
    conf = {  # the day's folder of each: <input_dir>/<DAY>/, <output_dir>/<DAY>/
        "input_dir": f"s3://{S3_CONN_ID}@{AUDIO_BUCKET}/nightly",
        "output_dir": f"s3://{S3_CONN_ID}@{TRANSCRIPTS_BUCKET}/nightly",
        "chunk_size": CHUNK_SIZE,  # 32 jobs in flight: two waves a batch task, each one resume on a worker
        "max_cost_usd": None,
    }
    home = tmp_path / "airflow"
    phases = {"start": time.monotonic()}
    with CeleryAirflow(home, EXAMPLE_DAGS, extra_env, postgres, redis) as airflow:
        phases["components up"] = time.monotonic()
        for dag_id in (NIGHTLY, PER_FILE):
            airflow.wait_for(
                f"{dag_id} parsed",
                lambda dag_id=dag_id: (
                    airflow.query(  # type: ignore[misc]
                        "SELECT 1 FROM dag WHERE dag_id = ? AND NOT is_paused", dag_id
                    )
                    or None
                ),
                120.0,
            )
        # Creates answer 1.5 s late: the first wave of each batch task is in the air for a while.
        emulator.faults.set(routes=["create"], latency_seconds=1.5, latency_probability=1.0)
        phases["parsed"] = time.monotonic()
        # A run without a logical date has no day to name.
        airflow.trigger_dag(NIGHTLY, nightly_run, logical_date=datetime.now(timezone.utc), conf=conf)

        # Fault 1: the worker of a batch task that is sending creates dies.
        def sending_worker() -> tuple[int, str] | None:
            running = airflow.query(
                "SELECT map_index, pid FROM task_instance WHERE run_id = ? AND task_id = ? "
                "AND state = 'running' AND pid IS NOT NULL",
                nightly_run,
                BATCH,
            )
            for map_index, pid in running:
                if any(row["status"] == "submitting" for row in _manifest(s3, nightly_run, map_index)):
                    for worker in airflow.workers:
                        if pid in airflow.descendants(airflow.processes[worker].pid):
                            return int(map_index), worker
            return None

        killed_index, killed_worker = airflow.wait_for("a batch task sending creates", sending_worker, 180.0)
        airflow.kill(killed_worker)
        phases["worker killed"] = time.monotonic()
        emulator.faults.clear()

        # Fault 2: the triggerer running batch triggers dies; the other one adopts them.
        def running_triggers() -> tuple[str, int, set[int]] | None:
            for name in airflow.triggerers:
                for log in _trigger_logs(airflow.workplace(name), nightly_run):
                    job_id = int(log.name.rsplit(".", 2)[1])  # attempt=N.log.trigger.<job id>.log
                    rows = airflow.query(
                        "SELECT id FROM trigger WHERE classpath LIKE '%AimlSttBatchTrigger' "
                        "AND triggerer_id = ?",
                        job_id,
                    )
                    if rows:
                        return name, job_id, {row[0] for row in rows}
            return None

        holder, holder_job, held = airflow.wait_for("batch triggers running", running_triggers, 180.0)
        timeouts_before = dict(
            airflow.query(
                "SELECT map_index, trigger_timeout FROM task_instance WHERE run_id = ? "
                "AND task_id = ? AND state = 'deferred'",
                nightly_run,
                BATCH,
            )
        )
        airflow.kill(holder)
        phases["triggerer killed"] = time.monotonic()

        def adopted() -> dict[int, int] | None:
            owners = dict(airflow.query("SELECT id, triggerer_id FROM trigger"))
            moved = {trigger: owners[trigger] for trigger in held if trigger in owners}
            if not moved:  # they all fired already: the other triggerer's logs tell who ran them
                return {}
            return moved if all(owner not in (None, holder_job) for owner in moved.values()) else None

        adoption = airflow.wait_for("the surviving triggerer adopting the triggers", adopted, 120.0)
        phases["triggers adopted"] = time.monotonic()
        timeouts_after = dict(
            airflow.query(
                "SELECT map_index, trigger_timeout FROM task_instance WHERE run_id = ? "
                "AND task_id = ? AND trigger_timeout IS NOT NULL",
                nightly_run,
                BATCH,
            )
        )

        # Fault 3: the scheduler dies mid-run and a new one takes over.
        airflow.kill_and_restart("scheduler")
        phases["scheduler restarted"] = time.monotonic()
        nightly_state = airflow.wait_for_run_end(nightly_run, RUN_TIMEOUT_SECONDS)
        ((interval_end,),) = airflow.query(
            "SELECT data_interval_end FROM dag_run WHERE run_id = ?", nightly_run
        )
        tries = dict(
            airflow.query(
                "SELECT map_index, try_number FROM task_instance WHERE run_id = ? AND task_id = ?",
                nightly_run,
                BATCH,
            )
        )
        rows = {
            table: airflow.query(f"SELECT count(*) FROM {table} WHERE run_id = ?", nightly_run)[0][0]
            for table in ("task_instance", "xcom")
        }
        rows["trigger"] = airflow.query("SELECT count(*) FROM trigger")[0][0]
        xcom_keys = airflow.query(
            "SELECT task_id, key, count(*) FROM xcom WHERE run_id = ? GROUP BY task_id, key", nightly_run
        )
        phases["nightly run"] = time.monotonic()

        # The per-file DAG: one mapped task per sample, each waiting in a triggerer. Its jobs take
        # long enough that no task's first poll (right after its create) finds one done, however
        # slow a loaded machine makes the task: each wait is the triggerer's.
        emulator.config.processing_seconds = 15.0
        per_file_conf = {
            "input_dir": f"s3://{S3_CONN_ID}@{AUDIO_BUCKET}/per_file",
            "output_dir": f"s3://{S3_CONN_ID}@{TRANSCRIPTS_BUCKET}/per_file",
        }
        now = datetime.now(timezone.utc)
        airflow.trigger_dag(PER_FILE, per_file_run, logical_date=now, conf=per_file_conf)
        per_file_state = airflow.wait_for_run_end(per_file_run, RUN_TIMEOUT_SECONDS)
        per_file_tries = dict(
            airflow.query(
                "SELECT rendered_map_index, try_number FROM task_instance WHERE run_id = ? AND task_id = ?",
                per_file_run,
                "transcribe",
            )
        )
        phases["per-file run"] = time.monotonic()
    phases["stop"] = time.monotonic()

    assert nightly_state == "success", (tries, _failed_tries(home, NIGHTLY, nightly_run))
    assert (interval_end - timedelta(days=1)).strftime("%Y/%m/%d") == DAY, interval_end  # the day it named
    assert tries[killed_index] >= 2, tries  # the task on the killed worker was retried
    after = emulator.stats()["creates_by_sha256"]
    creates = {digest: count - before.get(digest, 0) for digest, count in after.items()}
    assert {stem: creates.get(digest, 0) for stem, digest in hashes.items()} == dict.fromkeys(hashes, 1)
    written = _versions(s3, "nightly/")
    expected = {f"nightly/{DAY}/{stem}.{suffix}" for stem in hashes for suffix in FORMATS}
    assert {key: written.get(key, 0) for key in expected} == dict.fromkeys(expected, 1)
    manifests = [row for index in range(FILES // CHUNK_SIZE) for row in _manifest(s3, nightly_run, index)]
    assert len(manifests) == FILES and all(row["status"] == "transcribed" for row in manifests)
    # The killed task's retry ran on the surviving worker; every worker ran batch tasks.
    survivor = next(worker for worker in airflow.workers if worker != killed_worker)
    for worker in airflow.workers:
        assert _task_logs(airflow.workplace(worker), NIGHTLY, nightly_run), worker
    retried = [
        path
        for path in _task_logs(airflow.workplace(survivor), NIGHTLY, nightly_run)
        if f"map_index={killed_index}" in str(path) and "attempt=1.log" not in path.name
    ]
    assert retried, f"no retry of transcribe[{killed_index}] on {survivor}"
    # The waits ran in both triggerers (before and after the kill), under the same deadlines.
    for triggerer in airflow.triggerers:
        assert _trigger_logs(airflow.workplace(triggerer), nightly_run), triggerer
    for map_index, timeout in timeouts_before.items():
        assert timeouts_after.get(map_index, timeout) == timeout, map_index
    # Rows per batch task, not per file: a few hundred files cost a handful of rows.
    assert rows["task_instance"] == FILES // CHUNK_SIZE + 3, rows
    assert rows["xcom"] <= 3 * rows["task_instance"], rows

    assert per_file_state == "success", (per_file_tries, _failed_tries(home, PER_FILE, per_file_run))
    per_file_written = _versions(s3, "per_file/")
    for sample in mono_samples():
        # Each try that resumes writes its file's transcripts: a retried task (a heartbeat lost on a
        # loaded machine) writes them again, from the same job; it never submits again (below).
        tries_of_file = per_file_tries.get(sample.name, 1)
        for suffix in FORMATS:
            versions = per_file_written.get(f"per_file/{sample.stem}.{suffix}", 0)
            assert 1 <= versions <= tries_of_file, (sample.name, suffix, per_file_tries)
        text = s3.get_object(Bucket=TRANSCRIPTS_BUCKET, Key=f"per_file/{sample.stem}.txt")["Body"].read()
        assert text.decode().strip() == spoken_text(sample), sample.name
        assert creates.get(hashlib.sha256(sample.read_bytes()).hexdigest()) == 1, sample.name
    per_file_triggers = [
        path for name in airflow.triggerers for path in _trigger_logs(home / name, per_file_run)
    ]
    assert per_file_triggers, "the per-file waits did not run in a triggerer"
    print(
        f"\ndistributed e2e: {FILES} files in {FILES // CHUNK_SIZE} batch tasks; killed {killed_worker} "
        f"(tries of transcribe by map index: {tries}), {holder} "
        f"({len(held)} batch triggers adopted: {adoption}), the scheduler; 1 create per file; "
        f"rows for the run: {rows}; XCom rows by task and key: {xcom_keys}\n"
        + ", ".join(f"{name} +{at - phases['start']:.0f} s" for name, at in phases.items())
    )
