"""HTTP in and out: routing through the route table, the API key check, faults, bodies in, JSON out.

HTTP/1.1 with keep-alive: every answer has a ``Content-Length``, and a body the handler did not
read is drained (or, past a limit, the connection is closed) before the answer is sent. One log
line per request, never with its headers (so never the API key). Fault semantics are described in
:mod:`aimlstt_emulator.faults`; the tracing and cost headers of the inference
routes in :mod:`aimlstt_emulator.tracing`. Every create with a valid key is
logged for ``GET /v2/logs``: by the backend when it makes a job, here when it is refused.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from aimlstt_emulator.exceptions import (
    ApiError,
    body_validation_error,
    error_body,
    method_not_allowed_error,
    route_not_found_error,
    unauthorized_error,
)
from aimlstt_emulator.faults.config import FAULT_ROUTES
from aimlstt_emulator.faults.http import (
    change_fault_settings,
    faulted_answer,
    replace_fault_settings,
)
from aimlstt_emulator.faults.injector import NO_FAULT, FaultInjector, FaultPlan
from aimlstt_emulator.jobs import Job, looks_like_generation_id, new_inference_id
from aimlstt_emulator.models import SttBackend
from aimlstt_emulator.parsing.body import RequestBody
from aimlstt_emulator.parsing.multipart import parse_multipart_submission
from aimlstt_emulator.parsing.submission import (
    Submission,
    parse_json_submission,
    parse_urlencoded_submission,
)
from aimlstt_emulator.routing import Answer, RouteTable
from aimlstt_emulator.tracing import (
    CLIENT_REQUEST_ID_HEADER,
    INFERENCE_ROUTES,
    Trace,
    expose_headers,
    valid_client_request_id,
)
from aimlstt_emulator.validation import validate_submission

logger = logging.getLogger("aimlstt_emulator")

_DRAIN_LIMIT = 1024**2


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests, with the handler methods the route table names.

    The server makes it through ``functools.partial`` with the three keyword arguments below.

    :param backend: the emulated operations and their settings and counters.
    :param faults: decides the faults of each API request.
    :param routes: the route table.
    """

    protocol_version = "HTTP/1.1"
    server_version = "aimlstt-emulator"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for an ACK between

    def __init__(
        self, *args: Any, backend: SttBackend, faults: FaultInjector, routes: RouteTable, **kwargs: Any
    ) -> None:
        self.backend, self.faults, self.routes = backend, faults, routes
        self._body: RequestBody | None = None
        self._plan: FaultPlan = NO_FAULT
        self._fault_kind: str | None = None
        self._request_id = ""
        self._trace: Trace | None = None
        self._create_model = ""
        self._job: Job | None = None
        super().__init__(*args, **kwargs)  # handles the connection's requests before it returns

    def version_string(self) -> str:
        return self.server_version

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        found = self.routes.match(path)
        route, parameters = found if found is not None else (None, {})
        stats = self.backend.stats
        stats.count_request(f"{self.command} {route.template}" if route else "unmatched")
        handler = route.handlers.get(self.command) if route else None
        api_name = route.api_name if route is not None and handler is not None else None
        if api_name == "create":
            stats.count_create_attempt()
        self._body, self._plan, self._fault_kind, self._job = None, NO_FAULT, None, None
        self._request_id, self._create_model = str(uuid.uuid4()), ""
        self._trace = None
        if api_name in INFERENCE_ROUTES:
            self._trace = Trace(valid_client_request_id(self.headers.get(CLIENT_REQUEST_ID_HEADER)))
        keyed = False
        headers: dict[str, str] = {}
        try:
            self._body = RequestBody(self.rfile, self.headers)
            if route is None:
                raise route_not_found_error(self.command, path)
            if handler is None:
                raise method_not_allowed_error(self.command, path, route.methods)
            if route.api_name is not None:
                self._require_api_key(self.backend.config.api_key)
                keyed = True
                if route.api_name in FAULT_ROUTES:
                    self._plan = self.faults.plan(route.api_name)
                    refusal = self._plan.error() if self._plan.before_processing else None
                    if refusal is not None:  # 429 and 503 come before any processing: nothing is created
                        raise refusal
            status, payload = handler(self, parameters)
        except ApiError as exc:
            status, headers = exc.status, dict(exc.headers)
            payload = error_body(exc.status, exc.message, path, self._request_id)
        except Exception:
            logger.exception("Unexpected failure answering %s %s", self.command, path)
            status, payload = 500, error_body(500, "Internal server error", path, self._request_id)
        if self._trace is not None:
            self._complete_trace(self._trace, api_name, parameters, keyed)
        if self._plan is NO_FAULT:
            trace_headers = self._trace.headers() if self._trace is not None else {}
            self._send_json(status, payload, {**headers, **trace_headers})
        else:
            self._send_faulted(path, status, payload, headers)

    def _complete_trace(
        self, trace: Trace, api_name: str | None, parameters: Mapping[str, str], keyed: bool
    ) -> None:
        """Fill in what the answer's tracing headers report, and log a refused create."""
        if api_name == "fetch":
            polled = unquote(parameters.get("generation_id", ""))
            trace.inference_id = polled if looks_like_generation_id(polled) else None
        elif self._job is not None:
            trace.inference_id, trace.cost = self._job.generation_id, self._job.cost
        elif keyed:  # the API read the request and refused it: a failed row at no cost
            trace.inference_id = self.backend.refuse_create(
                self._create_model, request_id=self._request_id, client_request_id=trace.client_request_id
            )
        else:  # no valid key: nothing to attribute the request to, so nothing is logged
            trace.inference_id = new_inference_id()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    # The handlers of the route table (urls.py): each takes the path's parameters.

    def create(self, parameters: Mapping[str, str]) -> Answer:
        """``POST /v1/stt/create``: validate the body and make the job.

        :param parameters: none on this route.
        """
        with self._read_submission() as submission:
            if isinstance(submission.model, str):
                self._create_model = submission.model
            request = validate_submission(submission)
            self._job, status, body = self.backend.create(
                request.model,
                request.options,
                url=request.url,
                upload=request.upload,
                job_fault=self._plan.job_fault,
                client_request_id=self._trace.client_request_id if self._trace is not None else None,
                request_id=self._request_id,
            )
            return status, body

    def fetch(self, parameters: Mapping[str, str]) -> Answer:
        """``GET /v1/stt/{generation_id}``: the job's status and result.

        :param parameters: ``generation_id``, still percent-encoded.
        """
        return 200, self.backend.fetch(unquote(parameters["generation_id"]))

    def logs(self, parameters: Mapping[str, str]) -> Answer:
        """``GET /v2/logs``: one row per create request the API processed (polls are not logged).

        :param parameters: none on this route; the filters are in the query string.
        """
        return 200, self.backend.logs(urlsplit(self.path).query)

    def stats(self, parameters: Mapping[str, str]) -> Answer:
        """``GET /_emulator/stats``: the counters.

        :param parameters: none on this route.
        """
        return 200, self.backend.stats.snapshot()

    def read_faults(self, parameters: Mapping[str, str]) -> Answer:
        """``GET /_emulator/faults``: the fault settings.

        :param parameters: none on this route.
        """
        return 200, self.faults.config.to_dict()

    def replace_faults(self, parameters: Mapping[str, str]) -> Answer:
        """``PUT /_emulator/faults``: replace every fault setting.

        :param parameters: none on this route.
        """
        return 200, replace_fault_settings(
            self.faults, self._request_body(), self.backend.config.max_json_bytes
        )

    def change_faults(self, parameters: Mapping[str, str]) -> Answer:
        """``PATCH /_emulator/faults``: change some fault settings.

        :param parameters: none on this route.
        """
        return 200, change_fault_settings(
            self.faults, self._request_body(), self.backend.config.max_json_bytes
        )

    def clear_faults(self, parameters: Mapping[str, str]) -> Answer:
        """``DELETE /_emulator/faults``: switch every fault off.

        :param parameters: none on this route.
        """
        return 200, self.faults.clear().to_dict()

    # Reading and writing.

    def _request_body(self) -> RequestBody:
        assert self._body is not None  # set before any handler runs
        return self._body

    def _require_api_key(self, api_key: str) -> None:
        scheme, _, token = (self.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise unauthorized_error()

    def _read_submission(self) -> Submission:
        config, body = self.backend.config, self._request_body()
        content_type = self.headers.get("Content-Type") or ""
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data":
            return parse_multipart_submission(body, content_type, config.max_upload_bytes, config.temp_dir)
        if media_type == "application/json" or media_type.endswith("+json"):
            return parse_json_submission(body.read_all(config.max_json_bytes))
        if media_type == "application/x-www-form-urlencoded":
            return parse_urlencoded_submission(body.read_all(config.max_json_bytes))
        received = f"'{media_type}'" if media_type else "no Content-Type"
        raise body_validation_error(
            [f"body: Expected application/json or multipart/form-data, received {received}"]
        )

    def _send_faulted(self, path: str, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        """Answer as the fault plan says, once the request body is read to its end."""
        config = self.backend.config
        if self._body is not None and not self._body.exhausted:
            self._body.drain(max(config.max_upload_bytes, config.max_json_bytes))
        self._fault_kind = self._plan.kind
        answer = faulted_answer(self._plan, self.faults, path, status, payload, headers, self._request_id)
        if answer is None:
            self.close_connection = True
            logger.info("%s %s dropped (fault: %s)", self.command, _printable(path), self._fault_kind)
            return
        status, data, sent_headers = answer
        if self._trace is not None:  # an answer lost after processing keeps nothing of the real one
            lost = self._plan.loses_answer
            sent_headers = {**sent_headers, **(expose_headers() if lost else self._trace.headers())}
        self._send_bytes(status, data, sent_headers)

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        self._send_bytes(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        body = self._body
        keep_alive = body is not None and (body.exhausted or body.drain(_DRAIN_LIMIT))
        self.backend.stats.count_response(status)  # counted first, so a client sees it once answered
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
        self.backend.stats.count_response(code)
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = _printable(urlsplit(getattr(self, "path", "") or "").path)
        status = int(code) if isinstance(code, int) else code
        if self._fault_kind is None:
            logger.info("%s %s %s", self.command or "-", path, status)
        else:
            logger.info("%s %s %s (fault: %s)", self.command or "-", path, status, self._fault_kind)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


def _printable(path: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in path)
