"""The listening side: a threading HTTP server that knows its API and its faults."""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from airflow_provider_aimlstt.emulator.api import SttApi
from airflow_provider_aimlstt.emulator.faults import FaultInjector
from airflow_provider_aimlstt.emulator.http_handler import EmulatorRequestHandler

logger = logging.getLogger("airflow_provider_aimlstt.emulator")


class EmulatorHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its API and can cut its open connections on stop.

    :param address: ``(host, port)`` to bind; port 0 picks a free one.
    :param api: the emulated operations.
    :param faults: decides the faults of each API request (None: none).
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: SttApi, faults: FaultInjector | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.api = api
        self.faults = faults if faults is not None else FaultInjector(stats=api.stats)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, EmulatorRequestHandler)

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
