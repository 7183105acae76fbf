"""The hook: authentication and every HTTP call to the speech-to-text API."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from functools import cache, cached_property
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from airflow.sdk import BaseHook

from airflow_provider_aimlstt.exceptions import AimlSttApiError, AimlSttConnectionError, AimlSttError
from airflow_provider_aimlstt.hooks.connection import ConnectionSettings, settings_from_connection
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.multipart import MultipartFileBody
from airflow_provider_aimlstt.protocol import (
    ApiCall,
    create_call,
    fetch_call,
    parse_create,
    parse_fetch,
    request_headers,
)

_Answer = tuple[int, dict[str, str], bytes]


@cache
def _shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every async client in the process: building one costs ~40 ms each."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with requests and httpx
        return ssl.create_default_context()


class AimlSttHook(BaseHook):
    """Talks to the AI/ML API speech-to-text endpoints.

    Workers use the blocking methods (``submit``, ``get_job``); the triggerer uses ``aget_job``,
    which never blocks the event loop. Both build and read calls through
    :mod:`airflow_provider_aimlstt.protocol`.

    :param aimlstt_conn_id: the Airflow connection (type ``aimlstt``): API key in the password,
        base URL in the host.
    """

    conn_name_attr = "aimlstt_conn_id"
    default_conn_name = "aimlstt_default"
    conn_type = "aimlstt"
    hook_name = "AI/ML API Speech-to-Text"

    def __init__(self, aimlstt_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.aimlstt_conn_id = aimlstt_conn_id
        self._async_settings: ConnectionSettings | None = None
        self._async_client: httpx.AsyncClient | None = None

    # -- blocking transport (workers) -------------------------------------------------------

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The connection's settings, read once."""
        return settings_from_connection(self.get_connection(self.aimlstt_conn_id))

    @cached_property
    def session(self) -> requests.Session:
        """One HTTP session per hook, so polls reuse their TCP connection."""
        return requests.Session()

    def get_conn(self) -> requests.Session:
        """Return the HTTP session (Airflow's hook interface)."""
        return self.session

    def submit(self, request: TranscriptionRequest) -> str:
        """Submit a transcription job and return its generation id.

        :param request: a validated request (see :meth:`TranscriptionRequest.build`).
        """
        call = create_call(request)
        status, headers, body = self._send(call)
        generation_id = parse_create(status, headers, body).generation_id
        self.log.info(
            "Submitted %s (model %s) as generation_id=%s",
            _describe_source(request),
            request.model,
            generation_id,
        )
        return generation_id

    def get_job(self, generation_id: str) -> FetchResponse:
        """Read a job's status, and its result once completed.

        :param generation_id: the id :meth:`submit` returned.
        """
        call = fetch_call(generation_id)
        return parse_fetch(*self._send(call), generation_id=generation_id)

    def test_connection(self) -> tuple[bool, str]:
        """Prove the key works without starting a paid job: fetch an id that cannot exist.

        A 404 means the key was accepted; a 401 means it was not.
        """
        try:
            self.get_job(f"connection-test-{uuid.uuid4().hex}")
        except AimlSttApiError as exc:
            if exc.status_code == 404:
                return True, f"Connected to {self.settings.base_url}; the API key was accepted."
            return False, str(exc)
        except AimlSttError as exc:
            return False, str(exc)
        return True, f"Connected to {self.settings.base_url}."

    def _send(self, call: ApiCall) -> _Answer:
        settings = self.settings
        url = settings.base_url + call.path
        headers = request_headers(settings.api_key)
        timeout = (settings.connect_timeout, settings.read_timeout)
        try:
            if call.upload_path is not None and call.upload_field is not None:
                body = MultipartFileBody(call.form_fields, call.upload_field, call.upload_path)
                headers["Content-Type"] = body.content_type
                response = self.session.request(call.method, url, data=body, headers=headers, timeout=timeout)
            else:
                response = self.session.request(
                    call.method, url, json=call.json_body, headers=headers, timeout=timeout
                )
        except requests.RequestException as exc:
            raise AimlSttConnectionError(_transport_message(call, url, exc)) from None
        return response.status_code, dict(response.headers), response.content

    # -- non-blocking transport (triggerer) ------------------------------------------------

    async def aget_job(self, generation_id: str) -> FetchResponse:
        """Like :meth:`get_job`, without blocking the event loop.

        :param generation_id: the id :meth:`submit` returned.
        """
        call = fetch_call(generation_id)
        return parse_fetch(*await self._asend(call), generation_id=generation_id)

    async def aclose(self) -> None:
        """Close the async client, if one was opened."""
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    async def _asend(self, call: ApiCall) -> _Answer:
        if call.upload_path is not None:
            raise NotImplementedError("uploads are made by workers, through the blocking transport")
        settings = await self._aget_settings()
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                verify=_shared_ssl_context(),
                timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            )
        url = settings.base_url + call.path
        try:
            response = await self._async_client.request(
                call.method, url, json=call.json_body, headers=request_headers(settings.api_key)
            )
        except httpx.HTTPError as exc:
            raise AimlSttConnectionError(_transport_message(call, url, exc)) from None
        return response.status_code, dict(response.headers), response.content

    async def _aget_settings(self) -> ConnectionSettings:
        if self._async_settings is None:
            getter = getattr(BaseHook, "aget_connection", None)
            if getter is not None:
                conn = await getter(self.aimlstt_conn_id)
            else:  # Airflow 3.0 has no async lookup: keep the blocking one off the event loop
                conn = await asyncio.to_thread(self.get_connection, self.aimlstt_conn_id)
            self._async_settings = settings_from_connection(conn)
        return self._async_settings


def _describe_source(request: TranscriptionRequest) -> str:
    """The audio source for logs. A URL loses its query string, which may hold a signed token."""
    if request.audio_url is not None:
        parts = urlsplit(request.audio_url)
        return f"URL {parts.scheme}://{parts.netloc}{parts.path}"
    return f"file {request.audio_path}"


def _transport_message(call: ApiCall, url: str, exc: Exception) -> str:
    about = f" for generation_id={call.generation_id}" if call.generation_id else ""
    kind = "timed out" if isinstance(exc, (requests.Timeout, httpx.TimeoutException)) else "failed"
    return f"{call.method} {url}{about} {kind}: {type(exc).__name__}: {exc}"
