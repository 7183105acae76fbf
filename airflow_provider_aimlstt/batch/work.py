"""The batch's calls on the worker: submitting a wave of files, settling an earlier try's unanswered
creates, and fetching finished jobs. Internal to :class:`~airflow_provider_aimlstt.batch.run.BatchRun`.

Each runs a bounded number of calls at once on threads, each thread with its own hook (an HTTP
session is not shared between threads). Each function takes manifest rows and updates them in
place; what one file meets never stops the others, except what no create could get past: a refused
key (401, 403) or an API no connection reaches, which stop the wave's creates not sent yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.batch.manifest import FileStatus, ManifestRow
from airflow_provider_aimlstt.batch.window import InFlightWindow
from airflow_provider_aimlstt.exceptions import (
    AimlSttApiError,
    AimlSttAuthenticationError,
    AimlSttBadRequestError,
    AimlSttConnectionError,
    AimlSttError,
    AimlSttForbiddenError,
    AimlSttRateLimitedError,
    AimlSttSubmissionNotLoggedError,
    AimlSttSubmissionUncertainError,
    AimlSttValidationError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.retry import is_transient
from airflow_provider_aimlstt.hooks.usage_log import find_logged_create
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.tracing import client_request_id


class ThreadHooks:
    """The batch's hooks on the worker: one per thread (and per kind), made on first use.

    :param aimlstt_conn_id: the Airflow connection every hook uses.
    """

    def __init__(self, aimlstt_conn_id: str) -> None:
        self.aimlstt_conn_id = aimlstt_conn_id
        self._local = threading.local()

    def get(self, *, retried: bool = True) -> AimlSttHook:
        """This thread's hook.

        :param retried: retry failed calls as the connection says; False: never (a create's 429 is
            the in-flight window's business, and a refused create is sent again at its pace).
        """
        name = "retried" if retried else "unretried"
        hook: AimlSttHook | None = getattr(self._local, name, None)
        if hook is None:
            hook = AimlSttHook(aimlstt_conn_id=self.aimlstt_conn_id, api_retries=None if retried else 0)
            setattr(self._local, name, hook)
        return hook


def request_for(
    source: str, model: str, options: dict[str, Any], allow_unknown_model: bool
) -> TranscriptionRequest:
    """The create request of one file: a URL source for http(s), an upload for anything else.

    :param source: the audio's URI or path.
    :param model: the model id.
    :param options: the model's options.
    :param allow_unknown_model: accept a model id the provider does not list.
    """
    where = "audio_url" if source.startswith(("http://", "https://")) else "audio_path"
    return TranscriptionRequest.build(
        model=model, options=options, allow_unknown_model=allow_unknown_model, **{where: source}
    )


def row_request_id(identity: Sequence[object], row: ManifestRow) -> str:
    """The client request id of a row's next create: the task instance, the file and the attempt.

    No try number: a later try of the task computes the same id, so it finds the earlier try's
    create in the usage log.

    :param identity: DAG id, run id, task id and map index of the task instance.
    :param row: the file's row (its ``attempts`` already counts this create).
    """
    return client_request_id(*identity, row.source, row.attempts)


@dataclass
class WaveOutcome:
    """What a wave of creates met, beyond each file's own row.

    :param accepted: creates the API accepted.
    :param refusal: the first 401 or 403: the key may not create jobs, so no file can be submitted.
    :param unreachable: the first create that could not connect: it never reached the API.
    """

    accepted: int = 0
    refusal: AimlSttApiError | None = None
    unreachable: AimlSttConnectionError | None = None

    @property
    def stopped(self) -> bool:
        """Whether the wave stopped sending creates."""
        return self.refusal is not None or self.unreachable is not None


def submit_wave(
    rows: list[ManifestRow],
    requests_by_source: dict[str, TranscriptionRequest],
    hooks: ThreadHooks,
    window: InFlightWindow,
    max_attempts: int,
    log: Any,
) -> WaveOutcome:
    """Send the creates of rows already marked ``submitting``; record each one's outcome.

    A create refused with 401 or 403, or one that could not connect, stops the wave: the creates
    not sent yet are not sent. Such a create made no job, so its row goes back to ``pending``
    without counting as an attempt, like the rows left unsent; the caller decides what comes next
    from the outcome.

    :param rows: the rows to submit (status ``submitting``, ``client_request_id`` set).
    :param requests_by_source: each row's validated request.
    :param hooks: the hooks to create with (their unretried ones: a 429 is the window's business).
    :param window: the in-flight window, told of every accepted and rate-limited create.
    :param max_attempts: creates per file before a transient failure fails it.
    :param log: the task's logger.
    :return: how many creates were accepted, and what stopped the wave, if anything.
    """

    refusals: list[float | None] = []
    outcome = WaveOutcome()
    lock = threading.Lock()

    def submit(row: ManifestRow) -> None:
        if outcome.stopped:  # read without the lock: a create already under way is not stopped
            _back_to_pending(row, row.error, undo_attempt=True)
            return
        request = requests_by_source[row.source]
        try:
            audio = AudioSource.of(request).checked()
            job = hooks.get(retried=False).submit_job(request, audio, client_request_id=row.client_request_id)
        except AimlSttRateLimitedError as exc:
            refusals.append(exc.retry_after)
            _back_to_pending(row, "rate limited (429)", undo_attempt=True)
        except (AimlSttAuthenticationError, AimlSttForbiddenError) as exc:
            with lock:
                outcome.refusal = outcome.refusal or exc
            _back_to_pending(row, f"not submitted: {exc}", undo_attempt=True)
        except AimlSttConnectionError as exc:
            if exc.request_sent:  # the hook settles these through the usage log: not expected here
                _fail(row, str(exc), retryable=False)
                return
            with lock:  # it never reached the API: nothing to settle, safe to send again
                outcome.unreachable = outcome.unreachable or exc
            _back_to_pending(row, f"its create could not connect: {exc}", undo_attempt=True)
        except AimlSttSubmissionNotLoggedError as exc:
            _pending_or_failed(row, max_attempts, f"its create never reached the API: {exc}")
        except AimlSttSubmissionUncertainError as exc:
            _fail(row, str(exc), retryable=False)  # the job may exist: never sent again blindly
        except (AimlSttValidationError, AimlSttBadRequestError) as exc:
            _fail(row, str(exc), retryable=False)
        except AimlSttError as exc:
            if is_transient(exc):
                _pending_or_failed(row, max_attempts, str(exc))
            else:
                _fail(row, str(exc), retryable=False)
        else:
            with lock:
                outcome.accepted += 1
                window.accepted()
            row.status = FileStatus.SUBMITTED
            row.generation_id = job.generation_id
            row.submitted_at = (
                job.submitted_at or row.submitted_at
            )  # answered: its expected finish counts from it
            row.audio_seconds = job.audio_seconds
            row.cost_usd = float(job.charge.usd) if job.charge else None
            row.credits = job.charge.credits if job.charge else None
            row.error = None

    _run_all(submit, rows, window.limit)
    limited = len(refusals)
    if limited:  # one decrease per wave, however many of its creates were refused
        window.rate_limited(max((wait for wait in refusals if wait is not None), default=None))
        log.warning(
            "%d create(s) were rate limited (429): at most %d jobs in flight now (max_in_flight %d)",
            limited,
            window.size,
            window.limit,
        )
    return outcome


def settle_unanswered(rows: list[ManifestRow], hooks: ThreadHooks, log: Any) -> None:
    """Rows an earlier try left ``submitting``: adopt the job the usage log shows, else submit again.

    Each is looked for as long as the connection's ``usage_log_wait``.

    :param rows: the rows in ``submitting``.
    :param hooks: the hooks to read the usage log with.
    :param log: the task's logger.
    """
    if not rows:
        return
    wait_seconds = hooks.get().settings.usage_log_wait

    def settle(row: ManifestRow) -> None:
        hook = hooks.get()
        sent_at = datetime.fromtimestamp(row.submitted_at or time.time(), timezone.utc)
        try:
            found = find_logged_create(
                hook.usage_log_page, str(row.client_request_id), sent_at, wait_seconds, log
            )
        except AimlSttError as exc:
            _fail(row, f"an earlier try's create may have made a job, and the usage log could not say: {exc}")
            return
        if found is not None and found.succeeded and found.inference_id:
            log.info("%s: adopting generation_id=%s, made by an earlier try", row.source, found.inference_id)
            row.status, row.generation_id = FileStatus.SUBMITTED, found.inference_id
            row.cost_usd = float(found.cost.usd) if found.cost else None
            row.credits = found.cost.credits if found.cost else None
        else:
            _back_to_pending(row, "an earlier try's create never made a job")

    _run_all(settle, rows, 16)


def collect(
    rows: list[ManifestRow],
    write: Callable[[ManifestRow, FetchResponse], None],
    hooks: ThreadHooks,
    concurrency: int,
) -> None:
    """Fetch each finished job's result and write its transcripts; record failures per file.

    :param rows: rows whose jobs completed.
    :param write: writes one row's transcripts from its fetched job (whose ``charge`` is what
        that fetch cost).
    :param hooks: the hooks to fetch with.
    :param concurrency: fetches at once.
    """

    def fetch(row: ManifestRow) -> None:
        try:
            write(row, hooks.get().get_job(str(row.generation_id)))
        except AimlSttError as exc:
            _fail(row, f"its result could not be read or written: {exc}", retryable=True)
        except OSError as exc:
            _fail(row, f"its transcripts could not be written: {exc}", retryable=True)

    _run_all(fetch, rows, concurrency)


def _run_all(work: Callable[[ManifestRow], None], rows: list[ManifestRow], concurrency: int) -> None:
    if not rows:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(rows)))) as pool:
        for future in [pool.submit(work, row) for row in rows]:
            future.result()


def _back_to_pending(row: ManifestRow, why: str | None, undo_attempt: bool = False) -> None:
    row.status, row.error, row.generation_id = FileStatus.PENDING, why, None
    if undo_attempt:
        row.attempts = max(0, row.attempts - 1)


def _pending_or_failed(row: ManifestRow, max_attempts: int, why: str) -> None:
    if row.attempts < max_attempts:
        _back_to_pending(row, why)
    else:
        _fail(row, f"{why} (after {row.attempts} attempts)", retryable=True)


def _fail(row: ManifestRow, why: str, retryable: bool = True) -> None:
    row.status, row.error, row.retryable = FileStatus.FAILED, why, retryable
