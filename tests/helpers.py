"""Small helpers shared by tests."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import requests

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import FetchResponse
from airflow_provider_aimlstt.polling import PollSchedule
from airflow_provider_aimlstt.protocol import CREATE_PATH, USAGE_LOG_PATH


def load_script(name: str) -> ModuleType:
    """One of the repository's ``scripts/`` (not a package), imported as a module.

    :param name: the script's file name without ``.py``.
    """
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class InMemoryVariables:
    """A stand-in for ``airflow.sdk.Variable`` (a worker reaches the real one through the API
    server): one deployment's variables, kept in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """One variable's value.

        :param key: the variable's name.
        :param default: what an unset one reads as.
        """
        return self.values.get(key, default)

    def set(self, key: str, value: Any, description: str | None = None) -> None:
        """Set one variable.

        :param key: the variable's name.
        :param value: its new value.
        :param description: what the real one shows beside it; not kept here.
        """
        self.values[key] = value


def wait_until_finished(hook: AimlSttHook, generation_id: str, limit: float = 15.0) -> FetchResponse:
    """Poll the emulator until the job completes or fails, with the hook's own synchronous wait."""
    return hook.wait_for_job(generation_id, limit, PollSchedule(0.05, 0.05)).job


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds; whether it did before ``timeout`` seconds passed.

    :param condition: what is waited for.
    :param timeout: seconds before giving up.
    :param interval: seconds between two looks.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiProxy:
    """An HTTP proxy in front of the emulator that can lose creates before they reach it.

    ``drop_creates`` creates are answered by closing the connection without forwarding them (the
    API never saw them, so its usage log has no row); ``create_status`` answers every create with
    that status instead of forwarding it (``refused`` keeps their headers); ``usage_log_status``
    answers ``/v2/logs`` with that status instead of forwarding. Everything else is forwarded as
    it is.

    :param target: the emulator's base URL.
    """

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.drop_creates = 0
        self.create_status: int | None = None
        self.refused: list[dict[str, str]] = []
        self.usage_log_status: int | None = None
        self.dropped: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """Where clients should send their calls."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ApiProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and self.path.startswith(CREATE_PATH) and proxy.drop_creates > 0:
                    proxy.drop_creates -= 1
                    proxy.dropped.append(dict(self.headers))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if self.command == "POST" and self.path.startswith(CREATE_PATH) and proxy.create_status:
                    proxy.refused.append(dict(self.headers))
                    self._answer(proxy.create_status, b'{"message": "refused by the test proxy"}')
                    return
                if self.path.startswith(USAGE_LOG_PATH) and proxy.usage_log_status is not None:
                    self._answer(proxy.usage_log_status, b"{}")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=30
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in _HOP_BY_HOP | {"content-length", "content-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _relay

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}


def fast_batch_polls(monkeypatch: Any) -> None:
    """A batch task polls every 0.3 s, growing to 1 s, and never holds a resume back (``dag.test()``
    has no scheduler to race with): internal constants, not operator arguments.

    :param monkeypatch: the test's ``pytest.MonkeyPatch``, which puts them back.
    """
    from airflow_provider_aimlstt.batch import run
    from airflow_provider_aimlstt.triggers import batch as batch_trigger

    monkeypatch.setattr(batch_trigger, "FIRST_POLL_SECONDS", 0.3)
    monkeypatch.setattr(batch_trigger, "MAX_POLL_SECONDS", 1.0)
    monkeypatch.setattr(run, "MIN_DEFER_SECONDS", 0.0)
