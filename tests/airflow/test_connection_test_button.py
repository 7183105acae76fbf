"""The UI's Test button: Airflow's own path (a transient connection as a URI in the environment,
then ``Connection.test_connection()``) reaches the hook's ``test_connection`` and starts no job."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from tests.conftest import TEST_API_KEY
from tests.helpers import closed_port


def _press_test(host: str, password: str, **extra: Any) -> tuple[bool, str]:
    """What the API server's ``POST /connections/test`` does with the form's values."""
    from airflow.models.connection import Connection

    conn_id = f"t{uuid.uuid4().hex[:12]}"
    conn = Connection(conn_id=conn_id, conn_type="aimlstt", host=host, password=password, extra=extra or None)
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    os.environ[variable] = conn.get_uri()
    try:
        ok, message = conn.test_connection()
    finally:
        os.environ.pop(variable, None)
    # Airflow tests a copy under a random id: the message speaks of "this connection" instead,
    # and of no id the user never made.
    assert conn_id not in message and "connection-test-" not in message, message
    return ok, message


def test_a_working_key_passes_without_starting_a_job(emulator: Any) -> None:
    creates_before = emulator.stats()["create_attempts"]
    ok, message = _press_test(emulator.base_url, TEST_API_KEY)
    assert ok, message
    assert "API key was accepted" in message
    assert emulator.stats()["create_attempts"] == creates_before  # a fetch of a random id, nothing paid


def test_a_wrong_key_fails_with_the_reason_and_without_the_key(emulator: Any) -> None:
    ok, message = _press_test(emulator.base_url, "sk-wrong-0123456789")
    assert not ok
    assert "HTTP 401" in message and "API key" in message
    assert "sk-wrong-0123456789" not in message


@pytest.mark.parametrize("api_retries", [None, "5"])
def test_an_unreachable_api_fails_at_once(api_retries: str | None, logs: Any) -> None:
    extra = {"api_retries": api_retries} if api_retries else {}
    ok, message = _press_test(f"http://127.0.0.1:{closed_port()}", "k", **extra)
    assert not ok and message.startswith("Could not reach http://127.0.0.1:"), message
    assert "retry 1/" not in logs()  # the button answers at once, whatever the retry settings


def test_a_plain_http_remote_host_is_refused_before_any_request() -> None:
    ok, message = _press_test("http://stt.example.com", "k")
    assert not ok and "allow_insecure_http" in message
    assert message.startswith("This connection points at plain http"), message


def test_a_connection_without_a_key_is_told_so_in_the_form_s_words() -> None:
    ok, message = _press_test("http://127.0.0.1:9", "")
    assert not ok and message.startswith("This connection has no API key"), message
    assert "API key field" in message
