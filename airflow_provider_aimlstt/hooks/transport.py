"""What the hook's two HTTP libraries need around a call: one TLS context, and failures put in words."""

from __future__ import annotations

import ssl
from functools import cache

import httpx
import requests
import urllib3.exceptions

from airflow_provider_aimlstt.protocol import ApiCall


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every async client in the process: building one costs ~40 ms each."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with requests and httpx
        return ssl.create_default_context()


def never_connected(exc: requests.RequestException) -> bool:
    """Whether ``requests`` failed before a connection existed, so nothing can have been sent.

    :param exc: what ``requests`` raised.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def transport_message(call: ApiCall, url: str, exc: Exception) -> str:
    """The failed call in one line: method, URL, generation id, and what went wrong (never a header).

    :param call: the call that failed.
    :param url: its whole URL.
    :param exc: what the HTTP library raised.
    """
    about = f" for generation_id={call.generation_id}" if call.generation_id else ""
    kind = "timed out" if isinstance(exc, (requests.Timeout, httpx.TimeoutException)) else "failed"
    return f"{call.method} {url}{about} {kind}: {type(exc).__name__}: {exc}"
