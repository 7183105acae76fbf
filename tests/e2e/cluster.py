"""Real Airflow components (api-server, scheduler, dag-processor, triggerers, workers) as subprocesses.

Each component runs in its own process group and is stopped by its process group id. Its output
goes to ``<home>/components/<name>.log``. :class:`AirflowComponents` is one machine's Airflow
(LocalExecutor, one triggerer); :class:`CeleryAirflow` a distributed one (PostgreSQL, Celery
workers on Redis, several triggerers), in which every worker and triggerer has an Airflow home, a
working directory and a temp dir of its own: nothing on disk is shared between them.

The tests speak of Airflow 3; where Airflow 2 differs, this module alone knows, each difference
in one place:

- the web component is ``airflow webserver``, not ``api-server`` (:data:`WEB_SERVER`), and
  some options have other names (:data:`AIRFLOW_2_OPTION_NAMES`);
- the scheduler parses the DAGs itself unless told to leave that to the standalone dag-processor
  (:meth:`AirflowComponents.version_env`);
- LocalExecutor refuses SQLite: one machine's Airflow 2 runs on a PostgreSQL server of its own
  (:data:`SQLITE_RUNS_LOCAL_EXECUTOR`);
- ``airflow dags trigger`` takes ``--exec-date``, not ``--logical-date``
  (:meth:`AirflowComponents.trigger_dag`);
- a trigger row's kwargs are in another serialization (:meth:`AirflowComponents.triggers`);
- an XCom value is stored as bytes, not JSON text (:meth:`AirflowComponents.query` gives text);
- a task's failure callback request has another shape (:meth:`AirflowComponents.send_failure_callback`).
"""

from __future__ import annotations

import contextlib
import json
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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS

if TYPE_CHECKING:
    from tests.e2e.servers import PostgresServer, RedisServer

T = TypeVar("T")
Components = TypeVar("Components", bound="AirflowComponents")

STOP_GRACE_SECONDS = 30.0
CLUSTER_MARKER = "AIMLSTT_E2E_CLUSTER"  # in every component's environment: finds stragglers


PORTS_PER_WORKER = 1000

WEB_SERVER = "api-server" if AIRFLOW_V_3_0_PLUS else "webserver"
"""The component serving the UI and the REST API (and on Airflow 3 the tasks' execution API)."""
SQLITE_RUNS_LOCAL_EXECUTOR = AIRFLOW_V_3_0_PLUS
"""Airflow 2 runs tasks in parallel on PostgreSQL or MySQL only ("cannot use SQLite with the
LocalExecutor"); Airflow 3's tasks reach the database through the api-server, and SQLite will do."""
AIRFLOW_2_OPTION_NAMES = {
    "AIRFLOW__API__BASE_URL": "AIRFLOW__WEBSERVER__BASE_URL",
    "AIRFLOW__API__SECRET_KEY": "AIRFLOW__WEBSERVER__SECRET_KEY",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": (
        "AIRFLOW__SCHEDULER__SCHEDULER_ZOMBIE_TASK_THRESHOLD"
    ),
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": (
        "AIRFLOW__SCHEDULER__ZOMBIE_DETECTION_INTERVAL"
    ),
}
"""Options the components are given by their Airflow 3 name, and their name in Airflow 2."""
LOGICAL_DATE_OPTION = "--logical-date" if AIRFLOW_V_3_0_PLUS else "--exec-date"
"""``airflow dags trigger``'s option for the run's logical date (Airflow 2: its execution date)."""


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


# Queue the failure callback of one task instance for the dag-processor, built as the scheduler
# builds it when the executor reports a task instance that did not end on its own. Arguments:
# dag id, run id, task id, map index, message. Each script finds the task instance, then builds
# the request in its Airflow's shape and queues it.
_FIND_TASK_INSTANCE = """
dag_id, run_id, task_id, map_index, message = sys.argv[1:6]
with create_session() as session:
    ti = session.scalars(
        select(TI).where(
            TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id, TI.map_index == int(map_index)
        )
    ).one()
"""
_QUEUE_REQUEST = """    DatabaseCallbackSink().send(callback=request, session=session)
"""
# Airflow 3:
SEND_FAILURE_CALLBACK = (
    """
import sys
from sqlalchemy import select
from airflow.api_fastapi.execution_api.datamodels.taskinstance import DagRun, TIRunContext
from airflow.callbacks.callback_requests import TaskCallbackRequest
from airflow.callbacks.database_callback_sink import DatabaseCallbackSink
from airflow.models.taskinstance import TaskInstance as TI
from airflow.utils.session import create_session
from airflow.utils.state import TaskInstanceState
"""
    + _FIND_TASK_INSTANCE
    + """    request = TaskCallbackRequest(
        filepath=ti.dag_model.relative_fileloc or "",
        bundle_name=ti.dag_version.bundle_name,
        bundle_version=ti.dag_run.bundle_version,
        ti=ti,
        msg=message,
        task_callback_type=TaskInstanceState.FAILED,
        context_from_server=TIRunContext(
            dag_run=DagRun.model_validate(ti.dag_run, from_attributes=True),
            max_tries=ti.max_tries,
            variables=[],
            connections=[],
            xcom_keys_to_clear=[],
        ),
    )
"""
    + _QUEUE_REQUEST
)
# Airflow 2: the request names the DAG file and a plain copy of the task instance.
SEND_FAILURE_CALLBACK_AIRFLOW_2 = (
    """
import sys
from sqlalchemy import select
from airflow.callbacks.callback_requests import TaskCallbackRequest
from airflow.callbacks.database_callback_sink import DatabaseCallbackSink
from airflow.models.taskinstance import SimpleTaskInstance, TaskInstance as TI
from airflow.utils.session import create_session
"""
    + _FIND_TASK_INSTANCE
    + """    request = TaskCallbackRequest(
        full_filepath=ti.dag_model.fileloc,
        simple_task_instance=SimpleTaskInstance.from_ti(ti),
        msg=message,
        processor_subdir=ti.dag_model.processor_subdir,
    )
"""
    + _QUEUE_REQUEST
)


class ComponentsFailed(AssertionError):
    """A component died, or a wait ran out; the message holds the tail of each component's log."""


class AirflowComponents:
    """Airflow's components running against one fresh Airflow home.

    :param home: an empty folder for the Airflow home.
    :param dags_folder: the folder the dag-processor parses.
    :param extra_env: more environment variables for every component (connections, DAG settings),
        options by their Airflow 3 names.
    :param postgres: the metadata database's server, running; None: SQLite in ``home``, or where
        the Airflow version runs LocalExecutor on PostgreSQL only, a server of its own.
    """

    names: tuple[str, ...] = (WEB_SERVER, "scheduler", "dag-processor", "triggerer")

    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        extra_env: dict[str, str],
        postgres: PostgresServer | None = None,
    ) -> None:
        self.home = home
        self.database = home / "airflow.db"
        self.own_postgres: PostgresServer | None = None
        if postgres is None and not SQLITE_RUNS_LOCAL_EXECUTOR:
            from tests.e2e.servers import PostgresServer

            postgres = self.own_postgres = PostgresServer(home / "servers")
        self.postgres = postgres
        self.web_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        base_url = f"http://127.0.0.1:{self.web_port}"
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
        metadata = postgres.url if postgres is not None else f"sqlite:///{self.database}"
        env = {
            "AIRFLOW_HOME": str(home),
            CLUSTER_MARKER: str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # No Fernet key, the same in every component's home: what one writes, another reads,
            # and the scan of the tables for the API key reads every row in clear.
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            # Only triggered runs: no scheduled run competing with the one a test starts.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            **self.version_env(),
            **extra_env,
        }
        if not AIRFLOW_V_3_0_PLUS:
            env = {AIRFLOW_2_OPTION_NAMES.get(name, name): value for name, value in env.items()}
        self.env = {**inherited, **env}

    @staticmethod
    def version_env() -> dict[str, str]:
        """The settings this Airflow version needs to run as the components of :attr:`names`.

        Airflow 2's scheduler parses the DAG files itself (and runs the DAGs' callbacks) unless
        the standalone dag-processor is switched on; the webserver's gunicorn starts one worker.
        """
        if AIRFLOW_V_3_0_PLUS:
            return {}
        return {"AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True", "AIRFLOW__WEBSERVER__WORKERS": "1"}

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

    def trigger_dag(
        self,
        dag_id: str,
        run_id: str,
        logical_date: datetime | None = None,
        conf: dict[str, Any] | None = None,
    ) -> None:
        """Trigger a run with ``airflow dags trigger``.

        :param dag_id: the DAG.
        :param run_id: the run's id.
        :param logical_date: the run's logical date (Airflow 2: its execution date); None: Airflow's
            default (Airflow 3: none; Airflow 2: now).
        :param conf: the run's conf.
        """
        args = ["dags", "trigger", dag_id, "--run-id", run_id]
        if logical_date is not None:
            args += [LOGICAL_DATE_OPTION, logical_date.isoformat()]
        if conf is not None:
            args += ["--conf", json.dumps(conf)]
        self.airflow(*args)

    def triggers(self) -> dict[int, tuple[int | None, dict[str, Any]]]:
        """The trigger rows: id -> (the id of the triggerer job running it or None, its kwargs).

        The kwargs are read as Airflow reads them (Airflow 2 wraps them in its own serialization);
        the components store them unencrypted (no Fernet key).
        """
        from airflow.models.trigger import Trigger

        return {
            trigger_id: (triggerer_id, Trigger._decrypt_kwargs(kwargs))
            for trigger_id, triggerer_id, kwargs in self.query("SELECT id, triggerer_id, kwargs FROM trigger")
        }

    def send_failure_callback(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, message: str
    ) -> None:
        """Queue a task instance's failure callback for the dag-processor, as the scheduler does for a
        task instance that did not end on its own (killed, heartbeat lost, an executor-event race).

        :param dag_id: the DAG.
        :param run_id: the run.
        :param task_id: the task.
        :param map_index: the mapped instance; -1 for a task that is not mapped.
        :param message: what the scheduler would say about it (Airflow 2 gives it to the callback as
            the exception; Airflow 3 gives the callback no exception).
        """
        script = SEND_FAILURE_CALLBACK if AIRFLOW_V_3_0_PLUS else SEND_FAILURE_CALLBACK_AIRFLOW_2
        self.python(script, dag_id, run_id, task_id, str(map_index), message)

    def start(self) -> None:
        """Start the database server of its own if it has one, migrate the database, then start every
        component."""
        if self.own_postgres is not None:
            (self.home / "servers").mkdir(parents=True, exist_ok=True)
            self.own_postgres.start()
        self.airflow("db", "migrate")
        (self.home / "components").mkdir(exist_ok=True)
        for name in self.names:
            self._launch(name)

    def kill(self, name: str) -> None:
        """SIGKILL a component with its children (no chance to clean up), and leave it dead.

        :param name: one of :attr:`names`.
        """
        process = self.processes.pop(name)
        # Its children too, where they run in process groups of their own (on Airflow 2 a Celery
        # worker's task runner starts the task in a new group: killing the worker's group alone
        # would leave the task running to its end, as if the worker had lived).
        below = self.descendants(process.pid)
        _signal_group(process.pid, signal.SIGKILL)
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
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
            "api-server": ["api-server", "--host", "127.0.0.1", "--port", str(self.web_port)],
            "webserver": ["webserver", "--hostname", "127.0.0.1", "--port", str(self.web_port)],
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
        if self.own_postgres is not None:
            self.own_postgres.stop()
        return stragglers

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the metadata database: SQLite read-only, or PostgreSQL; ``?`` placeholders.

        Binary values come back as text: Airflow 2 stores an XCom value as its JSON's bytes,
        Airflow 3 as JSON text.

        :param sql: one SELECT statement.
        :param params: its parameters.
        """
        if self.postgres is None:
            rows = self._sqlite_query(sql, *params)
        else:
            rows = self.postgres.query(sql, *params)
        return [tuple(_as_text(value) for value in row) for row in rows]

    def _sqlite_query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if not self.database.exists():
            return []
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # a table not created yet, or a busy database
            return []
        finally:
            db.close()

    def rows_holding(self, text: str, skip: tuple[str, ...] = ("connection",)) -> list[str]:
        """``table: row`` (cut short) for each row of any table of the metadata database holding ``text``.

        :param text: what to look for, in each row's ``repr``.
        :param skip: tables not to read.
        """
        if self.postgres is None:
            listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            listing = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        found = []
        for (table,) in self.query(listing):
            if table in skip:
                continue
            for row in self.query(f'SELECT * FROM "{table}"'):
                if text in repr(row):
                    found.append(f"{table}: {row!r}"[:300])
        return found

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
        distributed = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(4 * workers * worker_concurrency),
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{postgres.url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
        }
        super().__init__(home, dags_folder, {**distributed, **extra_env}, postgres)
        self.names = (
            WEB_SERVER,
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


def _as_text(value: Any) -> Any:
    """A binary column's value as text (UTF-8; other bytes as escapes); any other value as it is."""
    if isinstance(value, memoryview):
        value = value.tobytes()
    return value.decode(errors="backslashreplace") if isinstance(value, bytes) else value


def _parent_pid(pid: int) -> int | None:
    """A process's parent PID, or None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)
