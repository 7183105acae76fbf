"""Small helpers shared by tests."""

from __future__ import annotations

import socket

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import FetchResponse
from airflow_provider_aimlstt.polling import PollSchedule


def wait_until_finished(hook: AimlSttHook, generation_id: str, limit: float = 15.0) -> FetchResponse:
    """Poll the emulator until the job completes or fails, with the hook's own synchronous wait."""
    return hook.wait_for_job(generation_id, limit, PollSchedule(0.05, 0.05))


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
