"""Batch benchmark: the batch operator in ``dag.test()`` against a floor measured in the same run.

1. Throughput: N distinct short WAVs through ``AimlSttBatchTranscribeOperator`` in ``dag.test()``
   (the trigger runs in line, in this process: NOT a real scheduler + triggerer), against a plain
   script of threads submitting and polling through ``AimlSttHook`` with the same concurrency.
2. Concurrency limit: the emulator refuses creates beyond ``max_concurrent_jobs``; the batch
   must finish every file close to that limit's own floor (job-seconds / limit).
3. Triggerer: one ``AimlSttBatchTrigger`` watching thousands of ids in one event loop, with a
   probe coroutine measuring the loop's lateness, and the process's RSS growth.

The emulator runs in a child process, so this process's CPU time is Airflow's and the provider's.
Run standalone (``.venv/bin/python benchmarks/batch.py [--quick] [--files N]``) or from
``benchmarks/run.py``. It prints figures and pass/fail per goal; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing
import os
import shutil
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

API_KEY = "bench-key"
MODEL = "#g1_nova-2-general"
FORMATS = ("txt", "json")
QUEUED_SECONDS, PROCESSING_SECONDS = 1.0, 4.0
JOB_SECONDS = QUEUED_SECONDS + PROCESSING_SECONDS
FETCH_ROUTE = "GET /v1/stt/{generation_id}"
FETCH_LOG = False
"""``--fetch-log``: the emulator logs every GET, and the throughput part says where they went."""
POKE, MAX_POKE, CONCURRENT_POLLS = 1.0, 2.0, 32
"""The batch trigger's poll schedule and concurrency in this benchmark (the provider's are 10 s
growing to 60 s, 16 polls at once): its internal constants, set by :func:`use_bench_schedule`."""

DAG_SOURCE = f'''
import pendulum
from airflow.providers.common.compat.sdk import Param, dag
from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator


@dag(dag_id="aimlstt_bench_batch", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
     catchup=False, params={{"input_dir": Param("/tmp/none", type="string"),
                              "output_dir": Param("/tmp/none-out", type="string")}})
def aimlstt_bench_batch():
    AimlSttBatchTranscribeOperator(
        task_id="batch", input_path="{{{{ params.input_dir }}}}", output_path="{{{{ params.output_dir }}}}",
        model="{MODEL}", formats={FORMATS!r},
    )


aimlstt_bench_batch()
'''


# -- the emulator, in its own process ---------------------------------------------------------


def _emulator_main(conn: Connection, settings: dict[str, Any]) -> None:
    """Child process: run an emulator and answer ``(command, argument)`` messages on ``conn``."""
    from aimlstt_emulator import EmulatorConfig, EmulatorServer
    from aimlstt_emulator.catalog import MODEL_FAMILIES
    from aimlstt_emulator.jobs import new_generation_id

    record = settings.pop("record_fetches", False)
    server = EmulatorServer(EmulatorConfig(api_key=API_KEY, **settings)).start()
    fetches: list[tuple[str, float, str, str]] = []
    if record:
        _record_fetches(server, fetches)
    conn.send(server.base_url)
    while True:
        command, argument = conn.recv()
        if command == "stats":
            conn.send(server.stats())
        elif command == "config":
            for name, value in argument.items():
                setattr(server.config, name, value)
            server.config.validate()
            conn.send(None)
        elif command == "jobs":  # make `argument` jobs directly in the store, for the trigger
            family = MODEL_FAMILIES[MODEL]
            ids = [new_generation_id(family) for _ in range(argument)]
            for gid in ids:
                server.jobs.add(gid, MODEL, family, {"text": "bench"})
            conn.send(ids)
        elif command == "fetches":  # each job's creation, finish and GETs (``record_fetches``)
            conn.send(_fetch_log(server, fetches))
        elif command == "stop":
            server.stop()
            conn.send(None)
            return


def _record_fetches(server: Any, fetches: list[tuple[str, float, str, str]]) -> None:
    """Log every GET of a job: its id, the emulator's clock, the status answered, and the client's
    header names (the trigger's httpx client and a task's requests send different ones)."""
    from urllib.parse import unquote

    from aimlstt_emulator.urls import ROUTES
    from airflow_provider_aimlstt.protocol import FETCH_PATH

    route = next(route for route in ROUTES.routes if route.template == FETCH_PATH)
    original = route.handlers["GET"]

    def recording(handler: Any, parameters: Any) -> Any:
        status, body = original(handler, parameters)
        client = ",".join(handler.headers.keys())
        generation_id = unquote(parameters["generation_id"])
        fetches.append((generation_id, server.clock.now(), str(body.get("status")), client))
        return status, body

    route.handlers["GET"] = recording


def _fetch_log(server: Any, fetches: list[tuple[str, float, str, str]]) -> dict[str, Any]:
    jobs = {}
    for gid in {gid for gid, *_ in fetches}:
        job = server.jobs.get(gid)
        if job is not None:
            jobs[gid] = (job.created_at, server.jobs.finishes_at(job))
    return {"jobs": jobs, "fetches": list(fetches)}


class Emulator:
    """A handle on the emulator child process."""

    def __init__(self, **settings: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_emulator_main, args=(child, settings), daemon=True)
        self._process.start()
        self.base_url: str = self._conn.recv()

    def ask(self, command: str, argument: Any = None) -> Any:
        """Send one command and return its answer."""
        self._conn.send((command, argument))
        return self._conn.recv()

    def stop(self) -> None:
        """Stop the server and its process."""
        self.ask("stop")
        self._process.join(10)


# -- inputs, environment ----------------------------------------------------------------------


def make_wavs(folder: Path, count: int, seconds: float = 0.5) -> dict[str, str]:
    """Write ``count`` distinct mono 8 kHz WAVs; return name -> sha256."""
    import wave

    folder.mkdir(parents=True)
    rate = 8000
    base = [int(8000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(int(rate * seconds))]
    hashes: dict[str, str] = {}
    for index in range(count):
        samples = list(base)
        samples[0], samples[1] = index % 30000, index // 30000  # each file its own bytes
        path = folder / f"rec_{index:05d}.wav"
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(rate)
            audio.writeframes(struct.pack(f"<{len(samples)}h", *samples))
        hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def set_up_airflow(home: Path) -> Path:
    """Point Airflow at a fresh home and dags folder (before Airflow is imported); return the folder."""
    dags = home / "dags"
    dags.mkdir(parents=True)
    (dags / "aimlstt_bench_batch.py").write_text(DAG_SOURCE)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    return dags


def use_bench_schedule() -> None:
    """Poll on this benchmark's schedule (``dag.test()`` runs the trigger in this process)."""
    from airflow_provider_aimlstt.triggers import batch as batch_trigger

    batch_trigger.FIRST_POLL_SECONDS = POKE
    batch_trigger.MAX_POLL_SECONDS = MAX_POKE
    batch_trigger.MAX_CONCURRENT_POLLS = CONCURRENT_POLLS


def use_emulator(base_url: str) -> None:
    """The ``aimlstt_default`` connection, pointing at the emulator."""
    os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"] = json.dumps(
        {
            "conn_type": "aimlstt",
            "host": base_url,
            "password": API_KEY,
            "extra": {"api_retry_backoff": 0.05, "api_retry_max_backoff": 0.5},
        }
    )


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- results ----------------------------------------------------------------------------------


@dataclass
class Table:
    """Rows of ``(figure, value, goal, verdict)``."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, figure: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        """Add one row; ``ok`` None means no goal."""
        self.rows.append((figure, value, goal, "" if ok is None else ("PASS" if ok else "FAIL")))

    def print(self) -> None:
        """Print the table."""
        widths = [max(len(row[i]) for row in [("figure", "value", "goal", ""), *self.rows]) for i in range(4)]
        for row in [("figure", "value", "goal", "verdict"), *self.rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@dataclass
class BatchRun:
    """What one ``dag.test()`` of the batch DAG did."""

    state: str
    wall: float
    cpu: float
    counts: dict[str, Any]
    creates: Counter[int]
    writes: Counter[int]
    rate_limited: int


# -- the floor: a plain script through the hook -----------------------------------------------


def floor_run(
    input_dir: Path, output_dir: Path, concurrency: int, formats: tuple[str, ...] = FORMATS
) -> float:
    """Wall seconds for threads that submit, poll (every 0.5 s) and write each file's transcripts.

    :param input_dir: the WAVs.
    :param output_dir: where the transcripts go (made here).
    :param concurrency: threads, each one file at a time.
    :param formats: the formats written per file.
    """
    from airflow_provider_aimlstt.batch.work import request_for
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
    from airflow_provider_aimlstt.outputs.delivery import completed_result
    from airflow_provider_aimlstt.outputs.writer import write_transcript_files
    from airflow_provider_aimlstt.transcripts import to_transcript

    local = threading.local()
    files = sorted(input_dir.iterdir())
    output_dir.mkdir(parents=True)

    def one(path: Path) -> None:
        hook = getattr(local, "hook", None)
        if hook is None:
            hook = local.hook = AimlSttHook()
        request = request_for(str(path), MODEL, {}, False)
        gid = hook.submit(request)
        while not (job := hook.get_job(gid)).is_finished:
            time.sleep(0.5)
        transcript = to_transcript(completed_result(job, gid), model=MODEL, generation_id=gid)
        write_transcript_files(transcript, str(output_dir), path.stem, formats)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, files))
    return time.monotonic() - started


# -- the batch DAG in dag.test() --------------------------------------------------------------


def dag_run(
    dag: Any, emulator: Emulator, input_dir: Path, output_dir: Path, hashes: dict[str, str], in_flight: int
) -> BatchRun:
    """Run the batch DAG once with ``dag.test()``; count creates and transcript writes per file."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    import airflow_provider_aimlstt.outputs.writer as writer

    dag.get_task("batch").max_in_flight = in_flight
    writes: Counter[str] = Counter()
    original = writer.write_transcript_files

    def counting(transcript: Any, output_path: Any, output_name: str, *args: Any, **kwargs: Any) -> Any:
        writes[output_name] += 1
        return original(transcript, output_path, output_name, *args, **kwargs)

    before_stats = emulator.ask("stats")
    writer.write_transcript_files = counting  # type: ignore[assignment]
    cpu0, wall0 = time.process_time(), time.monotonic()
    try:
        run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})
    finally:
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        writer.write_transcript_files = original  # type: ignore[assignment]
    after_stats = emulator.ask("stats")
    with create_session() as session:
        row = session.execute(
            XComModel.get_many(
                key="return_value", run_id=run.run_id, dag_ids=dag.dag_id, task_ids="batch", map_indexes=-1
            ).with_only_columns(XComModel.value)
        ).first()
    counts = {} if row is None else XComModel.deserialize_value(row)
    made = after_stats["creates_by_sha256"]
    old = before_stats["creates_by_sha256"]
    creates = Counter(made.get(d, 0) - old.get(d, 0) for d in hashes.values())
    limited = after_stats.get("concurrency_limited", 0) - before_stats.get("concurrency_limited", 0)
    return BatchRun(
        state=str(run.state),
        wall=wall,
        cpu=cpu,
        counts=counts,
        creates=creates,
        writes=Counter(writes[Path(name).stem] for name in hashes),
        rate_limited=limited,
    )


def fetch_breakdown(log: dict[str, Any], files: int) -> list[tuple[str, str]]:
    """Where the GETs of a run went, per file: by the status they answered and the client that
    sent them, and when a job's first GET came and how late the one that saw it finished was.

    :param log: the emulator's ``fetches`` answer (started with ``record_fetches=True``).
    :param files: the files of the run.
    """
    jobs, fetches = log["jobs"], log["fetches"]
    if os.environ.get("AIMLSTT_BENCH_FETCH_LOG"):  # the raw log, for a closer look
        Path(os.environ["AIMLSTT_BENCH_FETCH_LOG"]).write_text(json.dumps(log))
    clients = {client for *_, client in fetches}
    names = {client: f"client {index}" for index, client in enumerate(sorted(clients))}
    by_kind: Counter[str] = Counter()
    by_job: dict[str, list[tuple[float, str, str]]] = {}
    for gid, moment, status, client in fetches:
        by_job.setdefault(gid, []).append((moment, status, names[client]))
    first_after, late, pending_polls = [], [], Counter()
    for gid, gets in by_job.items():
        gets.sort()
        created, finishes = jobs.get(gid, (gets[0][0], gets[0][0]))
        first_after.append(gets[0][0] - created)
        pending = sum(status not in ("completed", "error") for _, status, _ in gets)
        pending_polls[pending] += 1
        seen = 0
        for moment, status, client in gets:
            if status not in ("completed", "error"):
                by_kind[f"pending, {client}"] += 1
                continue
            seen += 1
            kind = "saw it finished" if seen == 1 else "fetch" if seen == 2 else "3rd+ finished GET"
            by_kind[f"{kind}, {client}"] += 1
            if seen == 1:
                late.append(moment - finishes)
    rows = [("GETs per file, by kind and client", ", ".join(
        f"{kind} {count / files:.2f}" for kind, count in sorted(by_kind.items())))]  # fmt: skip
    rows.append(("clients (header names)", "; ".join(f"{name}: {client}" for client, name in names.items())))
    rows.append(("jobs by pending GETs", ", ".join(f"{k}: {n}" for k, n in sorted(pending_polls.items()))))
    if first_after:
        quantiles = statistics.quantiles(first_after, n=10) if len(first_after) > 1 else first_after * 9
        rows.append(("first GET after create (s): min / p10 / median / p90 / max",
                     f"{min(first_after):.2f} / {quantiles[0]:.2f} / {statistics.median(first_after):.2f} / "
                     f"{quantiles[-1]:.2f} / {max(first_after):.2f}"))  # fmt: skip
    if late:
        rows.append(("finish to the GET that saw it (s): median / p90 / max",
                     f"{statistics.median(late):.2f} / {statistics.quantiles(late, n=10)[-1]:.2f} / "
                     f"{max(late):.2f}"))  # fmt: skip
    return rows


def _once(counter: Counter[int]) -> str:
    return ", ".join(f"{n} x{k}" for k, n in sorted(counter.items()))


def bench_throughput(table: Table, dag: Any, work: Path, files: int, in_flight: int) -> None:
    """Part 1: the batch DAG against the hook floor, both against one emulator with 5 s jobs."""
    emulator = Emulator(
        queued_seconds=QUEUED_SECONDS, processing_seconds=PROCESSING_SECONDS, record_fetches=FETCH_LOG
    )
    try:
        use_emulator(emulator.base_url)
        hashes = make_wavs(work / "tp_in", files)
        floor = floor_run(work / "tp_in", work / "tp_floor_out", in_flight)
        shutil.rmtree(work / "tp_floor_out")
        gets_before = emulator.ask("stats")["requests_by_route"].get(FETCH_ROUTE, 0)
        log_before = len(emulator.ask("fetches")["fetches"]) if FETCH_LOG else 0
        result = dag_run(dag, emulator, work / "tp_in", work / "tp_out", hashes, in_flight)
        gets = emulator.ask("stats")["requests_by_route"].get(FETCH_ROUTE, 0) - gets_before
        log = emulator.ask("fetches") if FETCH_LOG else None
    finally:
        emulator.stop()
    goal = 1.5 * floor + 45
    print(f"throughput: {files} files, {in_flight} in flight: DAG {result.state} {result.counts}")
    table.add(f"throughput: files / in flight (jobs {JOB_SECONDS:.0f} s)", f"{files} / {in_flight}")
    table.add("throughput: floor wall (hook threads)", f"{floor:.1f} s")
    table.add(
        "throughput: DAG wall (dag.test)", f"{result.wall:.1f} s", f"<= {goal:.1f} s", result.wall <= goal
    )
    table.add("throughput: ratio DAG / floor", f"{result.wall / floor:.2f}x")
    table.add("throughput: GETs per file (DAG)", f"{gets / files:.2f}")
    if log is not None:
        log["fetches"] = log["fetches"][log_before:]
        for figure, value in fetch_breakdown(log, files):
            table.add(f"throughput: {figure}", value)
    per_file = result.cpu / files * 1000
    table.add("throughput: Airflow CPU per file", f"{per_file:.1f} ms", "<= 50 ms", per_file <= 50)
    table.add("throughput: creates per file", _once(result.creates), "all 1", set(result.creates) == {1})
    table.add("throughput: writes per file", _once(result.writes), "all 1", set(result.writes) == {1})
    transcribed = result.counts.get("transcribed")
    table.add("throughput: transcribed", str(transcribed), f"{files}", transcribed == files)


def bench_limit(table: Table, dag: Any, work: Path, files: int, in_flight: int, limit: int) -> None:
    """Part 2: the emulator allows ``limit`` unfinished jobs; the batch asks for more."""
    emulator = Emulator(
        queued_seconds=QUEUED_SECONDS, processing_seconds=PROCESSING_SECONDS, max_concurrent_jobs=limit
    )
    try:
        use_emulator(emulator.base_url)
        hashes = make_wavs(work / "lim_in", files)
        result = dag_run(dag, emulator, work / "lim_in", work / "lim_out", hashes, in_flight)
    finally:
        emulator.stop()
    floor = files * JOB_SECONDS / limit
    failed = result.counts.get("failed")
    print(
        f"limit: {files} files, limit {limit}, max_in_flight {in_flight}: DAG {result.state} {result.counts}"
    )
    table.add(f"limit {limit}: files / max_in_flight", f"{files} / {in_flight}")
    table.add(f"limit {limit}: failed files", str(failed), "0", failed == 0 and result.state == "success")
    table.add(f"limit {limit}: 429s from the limit", str(result.rate_limited))
    table.add(f"limit {limit}: floor (job-s / {limit})", f"{floor:.1f} s")
    table.add(f"limit {limit}: DAG wall", f"{result.wall:.1f} s ({result.wall / floor:.2f}x)", "<= 1.3x",
              result.wall <= 1.3 * floor)  # fmt: skip
    table.add(f"limit {limit}: creates per file", _once(result.creates), "all 1", set(result.creates) == {1})


def bench_trigger(table: Table, ids: int, job_seconds: float) -> None:
    """Part 3: one batch trigger over ``ids`` jobs in one loop, with a lateness probe."""
    from airflow_provider_aimlstt.triggers import batch as batch_trigger
    from airflow_provider_aimlstt.triggers.batch import AimlSttBatchTrigger

    emulator = Emulator(queued_seconds=1.0, processing_seconds=job_seconds - 1.0)
    try:
        use_emulator(emulator.base_url)
        generation_ids: list[str] = emulator.ask("jobs", ids)
        made_at = time.time()
        batch_trigger.FIRST_POLL_SECONDS, batch_trigger.MAX_POLL_SECONDS = 5.0, 15.0
        trigger = AimlSttBatchTrigger(
            generation_ids=generation_ids,
            aimlstt_conn_id="aimlstt_default",
            deadline=time.time() + 600,
            created_at=[made_at] * ids,
        )
        before = emulator.ask("stats")["requests_total"]
        lateness: list[float] = []
        peak = [0]

        async def probe(stop: asyncio.Event) -> None:
            while not stop.is_set():
                due = time.monotonic() + 0.2
                await asyncio.sleep(0.2)
                lateness.append(max(0.0, time.monotonic() - due))
                peak[0] = max(peak[0], _rss_bytes())

        async def main() -> tuple[dict[str, Any], float]:
            stop = asyncio.Event()
            probing = asyncio.create_task(probe(stop))
            started = time.monotonic()
            event: dict[str, Any] = {}
            async for fired in trigger.run():
                event = fired.payload
                break
            took = time.monotonic() - started
            stop.set()
            await probing
            return event, took

        rss0, cpu0 = _rss_bytes(), time.process_time()
        event, took = asyncio.run(main())
        cpu = time.process_time() - cpu0
        polls = emulator.ask("stats")["requests_total"] - before
    finally:
        emulator.stop()
    growth = (peak[0] - rss0) / 2**20
    p99 = statistics.quantiles(lateness, n=100)[98] if len(lateness) >= 2 else float("nan")
    finished = len(event.get("finished", {}))
    print(f"trigger: {ids} ids, event {event.get('status')} with {finished} finished after {took:.1f} s")
    table.add("trigger: ids / job length", f"{ids} / {job_seconds:.0f} s")
    table.add("trigger: wait until fired", f"{took:.1f} s ({finished} finished)", f"{ids} finished",
              finished == ids)  # fmt: skip
    table.add("trigger: polls / CPU", f"{polls} ({polls / ids:.1f} per id) / {cpu:.1f} s")
    table.add("trigger: RSS growth", f"{growth:.1f} MB", "<= 40 MB", growth <= 40)
    table.add("trigger: probe lateness p99", f"{p99 * 1000:.0f} ms (max {max(lateness) * 1000:.0f})",
              "<= 1 s", p99 <= 1.0)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the three parts, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--files", type=int, help="files of the throughput part (default 1500)")
    parser.add_argument("--in-flight", type=int, default=100, help="max_in_flight and floor threads")
    parser.add_argument("--limit-files", type=int, help="files of the limit part (default 200)")
    parser.add_argument("--trigger-ids", type=int, help="ids of the trigger part (default 5000)")
    parser.add_argument("--fetch-log", action="store_true", help="where the GETs went, per file")
    parser.add_argument("--only-throughput", action="store_true", help="skip the limit and trigger parts")
    args = parser.parse_args(argv)
    global FETCH_LOG
    FETCH_LOG = args.fetch_log
    files = args.files or (150 if args.quick else 1500)
    limit_files = args.limit_files or (60 if args.quick else 200)
    trigger_ids = args.trigger_ids or (1000 if args.quick else 5000)

    work = Path(tempfile.mkdtemp(prefix="aimlstt-bench-"))
    try:
        set_up_airflow(work / "airflow")
        from airflow.dag_processing.dagbag import DagBag
        from airflow.utils import db

        db.resetdb(skip_init=False)
        bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
        if bag.import_errors:
            raise SystemExit(f"the benchmark DAG did not parse: {bag.import_errors}")
        dag = bag.dags["aimlstt_bench_batch"]
        print(f"batch benchmark on {os.cpu_count()} cores; the DAG runs in dag.test() (trigger in line)")
        table = Table()
        use_bench_schedule()
        bench_throughput(table, dag, work, files, args.in_flight)
        from aimlstt_emulator import EmulatorConfig

        if args.only_throughput:
            pass
        elif "max_concurrent_jobs" in EmulatorConfig.__dataclass_fields__:
            bench_limit(table, dag, work, limit_files, 32, 20)
        else:
            print("limit: skipped, EmulatorConfig has no max_concurrent_jobs yet")
        if not args.only_throughput:
            bench_trigger(table, trigger_ids, 20.0)
        table.print()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(quick: bool = True) -> None:
    """Entry point for ``benchmarks/run.py``."""
    main(["--quick"] if quick else [])


if __name__ == "__main__":
    main(sys.argv[1:])
