"""The hook: authentication and every HTTP call to the speech-to-text API."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, TypeVar

import httpx
import requests
from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_aimlstt import tracing
from airflow_provider_aimlstt.audio_duration import uploaded_duration
from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.exceptions import (
    AimlSttApiError,
    AimlSttAuthenticationError,
    AimlSttConfigError,
    AimlSttConnectionError,
    AimlSttError,
    AimlSttSubmissionNotLoggedError,
    AimlSttSubmissionUncertainError,
    AimlSttTimeoutError,
    AimlSttValidationError,
)
from airflow_provider_aimlstt.hooks.async_clients import shared_client
from airflow_provider_aimlstt.hooks.connection import ConnectionSettings, settings_from_connection
from airflow_provider_aimlstt.hooks.retry import (
    ApiRetryPolicy,
    async_retrying,
    may_have_been_accepted,
    retrying,
)
from airflow_provider_aimlstt.hooks.transport import (
    never_connected,
    session_for,
    transport_message,
)
from airflow_provider_aimlstt.hooks.usage_log import find_logged_create
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import CreateResponse, FetchResponse
from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.models.usage_log import UsageLogPage
from airflow_provider_aimlstt.multipart import MultipartFileBody, UploadFile
from airflow_provider_aimlstt.polling import PollSchedule, WaitResult
from airflow_provider_aimlstt.protocol import (
    ApiCall,
    create_call,
    fetch_call,
    parse_create,
    parse_fetch,
    parse_usage_log,
    request_headers,
    usage_log_call,
)
from airflow_provider_aimlstt.tracing import Charge, ResponseTrace

_Parsed = TypeVar("_Parsed")
_Reader = Callable[[int, dict[str, str], bytes], _Parsed]

MAX_CREATES = 3
"""Creates per submission at most, when ``resubmit_if_not_logged`` lets a lost one be sent again."""


class AimlSttHook(BaseHook):
    """Talks to the AI/ML API speech-to-text endpoints.

    A hook holds no state of any job: what a call or a wait learned is in what it returns
    (:class:`FetchResponse` with its ``charge``, :class:`~airflow_provider_aimlstt.polling.WaitResult`).

    Workers use the blocking methods (``submit``, ``get_job``); the triggerer uses ``aget_job``,
    which never blocks the event loop. Both build and read calls through
    :mod:`airflow_provider_aimlstt.protocol`.

    Failed calls are retried as :mod:`airflow_provider_aimlstt.hooks.retry` describes, by the
    connection's retry extras unless the arguments below override them.

    :param aimlstt_conn_id: the Airflow connection (type ``aimlstt``): API key in the password,
        base URL in the host.
    :param api_retries: retries of a failed call; None reads the connection (default 5).
    :param api_retry_backoff: upper bound of the first random wait, seconds; None reads the connection.
    :param api_retry_max_backoff: cap of the random wait, seconds; None reads the connection.
    :param resubmit_if_not_logged: when a create's answer was lost and the usage log shows no job
        made by it after the connection's ``usage_log_wait``, submit again (False: fail, saying
        it is safe to clear the task).
    """

    conn_name_attr = "aimlstt_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "aimlstt"
    hook_name = "AI/ML API Speech-to-Text"

    def __init__(
        self,
        aimlstt_conn_id: str = default_conn_name,
        api_retries: int | None = None,
        api_retry_backoff: float | None = None,
        api_retry_max_backoff: float | None = None,
        resubmit_if_not_logged: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.aimlstt_conn_id = aimlstt_conn_id
        self.resubmit_if_not_logged = resubmit_if_not_logged
        self.retry_overrides: dict[str, Any] = {
            "api_retries": api_retries,
            "api_retry_backoff": api_retry_backoff,
            "api_retry_max_backoff": api_retry_max_backoff,
        }
        ApiRetryPolicy().overridden(**self.retry_overrides)  # bad values fail here, before any call
        self._async_settings: ConnectionSettings | None = None

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection form's extra fields, for Airflow 2.11 to 3.1 (3.2+ reads the provider
        info's ``conn-fields`` instead and does not call this)."""
        from airflow_provider_aimlstt.hooks.connection_form import form_widgets

        return form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's standard fields: hidden, relabelled, placeholders (Airflow 2.11 to
        3.1; 3.2+ reads the provider info's ``ui-field-behaviour``)."""
        from airflow_provider_aimlstt.hooks.connection_form import hook_field_behaviour

        return hook_field_behaviour()

    # -- blocking transport (workers) -------------------------------------------------------

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The connection's settings, read once."""
        return settings_from_connection(self.get_connection(self.aimlstt_conn_id))

    @cached_property
    def session(self) -> requests.Session:
        """One HTTP session per hook, so polls reuse their TCP connection."""
        return session_for(self.settings.base_url)

    def get_conn(self) -> requests.Session:
        """Return the HTTP session (Airflow's hook interface)."""
        return self.session

    def submit(self, request: TranscriptionRequest, audio: AudioSource | None = None) -> str:
        """Submit a transcription job and return its generation id (see :meth:`submit_job`).

        :param request: a validated request (see :meth:`TranscriptionRequest.build`).
        :param audio: its audio, already checked (:meth:`AudioSource.checked`); checked here when None.
        """
        return self.submit_job(request, audio).generation_id

    def submit_job(
        self,
        request: TranscriptionRequest,
        audio: AudioSource | None = None,
        *,
        client_request_id: str | None = None,
    ) -> SubmittedJob:
        """Submit a transcription job; return its generation id, client request id and charge.

        Retried only where the API cannot have accepted the request (no connection, 429, 503).
        When the answer is lost after the request may have been accepted, the job is looked up in
        the usage log by its client request id and adopted if it is there
        (:mod:`~airflow_provider_aimlstt.hooks.usage_log`).

        :param request: a validated request (see :meth:`TranscriptionRequest.build`).
        :param audio: its audio, already checked (:meth:`AudioSource.checked`); checked here when None.
        :param client_request_id: the ``X-Client-Request-Id`` to send (1-128 of ``A-Z a-z 0-9 . _ : -``;
            :func:`~airflow_provider_aimlstt.tracing.client_request_id` makes one); default a random one.
        :raises AimlSttValidationError: a bad ``client_request_id``, or an audio file that cannot
            be uploaded (nothing is sent).
        :raises AimlSttSubmissionNotLoggedError: the answer was lost and the usage log shows no job
            made by the request (safe to submit again).
        :raises AimlSttSubmissionUncertainError: the answer was lost and the usage log could not
            settle it; the job may exist on the server and is not submitted again.
        """
        request_id = client_request_id or tracing.client_request_id(uuid.uuid4().hex)
        if not tracing.is_client_request_id(request_id):
            raise AimlSttValidationError(
                "client_request_id: must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-', "
                f"got {request_id!r}"
            )
        if audio is None or (audio.path is not None and audio.size is None):
            audio = (audio or AudioSource.of(request)).checked()
        return self._create(request, audio, request_id, attempt=1)

    def _create(
        self, request: TranscriptionRequest, audio: AudioSource, request_id: str, attempt: int
    ) -> SubmittedJob:
        call = create_call(request, client_request_id=request_id)
        upload = audio.upload() if call.upload_field is not None else None
        sent_at = datetime.now(timezone.utc)
        try:
            created, trace = self._call(call, _create_reader, upload=upload)
        except AimlSttError as exc:
            if not may_have_been_accepted(exc):
                raise
            duration = uploaded_duration(upload)
            return self._settle_lost_create(request, audio, request_id, attempt, sent_at, exc, duration)
        submission = SubmittedJob(
            generation_id=created.generation_id,
            client_request_id=request_id,
            charge=trace.charge,
            submitted_at=time.time(),
            audio_seconds=uploaded_duration(upload),
        )
        self.log.info(
            "Submitted %s (model %s) as generation_id=%s (client_request_id=%s, charged %s)",
            audio.display,
            request.model,
            submission.generation_id,
            request_id,
            submission.charge.describe() if submission.charge else "(not reported)",
        )
        return submission

    def _settle_lost_create(
        self,
        request: TranscriptionRequest,
        audio: AudioSource,
        request_id: str,
        attempt: int,
        sent_at: datetime,
        lost: AimlSttError,
        audio_seconds: float | None,
    ) -> SubmittedJob:
        """After a create whose answer was lost: adopt its job from the usage log, or say there is none."""
        wait = self.settings.usage_log_wait
        if wait <= 0:
            raise AimlSttSubmissionUncertainError(audio.display, str(lost)) from None
        self.log.warning(
            "The answer to submitting %s was lost (%s); looking for client_request_id=%s in the usage log "
            "for up to %.0f s",
            audio.display,
            lost,
            request_id,
            wait,
        )
        try:
            row = find_logged_create(self.usage_log_page, request_id, sent_at, wait, self.log)
        except AimlSttError as exc:
            raise AimlSttSubmissionUncertainError(
                audio.display,
                str(lost),
                f"The usage log could not be read to settle it ({exc}), so it was not submitted again. "
                "Check the AI/ML API dashboard; to submit anyway, clear this task.",
            ) from None
        if row is not None and row.succeeded and row.inference_id:
            self.log.info(
                "Adopting generation_id=%s for %s: the API accepted the create whose answer was lost",
                row.inference_id,
                audio.display,
            )
            return SubmittedJob(
                generation_id=row.inference_id,
                client_request_id=request_id,
                charge=row.cost,
                found_in_usage_log=True,
                submitted_at=sent_at.timestamp(),
                audio_seconds=audio_seconds,
            )
        finding = (
            f"The usage log shows the API refused client_request_id={request_id}"
            if row is not None
            else f"The usage log shows no request with client_request_id={request_id} after {wait:.0f} s"
        )
        if self.resubmit_if_not_logged and attempt < MAX_CREATES:
            retry_id = tracing.client_request_id(request_id, attempt + 1)
            self.log.warning(
                "%s; submitting %s again as client_request_id=%s (resubmit_if_not_logged)",
                finding,
                audio.display,
                retry_id,
            )
            return self._create(request, audio, retry_id, attempt + 1)
        raise AimlSttSubmissionNotLoggedError(audio.display, str(lost), request_id, finding) from None

    def usage_log_page(self, start: datetime, end: datetime, offset: int = 0) -> UsageLogPage:
        """One page (up to 100 rows, newest first) of the usage log's window ``start``..``end``.

        :param start: the window's start.
        :param end: the window's end.
        :param offset: rows to skip.
        """
        return self._call(usage_log_call(start, end, offset), parse_usage_log)

    def get_job(self, generation_id: str) -> FetchResponse:
        """Read a job's status, and its result once completed; its ``charge`` is what this fetch
        was charged, where the answer said.

        :param generation_id: the id :meth:`submit` returned.
        """
        return self._call(fetch_call(generation_id), _fetch_reader(generation_id))

    def wait_for_job(
        self,
        generation_id: str,
        timeout: float,
        schedule: PollSchedule | None = None,
        job: FetchResponse | None = None,
        submission: SubmittedJob | None = None,
    ) -> WaitResult:
        """Poll a job on this worker until it is finished (completed or error).

        :param generation_id: the id :meth:`submit` returned.
        :param timeout: the longest wait, in seconds.
        :param schedule: the polls (default :meth:`PollSchedule.default`).
        :param job: the job as just fetched, to spare the first poll (its charge is counted).
        :param submission: the job's submission; with an expected time, the polls follow it.
        :return: the finished job, what the polls cost, and when they saw it finish.
        :raises AimlSttTimeoutError: when the job is not finished after ``timeout`` seconds.
        """
        started = time.monotonic()
        expected = submission.expected_finish if submission else None
        origin = started
        if submission is not None and submission.submitted_at is not None and expected is not None:
            origin = started - (time.time() - submission.submitted_at)
        times = (schedule or PollSchedule.default()).poll_times(
            origin, started, generation_id, expected, polled_at=started if job is not None else None
        )
        charge = job.charge if job is not None else None
        last_pending: float | None = None
        sent_at: float | None = None  # when the poll of ``job`` was sent (unknown for the caller's)
        for moment in times:
            if job is not None:
                if job.is_finished:
                    return WaitResult(generation_id, job, charge, time.time(), last_pending)
                last_pending = sent_at if sent_at is not None else last_pending
            waited = time.monotonic() - started
            if waited >= timeout:
                raise AimlSttTimeoutError(
                    f"Transcription {generation_id} did not finish before its deadline ({waited:.0f} s)"
                )
            pause = max(0.0, min(moment - time.monotonic(), timeout - waited))
            status = job.status if job is not None else "submitted"
            self.log.info("generation_id=%s status=%s next poll in %.1fs", generation_id, status, pause)
            time.sleep(pause)
            sent_at = time.time()
            job = self.get_job(generation_id)
            charge = Charge.total([charge, job.charge])
        raise AssertionError("unreachable: the schedule has no end")  # pragma: no cover

    def test_connection(self) -> tuple[bool, str]:
        """Prove the key works without starting a paid job: fetch an id that cannot exist.

        A 404 means the key was accepted; a 401 means it was not. Nothing is retried, so the
        answer comes at once. The messages speak of the connection being edited as the form does
        (Airflow tests a copy under a random id, which the user never sees) and name no job id.
        """
        try:
            settings_from_connection(self.get_connection(self.aimlstt_conn_id), named="This connection")
        except AimlSttConfigError as exc:
            return False, str(exc)
        generation_id = f"connection-test-{uuid.uuid4().hex}"
        call = fetch_call(generation_id)
        base_url = self.settings.base_url
        try:
            self._call(call, _fetch_reader(generation_id), ApiRetryPolicy(api_retries=0))
        except AimlSttApiError as exc:
            if exc.status_code == 404:
                return True, f"Connected to {base_url}; the API key was accepted."
            said = f": {exc.server_message}" if exc.server_message else ""
            if isinstance(exc, AimlSttAuthenticationError):
                return False, f"{base_url} refused the API key (HTTP 401{said}). Check the API key."
            return False, f"{base_url} answered HTTP {exc.status_code}{said}. {exc.hint}."
        except AimlSttConnectionError as exc:
            what = (
                "the connection broke before an answer" if exc.request_sent else "no connection could be made"
            )
            cause = f" ({type(exc.__cause__).__name__})" if exc.__cause__ is not None else ""
            return False, f"Could not reach {base_url}: {what}{cause}. Check the base URL."
        except AimlSttError as exc:
            return False, str(exc)
        return True, f"Connected to {base_url}."

    def _retry_policy(self, settings: ConnectionSettings) -> ApiRetryPolicy:
        """The connection's retry policy with this hook's overrides.

        :param settings: the connection's settings.
        """
        return settings.retry_policy.overridden(**self.retry_overrides)

    def _call(
        self,
        call: ApiCall,
        read: _Reader[_Parsed],
        policy: ApiRetryPolicy | None = None,
        upload: UploadFile | None = None,
    ) -> _Parsed:
        """Send ``call`` (with ``upload`` as its file) and read its answer with ``read``, retrying by
        ``policy`` (else the hook's)."""
        policy = policy or self._retry_policy(self.settings)
        for attempt in retrying(call, policy, self.log):
            with attempt:
                return read(*self._send(call, upload))
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _send(self, call: ApiCall, upload: UploadFile | None = None) -> tuple[int, dict[str, str], bytes]:
        settings = self.settings
        url = settings.base_url + call.path
        headers = {**request_headers(settings.api_key), **call.headers}
        timeout = (settings.connect_timeout, settings.read_timeout)
        sent: dict[str, Any] = {"headers": headers, "timeout": timeout, "params": call.query or None}
        try:
            if upload is not None and call.upload_field is not None:
                body = MultipartFileBody(call.form_fields, call.upload_field, upload)
                headers["Content-Type"] = body.content_type
                response = self.session.request(call.method, url, data=body, **sent)
            else:
                response = self.session.request(call.method, url, json=call.json_body, **sent)
        except requests.RequestException as exc:
            raise AimlSttConnectionError(
                transport_message(call, url, exc), request_sent=not never_connected(exc)
            ) from None
        return response.status_code, dict(response.headers), response.content

    # -- non-blocking transport (triggerer) ------------------------------------------------

    async def aget_job(self, generation_id: str) -> FetchResponse:
        """Like :meth:`get_job`, without blocking the event loop.

        :param generation_id: the id :meth:`submit` returned.
        """
        call = fetch_call(generation_id)
        settings = await self._aget_settings()
        async for attempt in async_retrying(call, self._retry_policy(settings), self.log):
            with attempt:
                return _fetch_reader(generation_id)(*await self._asend(call))
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def aclose(self) -> None:
        """Let go of the async transport. The client is shared by every wait of the loop
        (:mod:`~airflow_provider_aimlstt.hooks.async_clients`), so it stays open for the others."""
        self._async_settings = None

    async def _asend(self, call: ApiCall) -> tuple[int, dict[str, str], bytes]:
        if call.upload_field is not None:
            raise NotImplementedError("uploads are made by workers, through the blocking transport")
        settings = await self._aget_settings()
        url = settings.base_url + call.path
        try:
            response = await shared_client(settings, call.generation_id or "").request(
                call.method,
                url,
                json=call.json_body,
                params=tuple(call.query) or None,
                headers={**request_headers(settings.api_key), **call.headers},
            )
        except httpx.HTTPError as exc:
            never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
            message = transport_message(call, url, exc)
            raise AimlSttConnectionError(message, request_sent=not never_sent) from None
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


def _fetch_reader(generation_id: str) -> _Reader[FetchResponse]:
    """Reads a fetch answer, with what its headers say the fetch was charged."""

    def read(status_code: int, headers: dict[str, str], body: bytes) -> FetchResponse:
        job = parse_fetch(status_code, headers, body, generation_id)
        job.charge = ResponseTrace.of(headers).charge
        return job

    return read


def _create_reader(
    status_code: int, headers: dict[str, str], body: bytes
) -> tuple[CreateResponse, ResponseTrace]:
    return parse_create(status_code, headers, body), ResponseTrace.of(headers)
