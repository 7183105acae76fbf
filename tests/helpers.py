"""Small helpers shared by tests."""

from __future__ import annotations

import socket
import time

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import FetchResponse


def wait_until_finished(hook: AimlSttHook, generation_id: str, limit: float = 15.0) -> FetchResponse:
    """Poll the emulator until the job completes or fails."""
    stop = time.monotonic() + limit
    while True:
        job = hook.get_job(generation_id)
        if job.is_completed or job.is_failed:
            return job
        if time.monotonic() > stop:
            raise AssertionError(f"{generation_id} still {job.status} after {limit} s")
        time.sleep(0.05)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
