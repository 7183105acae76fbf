"""Real Airflow components (api-server, scheduler, dag-processor, triggerers, workers) as subprocesses.

Each component runs in its own process group and is stopped by its process group id. Its output
goes to ``<home>/components/<name>.log``. :class:`AirflowComponents` is one machine's Airflow
(SQLite, LocalExecutor, one triggerer); :class:`CeleryAirflow` a distributed one (PostgreSQL,
Celery workers on Redis, several triggerers), in which every worker and triggerer has an Airflow
home, a working directory and a temp dir of its own: nothing on disk is shared between them.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from tests.e2e.servers import PostgresServer, RedisServer

T = TypeVar("T")
Components = TypeVar("Components", bound="AirflowComponents")

STOP_GRACE_SECONDS = 30.0
CLUSTER_MARKER = "AIMLSTT_E2E_CLUSTER"  # in every component's environment: finds stragglers


PORTS_PER_WORKER = 1000


def free_port() -> int:
    """A loopback TCP port that was free a moment ago, for a server a test starts.

    It is not one the OS would hand out itself (bind to port 0, or a client's own port on connect:
    the ephemeral range, ``net.ipv4.ip_local_port_range``), so that nothing else this machine does
    takes it between now and the server binding it; and under pytest-xdist each worker picks from a
    range of its own below that, so that two workers starting servers at once never pick the same.
    Where the ephemeral range leaves no room below it, it is the OS's pick.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    low = ephemeral_low - PORTS_PER_WORKER * (index + 1)
    candidates = random.sample(range(low, low + PORTS_PER_WORKER), 50) if low >= 1024 else []
    for port in [*candidates, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free loopback port")


class ComponentsFailed(AssertionError):
    """A component died, or a wait ran out; the message holds the tail of each component's log."""


class AirflowComponents:
    """Airflow's components running against one fresh Airflow home.

    :param home: an empty folder for the Airflow home.
    :param dags_folder: the folder the dag-processor parses.
    :param extra_env: more environment variables for every component (connections, DAG settings).
    """

    names: tuple[str, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")

    def __init__(self, home: Path, dags_folder: Path, extra_env: dict[str, str]) -> None:
        self.home = home
        self.database = home / "airflow.db"
        self.api_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        base_url = f"http://127.0.0.1:{self.api_port}"
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
        self.env = {
            **inherited,
            "AIRFLOW_HOME": str(home),
            CLUSTER_MARKER: str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.database}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            # Only triggered runs: no scheduled run competing with the one a test starts.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            **extra_env,
        }

    def airflow(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run an ``airflow`` CLI command in this home and return its outcome; fail on a non-zero exit.

        :param args: the command's arguments after ``airflow``.
        :param timeout: seconds before the command is killed.
        """
        return self._run(["-m", "airflow", *args], f"airflow {' '.join(args)}", timeout)

    def python(self, code: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run Python code in this home's environment, as a component would; fail on a non-zero exit.

        :param code: the program (``sys.argv[1:]`` holds ``args``).
        :param args: its arguments.
        :param timeout: seconds before it is killed.
        """
        return self._run(["-c", code, *args], f"python -c ... {' '.join(args)}", timeout)

    def _run(self, argv: list[str], what: str, timeout: float) -> subprocess.CompletedProcess[str]:
        finished = subprocess.run(
            [sys.executable, *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if finished.returncode != 0:
            raise ComponentsFailed(
                f"`{what}` exited with {finished.returncode}:\n{finished.stdout[-3000:]}"
                f"\n{finished.stderr[-3000:]}"
            )
        return finished

    def start(self) -> None:
        """Migrate the database, then start every component."""
        self.airflow("db", "migrate")
        (self.home / "components").mkdir(exist_ok=True)
        for name in self.names:
            self._launch(name)

    def kill(self, name: str) -> None:
        """SIGKILL a component with its children (no chance to clean up), and leave it dead.

        :param name: one of :attr:`names`.
        """
        process = self.processes.pop(name)
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()

    def kill_and_restart(self, name: str) -> None:
        """SIGKILL a component with its children (no chance to clean up), then start a new one.

        :param name: one of :attr:`names`.
        """
        self.kill(name)
        self._launch(name)

    def command(self, name: str) -> list[str]:
        """The ``airflow`` arguments that start a component.

        :param name: one of :attr:`names`.
        """
        commands = {
            "api-server": ["api-server", "--host", "127.0.0.1", "--port", str(self.api_port)],
            "scheduler": ["scheduler", "--skip-serve-logs"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer", "--skip-serve-logs"],
        }
        return commands[name]

    def workplace(self, name: str) -> Path:
        """The folder a component runs in (its working directory).

        :param name: one of :attr:`names`.
        """
        return self.home

    def component_env(self, name: str) -> dict[str, str]:
        """A component's environment.

        :param name: one of :attr:`names`.
        """
        return self.env

    def _launch(self, name: str) -> None:
        with (self.home / "components" / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "airflow", *self.command(name)],
                env=self.component_env(name),
                cwd=self.workplace(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, stopped as a whole
            )

    def stop(self) -> list[int]:
        """Stop every component with its children; return the PIDs of stragglers that had to be killed.

        SIGTERM to each process group, then SIGKILL to what is still running after a grace period;
        last, any process still running with this Airflow home in its environment is killed.
        """
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        stragglers = sorted(set(self._processes_of_this_home()) | set(self.descendants()))
        for pid in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return stragglers

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the metadata database (SQLite), read-only.

        :param sql: one SELECT statement.
        :param params: its parameters.
        """
        if not self.database.exists():
            return []
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # a table not created yet, or a busy database
            return []
        finally:
            db.close()

    def wait_for(self, what: str, check: Callable[[], T | None], timeout: float) -> T:
        """Poll ``check`` every quarter second until it returns something other than None; return that.

        :param what: what is awaited, for the failure message.
        :param check: returns None while the wait goes on.
        :param timeout: seconds before giving up with the components' logs.
        :raises ComponentsFailed: when a component exits, or on time out.
        """
        deadline = time.monotonic() + timeout
        while True:
            outcome = check()
            if outcome is not None:
                return outcome
            dead = {
                name: process.returncode
                for name, process in self.processes.items()
                if process.poll() is not None
            }
            if dead:
                raise ComponentsFailed(f"{dead} exited while waiting for {what}\n{self.log_tails()}")
            if time.monotonic() > deadline:
                raise ComponentsFailed(f"no {what} after {timeout:.0f} s\n{self.log_tails()}")
            time.sleep(0.25)

    def run_state(self, run_id: str) -> str | None:
        """A DAG run's final state (``success`` or ``failed``), or None while it has none.

        :param run_id: the run's id.
        """
        rows = self.query("SELECT state FROM dag_run WHERE run_id = ?", run_id)
        return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

    def wait_for_run_end(self, run_id: str, timeout: float) -> str:
        """Wait for a DAG run to end and return its final state.

        :param run_id: the run's id.
        :param timeout: seconds before giving up with the components' logs.
        """
        return self.wait_for(f"end of run {run_id}", lambda: self.run_state(run_id), timeout)

    def log_tails(self, lines: int = 30) -> str:
        """The last lines of each component's log.

        :param lines: how many lines of each.
        """
        tails = []
        for name in self.names:
            path = self.home / "components" / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else "(no log)"
            tails.append(f"----- {name} ({path}) -----\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(tails)

    def descendants(self, *roots: int) -> list[int]:
        """The PIDs of the given processes and every live process below them.

        Found by parent PID, because some Airflow processes rewrite their title and, with it,
        the environment ``/proc`` shows.

        :param roots: the processes to start from; none: every component.
        """
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (parent := _parent_pid(int(entry.name))) is not None:
                children.setdefault(parent, []).append(int(entry.name))
        found, todo = [], list(roots or (process.pid for process in self.processes.values()))
        while todo:
            pid = todo.pop()
            if _parent_pid(pid) is not None:  # alive (or a zombie not yet reaped)
                found.append(pid)
                todo.extend(children.get(pid, []))
        return found

    def _processes_of_this_home(self) -> list[int]:
        marker = f"{CLUSTER_MARKER}={self.home}".encode() + b"\0"
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:  # gone, or not ours to read
                continue
        return pids

    def __enter__(self: Components) -> Components:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        stragglers = self.stop()
        if stragglers and exc_info[0] is None:
            raise AssertionError(f"processes left after stopping the components, killed: {stragglers}")


class CeleryAirflow(AirflowComponents):
    """A distributed Airflow: PostgreSQL, Celery workers on Redis, several triggerers.

    Workers are ``worker-1``, ``worker-2``, ...; triggerers ``triggerer-1``, ... Each of them runs in
    ``<home>/<name>/``, its Airflow home (its logs land there), working directory and temp dir.

    :param home: an empty folder: the Airflow home of the api-server, scheduler and dag-processor.
    :param dags_folder: the folder every component reads the DAGs from.
    :param extra_env: more environment variables for every component.
    :param postgres: the running metadata database's server.
    :param redis: the running Celery broker.
    :param workers: how many Celery workers.
    :param triggerers: how many triggerers.
    :param worker_concurrency: task processes per worker.
    """

    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        extra_env: dict[str, str],
        postgres: PostgresServer,
        redis: RedisServer,
        workers: int = 2,
        triggerers: int = 2,
        worker_concurrency: int = 4,
    ) -> None:
        self.postgres = postgres
        distributed = {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(4 * workers * worker_concurrency),
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{postgres.url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
        }
        super().__init__(home, dags_folder, {**distributed, **extra_env})
        self.names = (
            "api-server",
            "scheduler",
            "dag-processor",
            *(f"triggerer-{number}" for number in range(1, triggerers + 1)),
            *(f"worker-{number}" for number in range(1, workers + 1)),
        )

    @property
    def workers(self) -> list[str]:
        """The names of the Celery workers."""
        return [name for name in self.names if name.startswith("worker-")]

    @property
    def triggerers(self) -> list[str]:
        """The names of the triggerers."""
        return [name for name in self.names if name.startswith("triggerer-")]

    def start(self) -> None:
        """Make each worker's and triggerer's own folders, migrate the database, start everything."""
        for name in (*self.workers, *self.triggerers):
            (self.workplace(name) / "tmp").mkdir(parents=True, exist_ok=True)
        super().start()

    def command(self, name: str) -> list[str]:
        """The ``airflow`` arguments that start a component.

        :param name: one of :attr:`names`.
        """
        if name in self.workers:
            return ["celery", "worker", "--celery-hostname", f"{name}@%h", "--skip-serve-logs"]
        if name in self.triggerers:
            return ["triggerer", "--skip-serve-logs"]
        return super().command(name)

    def workplace(self, name: str) -> Path:
        """``<home>/<name>`` for a worker or a triggerer, else the shared home.

        :param name: one of :attr:`names`.
        """
        return self.home / name if name in (*self.workers, *self.triggerers) else self.home

    def component_env(self, name: str) -> dict[str, str]:
        """A component's environment: a worker or triggerer has its own Airflow home and temp dir.

        :param name: one of :attr:`names`.
        """
        if self.workplace(name) == self.home:
            return self.env
        own = self.workplace(name)
        return {**self.env, "AIRFLOW_HOME": str(own), "TMPDIR": str(own / "tmp")}

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the metadata database (PostgreSQL); ``?`` placeholders.

        :param sql: one SELECT statement.
        :param params: its parameters.
        """
        return self.postgres.query(sql, *params)


def _parent_pid(pid: int) -> int | None:
    """A process's parent PID, or None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)
