"""Benchmark P2: 1,000 waits in one event loop, ours beside two Airflow triggers that do the same.

Each of three runs starts 1,000 triggers' ``run()`` in one asyncio loop of a fresh process (as a
triggerer would) and runs them until every one fired:

- ours: :class:`AimlSttTrigger` (poke 5 s, max 15 s) against the emulator, made as the operators
  make it (``polled_at_start``: the task polled the job just before it deferred, so the trigger's
  first poll comes after its first wait; the anchors' triggers poll at once);
- ``HttpEventTrigger`` (apache-airflow-providers-http, poll every 5 s) against the same emulator,
  with a response check that reads the job's status;
- ``DbtCloudRunJobTrigger`` (apache-airflow-providers-dbt-cloud, poll every 5 s) against a small
  fake dbt Cloud endpoint over TLS (its hook insists on https), with a self-signed certificate
  made here.

Every server is a separate process and answers each poll 300 ms late; each job finishes 60 s
after it was made. Figures, the same way for all three:

- RSS growth: the process's peak RSS while the triggers run, less its RSS just before they were made;
- poll lateness: per poll, from the moment the trigger's sleep before it was due to end to the
  moment the poll's first bytes were handed to its socket (event-loop wake-up queueing, waits for
  a pooled connection, TCP connect and TLS handshake when a new connection is made); p99 over
  every poll that followed a sleep;
- CPU: the process's CPU seconds while the triggers run; GETs: as counted by the servers.

Run with ``PYTHONPATH=. .bench/venv/bin/python benchmarks/trigger_waits.py`` (``--waits 100`` for
a quick look). Logging is at WARNING in every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from goals import GoalResult, print_table

WAITS = 1_000
JOB_SECONDS = 60.0
LATENCY_SECONDS = 0.3
POLL_SECONDS = 5.0
OUR_MAX_POLL_SECONDS = 15.0
API_KEY = "bench-key"
DBT_ACCOUNT = 7
RSS_GOAL_MIB = 40.0
LATENESS_GOAL_SECONDS = 1.0
SCENARIOS = ("ours", "http", "dbt")
LABELS = {"ours": "AimlSttTrigger", "http": "HttpEventTrigger", "dbt": "DbtCloudRunJobTrigger"}


@dataclass(frozen=True)
class Figures:
    """What one run measured.

    :param rss_mib: RSS growth, MiB.
    :param p99: poll lateness p99, seconds.
    :param cpu: CPU seconds.
    :param gets: GETs the server counted.
    :param fired: triggers that fired.
    :param wall: seconds until the last fired.
    """

    rss_mib: float
    p99: float
    cpu: float
    gets: int
    fired: int
    wall: float

    def describe(self, waits: int) -> str:
        """The figures in words."""
        return (
            f"+{self.rss_mib:.0f} MiB, p99 {self.p99:.2f} s, {self.cpu:.0f} s CPU, "
            f"{self.gets:,} GETs ({self.fired}/{waits} fired)"
        )


# -- one run, in its own process ----------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _install_lateness_probe() -> list[float]:
    """Record, per task, when its sleep was due to end, and the lateness of its next socket write."""
    import asyncio.selector_events as selector_events

    planned: dict[int, float] = {}
    lateness: list[float] = []
    sleep = asyncio.sleep

    async def recording_sleep(delay: float, result: Any = None) -> Any:
        task = asyncio.current_task()
        if task is not None and delay >= 1.0:
            planned[id(task)] = asyncio.get_running_loop().time() + delay
        return await sleep(delay, result)

    write = selector_events._SelectorSocketTransport.write

    def recording_write(self: Any, data: Any) -> None:
        task = asyncio.current_task() if asyncio._get_running_loop() is not None else None
        if task is not None:
            due = planned.pop(id(task), None)
            if due is not None:
                lateness.append(max(0.0, asyncio.get_running_loop().time() - due))
        write(self, data)

    asyncio.sleep = recording_sleep  # type: ignore[assignment]
    selector_events._SelectorSocketTransport.write = recording_write  # type: ignore[method-assign]
    return lateness


def _make_triggers(scenario: str, ids: list[str]) -> list[Any]:
    deadline = time.time() + 20 * JOB_SECONDS
    if scenario == "ours":
        from airflow_provider_aimlstt import defaults
        from airflow_provider_aimlstt.triggers.job import AimlSttTrigger

        defaults.MAX_POLL_SECONDS = OUR_MAX_POLL_SECONDS  # a tuning constant, not an argument
        return [
            AimlSttTrigger.starting_now(
                deadline - time.time(),
                generation_id=gid,
                aimlstt_conn_id="bench_aimlstt",
                poke_interval=POLL_SECONDS,
                polled_at_start=True,  # as the operators defer: the task polled just before
            )
            for gid in ids
        ]
    if scenario == "http":
        from airflow.providers.http.triggers.http import HttpEventTrigger

        return [
            HttpEventTrigger(
                response_check_path="_http_event_check.job_completed",
                http_conn_id="bench_http",
                endpoint=f"v1/stt/{gid}",
                headers={"Authorization": f"Bearer {API_KEY}"},
                poll_interval=POLL_SECONDS,
            )
            for gid in ids
        ]
    from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger

    return [
        DbtCloudRunJobTrigger(
            conn_id="bench_dbt",
            run_id=int(gid),
            end_time=deadline,
            poll_interval=POLL_SECONDS,
            account_id=None,
        )
        for gid in ids
    ]


def run_scenario(scenario: str, ids: list[str]) -> dict[str, Any]:
    """Run the triggers of one scenario to their events in one loop; their figures.

    :param scenario: ``ours``, ``http`` or ``dbt``.
    :param ids: the jobs' ids (dbt: run ids).
    """
    _make_triggers(scenario, ids[:1])  # imports done before the baseline
    lateness = _install_lateness_probe()
    rss_before = _rss_bytes()
    cpu_before = time.process_time()
    started = time.monotonic()
    peak = [rss_before]

    async def sample(stop: asyncio.Event) -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            await asyncio.sleep(0.5)

    async def one(trigger: Any) -> bool:
        async for event in trigger.run():
            return event.payload.get("status") == "success"
        return False

    async def main() -> list[bool]:
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(stop))
        triggers = _make_triggers(scenario, ids)
        outcomes = await asyncio.gather(*(one(trigger) for trigger in triggers), return_exceptions=True)
        stop.set()
        await sampler
        return [outcome is True for outcome in outcomes]

    outcomes = asyncio.run(main())
    return {
        "rss_mib": (max(peak[0], _rss_bytes()) - rss_before) / 2**20,
        "p99": statistics.quantiles(lateness, n=100)[98] if len(lateness) > 1 else float("nan"),
        "cpu": time.process_time() - cpu_before,
        "fired": sum(outcomes),
        "wall": time.monotonic() - started,
        "lateness_samples": len(lateness),
    }


# -- the fake dbt Cloud endpoint (a process of its own) -----------------------------------------


def serve_dbt(port_file: str, cert: str, key: str, job_seconds: float, latency: float) -> None:
    """Answer dbt Cloud's run status over TLS: running until ``job_seconds`` after a run's first poll.

    :param port_file: where to write the port.
    :param cert: the certificate file.
    :param key: its key file.
    :param job_seconds: each run's length.
    :param latency: the delay of each answer.
    """
    import ssl

    first_seen: dict[str, float] = {}
    counted = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/count"):
                return self._answer({"gets": counted[0]}, wait=0.0)
            run_id = self.path.rstrip("/").split("?")[0].rsplit("/", 1)[-1]
            with lock:
                counted[0] += 1
                began = first_seen.setdefault(run_id, time.time())
            status = 10 if time.time() - began >= job_seconds else 3
            return self._answer({"data": {"id": run_id, "status": status}}, wait=latency)

        def _answer(self, body: dict[str, Any], wait: float) -> None:
            time.sleep(wait)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 2048
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


# -- the orchestration ----------------------------------------------------------------------------


def _wait_for_port(port_file: Path, process: subprocess.Popen[bytes]) -> int:
    for _ in range(300):
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text())
        if process.poll() is not None:
            raise RuntimeError("a server of the benchmark did not start")
        time.sleep(0.1)
    raise RuntimeError("a server of the benchmark did not start in 30 s")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _make_jobs(base_url: str, count: int) -> list[str]:
    import requests

    with requests.Session() as session:
        return [
            session.post(
                f"{base_url}/v1/stt/create",
                json={"model": "#g1_nova-2-general", "url": f"https://example.com/bench/{index}.mp3"},
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=30,
            ).json()["generation_id"]
            for index in range(count)
        ]


def _fetch_gets(base_url: str) -> int:
    import requests

    stats = requests.get(f"{base_url}/_emulator/stats", timeout=30).json()
    return int(stats.get("requests_by_route", {}).get("GET /v1/stt/{generation_id}", 0))


def _run_child(scenario: str, ids: list[str], env: dict[str, str], folder: Path) -> dict[str, Any]:
    ids_file = folder / f"{scenario}-ids.json"
    ids_file.write_text(json.dumps(ids))
    done = subprocess.run(
        [sys.executable, __file__, "--scenario", scenario, "--ids-file", str(ids_file)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the {scenario} run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    waits: int = WAITS, job_seconds: float = JOB_SECONDS, only: tuple[str, ...] = SCENARIOS
) -> dict[str, Figures]:
    """Run the scenarios, each in a fresh process, against servers in processes of their own.

    :param waits: triggers per run.
    :param job_seconds: each job's length.
    :param only: the scenarios to run.
    """
    figures: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(folder / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }
        emulator_port = folder / "emulator.port"
        emulator = subprocess.Popen(
            [sys.executable, "-m", "aimlstt_emulator", "--port", "0", "--port-file",
             str(emulator_port), "--api-key", API_KEY, "--queued-seconds", "1", "--processing-seconds",
             str(job_seconds - 1), "--retention-seconds", "7200", "--fault-latency-seconds",
             str(LATENCY_SECONDS), "--fault-latency-probability", "1", "--fault-routes", "fetch"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        dbt = None
        try:
            base_url = f"http://127.0.0.1:{_wait_for_port(emulator_port, emulator)}"
            env["AIRFLOW_CONN_BENCH_AIMLSTT"] = json.dumps(
                {"conn_type": "aimlstt", "host": base_url, "password": API_KEY}
            )
            env["AIRFLOW_CONN_BENCH_HTTP"] = json.dumps({"conn_type": "http", "host": base_url})
            if "dbt" in only:
                cert, key = _self_signed(folder)
                dbt_port_file = folder / "dbt.port"
                dbt = subprocess.Popen(
                    [sys.executable, __file__, "--serve-dbt", str(dbt_port_file), "--cert", str(cert),
                     "--key", str(key), "--job-seconds", str(job_seconds)],
                    env=env,
                )  # fmt: skip
                dbt_port = _wait_for_port(dbt_port_file, dbt)
                env["AIRFLOW_CONN_BENCH_DBT"] = json.dumps(
                    {"conn_type": "dbt_cloud", "host": f"127.0.0.1:{dbt_port}", "login": str(DBT_ACCOUNT),
                     "password": "bench-token"}
                )  # fmt: skip
                env["SSL_CERT_FILE"] = str(cert)
            for scenario in only:
                if scenario == "dbt":
                    ids = [str(index) for index in range(1, waits + 1)]
                    before = 0
                else:
                    ids = _make_jobs(base_url, waits)
                    before = _fetch_gets(base_url)
                result = _run_child(scenario, ids, env, folder)
                if scenario == "dbt":
                    import requests

                    gets = requests.get(
                        f"https://127.0.0.1:{dbt_port}/count", verify=str(cert), timeout=30
                    ).json()
                    gets = int(gets["gets"])
                else:
                    gets = _fetch_gets(base_url) - before
                figures[scenario] = Figures(
                    result["rss_mib"], result["p99"], result["cpu"], gets, result["fired"], result["wall"]
                )
                timed = result["lateness_samples"]
                print(f"{LABELS[scenario]}: {figures[scenario].describe(waits)}, last event after "
                      f"{result['wall']:.0f} s, {timed} polls timed", flush=True)  # fmt: skip
        finally:
            for process in (emulator, dbt):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=10)
    return figures


def goals(waits: int = WAITS, job_seconds: float = JOB_SECONDS) -> list[GoalResult]:
    """The P2 row: ours beside both anchors, measured in this run.

    :param waits: triggers per run.
    :param job_seconds: each job's length.
    """
    figures = measure(waits, job_seconds)
    ours = figures["ours"]
    anchors = [figures[name] for name in ("http", "dbt")]
    better = all(
        ours.rss_mib <= anchor.rss_mib and ours.p99 <= anchor.p99 and ours.cpu <= anchor.cpu
        for anchor in anchors
    )
    passed = (
        ours.rss_mib <= RSS_GOAL_MIB and ours.p99 <= LATENESS_GOAL_SECONDS and better and ours.fired == waits
    )
    ratios = ", ".join(
        f"vs {LABELS[name]}: RSS x{ours.rss_mib / max(figures[name].rss_mib, 1e-9):.2f}, "
        f"p99 x{ours.p99 / figures[name].p99:.2f}, CPU x{ours.cpu / figures[name].cpu:.2f}, "
        f"GETs x{ours.gets / max(figures[name].gets, 1):.2f}"
        for name in ("http", "dbt")
    )
    print(f"ratios, ours / anchor: {ratios}")
    return [
        GoalResult(
            goal=f"P2 {waits:,} waits in one loop: RSS growth <= {RSS_GOAL_MIB:.0f} MB, poll lateness p99 <= "
            f"{LATENESS_GOAL_SECONDS:.0f} s, better than the anchors (RSS, p99, CPU)",
            anchors="; ".join(f"{LABELS[name]} {figures[name].describe(waits)}" for name in ("http", "dbt")),
            ours=f"{ours.describe(waits)}; {ratios}",
            passed=passed,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, or (internally) one scenario or the fake dbt endpoint."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waits", type=int, default=WAITS)
    parser.add_argument("--scenario", choices=SCENARIOS)
    parser.add_argument("--ids-file")
    parser.add_argument("--serve-dbt", metavar="PORT_FILE")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--job-seconds", type=float, default=JOB_SECONDS)
    args = parser.parse_args(argv)
    if args.serve_dbt:
        serve_dbt(args.serve_dbt, args.cert, args.key, args.job_seconds, LATENCY_SECONDS)
    elif args.scenario:
        ids = json.loads(Path(args.ids_file).read_text())
        print(json.dumps(run_scenario(args.scenario, ids)))
    else:
        print(__doc__.split("\n\n")[2])
        print_table(goals(args.waits, args.job_seconds))


if __name__ == "__main__":
    main()
