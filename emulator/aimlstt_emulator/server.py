"""The emulator as an object: start it, point a client at :attr:`EmulatorServer.base_url`, stop it."""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aimlstt_emulator.clock import Clock
from aimlstt_emulator.config import EmulatorConfig
from aimlstt_emulator.faults import FaultConfig, FaultInjector
from aimlstt_emulator.models import JobStore, SttBackend
from aimlstt_emulator.responses import EmulatorRequestHandler
from aimlstt_emulator.sources import is_loopback_host
from aimlstt_emulator.stats import EmulatorStats
from aimlstt_emulator.urls import ROUTES
from aimlstt_emulator.usage_log import UsageLog

logger = logging.getLogger("aimlstt_emulator")

_STOP_TIMEOUT_SECONDS = 5.0


class EmulatorHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut its open connections on stop.

    :param address: ``(host, port)`` to bind; port 0 picks a free one.
    :param make_handler: makes the handler of one connection (called with the request, the
        client's address and this server).
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], make_handler: Callable[..., EmulatorRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, make_handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up in DNS, which can hang without a network.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is routine; anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.debug("Connection from %s ended early: %s", client_address[0], error)
        else:
            logger.exception("Unexpected failure serving %s", client_address[0])

    def close_connections(self) -> None:
        """Shut every open client connection, so kept-alive clients cannot reach a stopped server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A local HTTP server that answers like the AI/ML API's speech-to-text endpoints.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with EmulatorServer(EmulatorConfig(queued_seconds=0, processing_seconds=0)) as server:
            requests.post(f"{server.base_url}/v1/stt/create", ...)

    :param config: the emulator settings; they may be changed while it runs.
    :param host: address to bind; only loopback addresses unless ``allow_remote`` is True.
    :param port: port to bind; 0 picks a free one (read it from :attr:`port`).
    :param allow_remote: permit binding an address other machines can reach.
    :param faults: faults to inject from the start (None: none); change them at run time with
        :attr:`faults` (``set``, ``update``, ``clear``) or over HTTP at ``/_emulator/faults``.
    :param clock: the clock job statuses, retention, concurrency slots and the usage log's delay
        follow (None: real time). Pass a :class:`~aimlstt_emulator.clock.ManualClock`
        to move time by hand with ``server.clock.advance(seconds)``.
    :raises ValueError: for a non-loopback host without ``allow_remote``.

    State for tests:

    - :attr:`clock`: ``clock.advance(seconds)`` makes every job that much older at once, on the
      real-time clock of a running server too (a :class:`~.clock.MonotonicClock` adds the skipped
      time to ``time.monotonic``): statuses move on, jobs past ``retention_seconds`` answer 404,
      their concurrency slots free, and usage-log rows past their delay show.
    - :attr:`jobs`: ``jobs.get(id)`` gives a job's ``cost``, ``client_request_id`` and
      ``audio_seconds``; ``jobs.finishes_at(job)`` when it completes on that clock;
      ``jobs.unfinished(config.api_key)`` the key's jobs counted against ``max_concurrent_jobs``;
      ``len(jobs)`` the jobs not yet expired; ``jobs.examined`` an operation counter;
      ``jobs.clear()`` forgets every job and frees its slot (tests sharing one emulator).
    - :attr:`usage_log`: ``usage_log.rows()``, every logged row, newest first, visible yet or not.
    - :meth:`stats`, :attr:`faults`.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        faults: FaultConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not allow_remote and not is_loopback_host(host.strip("[]")):
            raise ValueError(
                f"Refusing to bind {host!r}, which is not a loopback address; pass allow_remote=True"
            )
        self.config = config if config is not None else EmulatorConfig()
        self.host = host.strip("[]")
        self._requested_port = port
        self.jobs = JobStore(self.config, clock)
        self.usage_log = UsageLog(self.config, self.jobs.clock)
        self._stats = EmulatorStats()
        self.backend = SttBackend(self.config, self.jobs, self._stats, self.usage_log)
        self.faults = FaultInjector(faults, self._stats)
        self._httpd: EmulatorHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def clock(self) -> Clock:
        """The job store's clock: ``clock.advance(seconds)`` ages every job at once."""
        return self.jobs.clock

    def start(self) -> EmulatorServer:
        """Bind, listen and serve in a daemon thread; return once connections are accepted.

        :raises RuntimeError: when it is already running.
        :raises OSError: when the address cannot be bound.
        """
        if self._httpd is not None:
            raise RuntimeError("The emulator is already running")
        make_handler = functools.partial(
            EmulatorRequestHandler, backend=self.backend, faults=self.faults, routes=ROUTES
        )
        httpd = EmulatorHttpServer((self.host, self._requested_port), make_handler)
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="aimlstt-emulator", daemon=True
        )
        thread.start()
        self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection (no-op if not running)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(_STOP_TIMEOUT_SECONDS)
        self._httpd, self._thread = None, None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._httpd is not None

    @property
    def port(self) -> int:
        """The bound port (the free one picked when 0 was asked).

        :raises RuntimeError: when the server is not running.
        """
        if self._httpd is None:
            raise RuntimeError("The emulator is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, to which ``/v1/stt/create`` and ``/v1/stt/{id}`` are appended."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stats(self) -> dict[str, Any]:
        """A copy of the counters.

        Keys: ``creates_total``, ``creates_by_sha256`` (jobs made, including those whose answer a
        fault then lost), ``create_attempts`` (create requests received, faulted or not),
        ``requests_total``, ``requests_by_route``, ``responses_by_status``, ``faults_by_kind`` and
        ``concurrency_limited`` (creates refused with 429 by ``max_concurrent_jobs``).
        """
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Set every counter back to zero (fault counts included; the fault settings stay)."""
        self._stats.reset()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
