"""The nightly DAG on a distributed Airflow: one Celery worker against two, and rows per file.

The deployment is the one of ``tests/e2e/test_distributed.py`` (``tests/e2e/cluster.py``
``CeleryAirflow``: PostgreSQL, Redis, two triggerers, Celery workers of 4 task processes each,
audio and transcripts on moto's S3 server), against the emulator (5 s jobs) in a child process.
It runs the nightly DAG three times, each into an output prefix of its own:

1. ``--files`` files with one worker;
2. the same files with two workers: the ratio of the walls is the figure;
3. twice the files with two workers, in as many batch tasks (chunks twice as large): the metadata
   database's rows (task instances, XComs, and the most triggers seen at once) must be the same as
   in 2, since they grow with batch tasks, not with files.

Walls run from ``airflow dags trigger`` to the run's end. Run:
``.venv/bin/python benchmarks/distributed.py [--files 400] [--chunks 4]``. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]

from batch import API_KEY, PROCESSING_SECONDS, QUEUED_SECONDS, Emulator, Table, make_wavs  # noqa: E402

from tests.e2e.cluster import CeleryAirflow  # noqa: E402
from tests.e2e.servers import PostgresServer, RedisServer, S3Server  # noqa: E402
from tests.e2e.support import day_named_now  # noqa: E402

DAG_ID = "example_aimlstt_nightly"
S3_CONN_ID = "s3_bench"
IN_FLIGHT = 25


def run_nightly(
    work: Path, servers: tuple[PostgresServer, RedisServer, S3Server], env: dict[str, str], workers: int,
    files: int, chunk_size: int, name: str,
) -> dict[str, Any]:  # fmt: skip
    """One run of the nightly DAG on a fresh deployment; its wall, state and row counts.

    :param work: the benchmark's folder.
    :param servers: the running PostgreSQL, Redis and S3 servers.
    :param env: the components' extra environment.
    :param workers: how many Celery workers.
    :param files: how many files of the input prefix (``in/<files>/``).
    :param chunk_size: the DAG's ``chunk_size``.
    :param name: the run's name: its run id and output prefix.
    """
    postgres, redis, _ = servers
    postgres.execute("postgres", "DROP DATABASE IF EXISTS airflow WITH (FORCE)")
    postgres.execute("postgres", "CREATE DATABASE airflow")
    conf = {
        "input_dir": f"s3://{S3_CONN_ID}@audio/in/{files}",  # its files are in the folder of the day
        "output_dir": f"s3://{S3_CONN_ID}@transcripts/{name}",
        "chunk_size": chunk_size,
        "max_in_flight": IN_FLIGHT,
    }
    peak_triggers = 0
    with CeleryAirflow(work / name, REPO / "example_dags", env, postgres, redis, workers=workers) as airflow:
        airflow.wait_for(
            f"{DAG_ID} parsed",
            lambda: airflow.query("SELECT 1 FROM dag WHERE dag_id = ? AND NOT is_paused", DAG_ID) or None,
            180.0,
        )
        time.sleep(5.0)  # every worker connected to the broker
        started = time.monotonic()
        now = datetime.now(timezone.utc).isoformat()
        airflow.airflow(
            "dags", "trigger", DAG_ID, "--run-id", name, "--logical-date", now, "--conf", json.dumps(conf)
        )

        def ended() -> str | None:
            nonlocal peak_triggers
            peak_triggers = max(peak_triggers, airflow.query("SELECT count(*) FROM trigger")[0][0])
            return airflow.run_state(name)

        state = airflow.wait_for("the run's end", ended, 3600.0)
        wall = time.monotonic() - started
        counts = {
            table: airflow.query(f"SELECT count(*) FROM {table} WHERE run_id = ?", name)[0][0]
            for table in ("task_instance", "xcom")
        }
    return {"state": state, "wall": wall, **counts, "peak_triggers": peak_triggers}


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the three runs, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=400, help="files of runs 1 and 2 (run 3: twice)")
    parser.add_argument("--chunks", type=int, default=4, help="batch tasks per run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="aimlstt-bench-distributed-"))
    print(f"distributed benchmark on {os.cpu_count()} cores, {args.files} files, work in {work}")
    emulator = Emulator(queued_seconds=QUEUED_SECONDS, processing_seconds=PROCESSING_SECONDS)
    logs = work / "servers"
    logs.mkdir()
    servers = (PostgresServer(logs), RedisServer(logs), S3Server(logs))
    table = Table()
    try:
        for server in servers:
            server.start()
        s3 = servers[2].client()
        for bucket in ("audio", "transcripts"):
            s3.create_bucket(Bucket=bucket)
        for files in (args.files, 2 * args.files):
            for path in sorted(make_wavs(work / "wav" / str(files), files)):
                data = (work / "wav" / str(files) / path).read_bytes()
                s3.put_object(Bucket="audio", Key=f"in/{files}/{day_named_now()}/{path}", Body=data)
        connection = {"conn_type": "aimlstt", "host": emulator.base_url, "password": API_KEY}
        env = {
            "AIRFLOW_CONN_AIMLSTT_DEFAULT": json.dumps(connection),
            f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": servers[2].connection_json(),
            "AIMLSTT_NIGHTLY_SCHEDULE": "",
            "AIMLSTT_RETRY_DELAY_SECONDS": "5",
        }
        chunk = -(-args.files // args.chunks)
        one = run_nightly(work, servers, env, 1, args.files, chunk, "one_worker")
        two = run_nightly(work, servers, env, 2, args.files, chunk, "two_workers")
        double = run_nightly(work, servers, env, 2, 2 * args.files, 2 * chunk, "two_workers_twice_the_files")
    finally:
        for server in reversed(servers):
            server.stop()
        emulator.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    label = f"{args.files} files, {args.chunks} batch tasks x {IN_FLIGHT} in flight"
    table.add(f"{label}: wall, 1 worker (run {one['state']})", f"{one['wall']:.1f} s")
    table.add(f"{label}: wall, 2 workers (run {two['state']})", f"{two['wall']:.1f} s")
    table.add(f"{label}: 1 worker / 2 workers", f"{one['wall'] / two['wall']:.2f}x")
    for key in ("task_instance", "xcom", "peak_triggers"):
        per_file = f"{two[key] / args.files:.3f} / {double[key] / (2 * args.files):.3f} a file"
        table.add(
            f"{key} rows: {args.files} files / {2 * args.files} files (same batch tasks)",
            f"{two[key]} / {double[key]} ({per_file})",
            "the same",
            two[key] == double[key],
        )
    table.add(f"{2 * args.files} files, 2 workers: wall (run {double['state']})", f"{double['wall']:.1f} s")
    table.print()


if __name__ == "__main__":
    main(sys.argv[1:])
