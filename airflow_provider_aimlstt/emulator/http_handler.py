"""The HTTP layer: routing, the API key check, faults, bodies in and JSON out, one log line per request.

HTTP/1.1 with keep-alive: every answer has a ``Content-Length``, and a body the handler did not
read is drained (or, past a limit, the connection is closed) before the answer is sent. Fault
semantics are described in :mod:`airflow_provider_aimlstt.emulator.faults`.
"""

from __future__ import annotations

import hmac
import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from airflow_provider_aimlstt.emulator.body import RequestBody
from airflow_provider_aimlstt.emulator.errors import (
    ApiError,
    body_validation_error,
    error_body,
    method_not_allowed_error,
    route_not_found_error,
    unauthorized_error,
)
from airflow_provider_aimlstt.emulator.fault_http import answer_faults_request, faulted_answer
from airflow_provider_aimlstt.emulator.faults import NO_FAULT, FaultPlan
from airflow_provider_aimlstt.emulator.multipart_form import parse_multipart_submission
from airflow_provider_aimlstt.emulator.submission import (
    Submission,
    parse_json_submission,
    parse_urlencoded_submission,
)

if TYPE_CHECKING:
    from airflow_provider_aimlstt.emulator.http_server import EmulatorHttpServer

logger = logging.getLogger("airflow_provider_aimlstt.emulator")

CREATE_ROUTE = "/v1/stt/create"
FETCH_ROUTE = "/v1/stt/{generation_id}"
STATS_ROUTE = "/_emulator/stats"
FAULTS_ROUTE = "/_emulator/faults"
_FETCH_PREFIX = "/v1/stt/"
_ALLOWED_METHODS = {
    CREATE_ROUTE: ("POST",),
    FETCH_ROUTE: ("GET", "HEAD"),
    STATS_ROUTE: ("GET", "HEAD"),
    FAULTS_ROUTE: ("GET", "HEAD", "PUT", "PATCH", "DELETE"),
}
_FAULT_ROUTE_NAMES = {CREATE_ROUTE: "create", FETCH_ROUTE: "fetch"}
_DRAIN_LIMIT = 1024**2


def match_route(path: str) -> str | None:
    """The route template a path belongs to, or None.

    :param path: the request path without its query.
    """
    if path in (CREATE_ROUTE, STATS_ROUTE, FAULTS_ROUTE):
        return path
    rest = path.removeprefix(_FETCH_PREFIX)
    if rest != path and rest and "/" not in rest:
        return FETCH_ROUTE
    return None


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests; never logs headers (so never the API key)."""

    protocol_version = "HTTP/1.1"
    server_version = "aimlstt-emulator"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for an ACK between
    server: EmulatorHttpServer

    def version_string(self) -> str:
        return self.server_version

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        route = match_route(path)
        api = self.server.api
        api.stats.count_request(f"{self.command} {route}" if route else "unmatched")
        if route == CREATE_ROUTE and self.command == "POST":
            api.stats.count_create_attempt()
        self._body: RequestBody | None = None
        self._plan: FaultPlan = NO_FAULT
        self._fault_kind: str | None = None
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
        if self._plan is NO_FAULT:
            self._send_json(status, payload, headers)
        else:
            self._send_faulted(path, status, payload, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _answer(self, route: str, path: str) -> tuple[int, dict[str, Any]]:
        api = self.server.api
        if route == STATS_ROUTE:
            return 200, api.stats.snapshot()
        if route == FAULTS_ROUTE:
            assert self._body is not None
            return 200, answer_faults_request(
                self.server.faults, self.command, self._body, api.config.max_json_bytes
            )
        self._require_api_key(api.config.api_key)
        self._plan = self.server.faults.plan(_FAULT_ROUTE_NAMES[route])
        refusal = self._plan.error() if self._plan.before_processing else None
        if refusal is not None:  # 429 and 503 come before any processing: nothing is created
            raise refusal
        if route == FETCH_ROUTE:
            return 200, api.fetch(unquote(path.removeprefix(_FETCH_PREFIX)))
        with self._read_submission() as submission:
            return api.create(submission, self._plan.job_fault)

    def _send_faulted(self, path: str, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        """Answer as the fault plan says, once the request body is read to its end."""
        config = self.server.api.config
        if self._body is not None and not self._body.exhausted:
            self._body.drain(max(config.max_upload_bytes, config.max_json_bytes))
        self._fault_kind = self._plan.kind
        answer = faulted_answer(self._plan, self.server.faults, path, status, payload, headers)
        if answer is None:
            self.close_connection = True
            logger.info("%s %s dropped (fault: %s)", self.command, self._printable(path), self._fault_kind)
            return
        self._send_bytes(*answer)

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
        self._send_bytes(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        body = self._body
        keep_alive = body is not None and (body.exhausted or body.drain(_DRAIN_LIMIT))
        self.server.api.stats.count_response(status)  # counted first, so a client sees it once answered
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

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the base class raises itself (malformed request line, unknown method) in the API's body."""
        path = urlsplit(getattr(self, "path", "") or "").path
        reason = message or self.responses.get(code, ("Error",))[0]
        data = json.dumps(error_body(code, reason, path)).encode("utf-8")
        if self.request_version == "HTTP/0.9":  # an unreadable request line: answer in HTTP/1.1 anyway
            self.request_version = self.protocol_version
        self.server.api.stats.count_response(code)
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self._printable(urlsplit(getattr(self, "path", "") or "").path)
        status = int(code) if isinstance(code, int) else code
        fault = getattr(self, "_fault_kind", None)
        if fault is None:
            logger.info("%s %s %s", self.command or "-", path, status)
        else:
            logger.info("%s %s %s (fault: %s)", self.command or "-", path, status, fault)

    @staticmethod
    def _printable(path: str) -> str:
        return "".join(char if char.isprintable() else "?" for char in path)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
