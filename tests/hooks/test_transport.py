"""The hook's session reads the proxy and CA variables once, and still goes where they say.

A recording proxy on loopback answers every request itself: a request that reaches it went
through the proxy; one that does not, went straight to the API (the emulator).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttNotFoundError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.transport import session_for
from tests.conftest import connection_json

GENERATION_ID = "6f1c8a52-1111-4222-8333-944455500042"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)  # a proxied request carries the absolute URL
        body = json.dumps({"id": GENERATION_ID, "status": "queued"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_proxy_in_the_environment_carries_the_polls(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = proxy
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT",
        connection_json("http://api.example.invalid", allow_insecure_http=True),
    )
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    job = AimlSttHook().get_job(GENERATION_ID)

    assert job.status == "queued"
    assert seen == [f"http://api.example.invalid/v1/stt/{GENERATION_ID}"]


def test_no_proxy_sends_the_polls_straight_to_the_api(
    emulator: Any, proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    hook = AimlSttHook()  # the emulator fixture points the connection at it, on 127.0.0.1

    with pytest.raises(AimlSttNotFoundError):
        hook.get_job(GENERATION_ID)  # the emulator itself answered: it does not know the id

    assert seen == []


def test_the_session_takes_the_ca_bundle_and_proxies_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "other.internal")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")

    session = session_for("https://api.aimlapi.com")

    assert session.trust_env is False  # nothing read again per request
    assert session.proxies.get("https") == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/company.pem"
    monkeypatch.setenv("NO_PROXY", "api.aimlapi.com")
    assert "https" not in session_for("https://api.aimlapi.com").proxies
