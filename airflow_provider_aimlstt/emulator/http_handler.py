"""The HTTP layer: routing, the API key check, bodies in and JSON out, one log line per request.

HTTP/1.1 with keep-alive: every answer has a ``Content-Length``, and a body the handler did not
read is drained (or, past a limit, the connection is closed) before the answer is sent.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from airflow_provider_aimlstt.emulator.api import SttApi
from airflow_provider_aimlstt.emulator.body import RequestBody
from airflow_provider_aimlstt.emulator.errors import (
    ApiError,
    body_validation_error,
    error_body,
    method_not_allowed_error,
    route_not_found_error,
    unauthorized_error,
)
from airflow_provider_aimlstt.emulator.multipart_form import parse_multipart_submission
from airflow_provider_aimlstt.emulator.submission import (
    Submission,
    parse_json_submission,
    parse_urlencoded_submission,
)

logger = logging.getLogger("airflow_provider_aimlstt.emulator")

CREATE_ROUTE = "/v1/stt/create"
FETCH_ROUTE = "/v1/stt/{generation_id}"
STATS_ROUTE = "/_emulator/stats"
_FETCH_PREFIX = "/v1/stt/"
_ALLOWED_METHODS = {CREATE_ROUTE: ("POST",), FETCH_ROUTE: ("GET", "HEAD"), STATS_ROUTE: ("GET", "HEAD")}
_DRAIN_LIMIT = 1024**2


def match_route(path: str) -> str | None:
    """The route template a path belongs to, or None.

    :param path: the request path without its query.
    """
    if path in (CREATE_ROUTE, STATS_ROUTE):
        return path
    rest = path.removeprefix(_FETCH_PREFIX)
    if rest != path and rest and "/" not in rest:
        return FETCH_ROUTE
    return None


class EmulatorHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its API and can cut its open connections on stop.

    :param address: ``(host, port)`` to bind; port 0 picks a free one.
    :param api: the emulated operations.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: SttApi) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.api = api
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


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests; never logs headers (so never the API key)."""

    protocol_version = "HTTP/1.1"
    server_version = "aimlstt-emulator"
    sys_version = ""
    timeout = 120
    server: EmulatorHttpServer

    def version_string(self) -> str:
        return self.server_version

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        route = match_route(path)
        api = self.server.api
        api.stats.count_request(f"{self.command} {route}" if route else "unmatched")
        self._body: RequestBody | None = None
        headers: dict[str, str] = {}
        try:
            self._body = RequestBody(self.rfile, self.headers)
            if route is None:
                raise route_not_found_error(self.command, path)
            if self.command not in _ALLOWED_METHODS[route]:
                raise method_not_allowed_error(self.command, path, _ALLOWED_METHODS[route])
            status, payload = self._answer(route, path)
        except ApiError as exc:
            status, payload, headers = exc.status, error_body(exc.status, exc.message, path), exc.headers
        except Exception:
            logger.exception("Unexpected failure answering %s %s", self.command, path)
            status, payload = 500, error_body(500, "Internal server error", path)
        self._send_json(status, payload, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _answer(self, route: str, path: str) -> tuple[int, dict[str, Any]]:
        api = self.server.api
        if route == STATS_ROUTE:
            return 200, api.stats.snapshot()
        self._require_api_key(api.config.api_key)
        if route == FETCH_ROUTE:
            return 200, api.fetch(unquote(path.removeprefix(_FETCH_PREFIX)))
        with self._read_submission() as submission:
            return api.create(submission)

    def _require_api_key(self, api_key: str) -> None:
        scheme, _, token = (self.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise unauthorized_error()

    def _read_submission(self) -> Submission:
        config = self.server.api.config
        assert self._body is not None
        content_type = self.headers.get("Content-Type") or ""
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data":
            return parse_multipart_submission(
                self._body, content_type, config.max_upload_bytes, config.temp_dir
            )
        if media_type == "application/json" or media_type.endswith("+json"):
            return parse_json_submission(self._body.read_all(config.max_json_bytes))
        if media_type == "application/x-www-form-urlencoded":
            return parse_urlencoded_submission(self._body.read_all(config.max_json_bytes))
        received = f"'{media_type}'" if media_type else "no Content-Type"
        raise body_validation_error(
            [f"body: Expected application/json or multipart/form-data, received {received}"]
        )

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        body = self._body
        keep_alive = body is not None and (body.exhausted or body.drain(_DRAIN_LIMIT))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if not keep_alive:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.server.api.stats.count_response(status)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the base class raises itself (malformed request line, unknown method) in the API's body."""
        path = urlsplit(getattr(self, "path", "") or "").path
        reason = message or self.responses.get(code, ("Error",))[0]
        data = json.dumps(error_body(code, reason, path)).encode("utf-8")
        if self.request_version == "HTTP/0.9":  # an unreadable request line: answer in HTTP/1.1 anyway
            self.request_version = self.protocol_version
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.server.api.stats.count_response(code)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path
        printable = "".join(char if char.isprintable() else "?" for char in path)
        logger.info("%s %s %s", self.command or "-", printable, int(code) if isinstance(code, int) else code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
