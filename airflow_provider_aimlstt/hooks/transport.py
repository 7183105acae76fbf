"""What the hook's two HTTP libraries need around a call: one TLS context, a session that reads the
environment once, and failures put in words."""

from __future__ import annotations

import os
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


def session_for(base_url: str) -> requests.Session:
    """A ``requests`` session for the API, with the environment's proxy and CA settings read once.

    By default ``requests`` reads the proxy variables (``HTTPS_PROXY``, ``NO_PROXY``, ...) on
    every request, which costs more than the rest of a poll where the environment is large, as
    in an Airflow worker. Read here once, for the API's address, they have the same effect.

    :param base_url: the API's base URL.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return session


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
