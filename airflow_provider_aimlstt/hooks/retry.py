"""When and how long to retry an API call: one policy for both transports of the hook.

Retried: 429, 500, 502, 503, 504, connection errors and read timeouts, with exponential backoff
and full jitter (a random wait between 0 and ``backoff * 2**n``, capped at ``max_backoff``), or
the server's ``Retry-After`` when it is longer. Never retried: 400, 401, 403, 404.

The create call is not idempotent, so it is retried only where the API cannot have accepted it:
the connection was never made, or the answer was 429 or 503. After an ambiguous failure (read
timeout, dropped connection, 500, 502, 504, an unreadable 2xx answer) the job may exist on the
server, and :func:`may_have_been_accepted` says so, so that the caller fails loudly instead of
paying twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from airflow_provider_aimlstt.defaults import (
    API_RETRIES,
    API_RETRY_BACKOFF_SECONDS,
    API_RETRY_MAX_BACKOFF_SECONDS,
)
from airflow_provider_aimlstt.exceptions import (
    AimlSttApiError,
    AimlSttConnectionError,
    AimlSttRateLimitedError,
    AimlSttResponseError,
    AimlSttServerError,
)
from airflow_provider_aimlstt.protocol import ApiCall

RETRIED_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
NOT_ACCEPTED_STATUS_CODES = frozenset({429, 503})
MAX_RETRY_AFTER = 600.0
"""A ``Retry-After`` longer than this (seconds) is not waited out: the error is raised instead."""


@dataclass(frozen=True)
class ApiRetryPolicy:
    """How often and how patiently one API call is retried.

    :param api_retries: retries after the first attempt (0 disables retrying).
    :param api_retry_backoff: the upper bound of the first wait, in seconds; it doubles per retry.
    :param api_retry_max_backoff: the cap of the random wait, in seconds.
    """

    api_retries: int = API_RETRIES
    api_retry_backoff: float = API_RETRY_BACKOFF_SECONDS
    api_retry_max_backoff: float = API_RETRY_MAX_BACKOFF_SECONDS

    def __post_init__(self) -> None:
        retries = self.api_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"api_retries: must be a whole number, 0 or more, got {self.api_retries!r}")
        for name in ("api_retry_backoff", "api_retry_max_backoff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name}: must be seconds above 0, got {value!r}")

    def overridden(
        self,
        api_retries: int | None = None,
        api_retry_backoff: float | None = None,
        api_retry_max_backoff: float | None = None,
    ) -> ApiRetryPolicy:
        """This policy with the given settings replaced; None keeps the current value."""
        changes: dict[str, Any] = {
            "api_retries": api_retries,
            "api_retry_backoff": api_retry_backoff,
            "api_retry_max_backoff": api_retry_max_backoff,
        }
        return replace(self, **{name: value for name, value in changes.items() if value is not None})

    def wait_before_retry(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first retry).

        :param retry_number: which retry this wait precedes.
        :param retry_after: what the server's ``Retry-After`` asked for, if anything.
        """
        ceiling = min(self.api_retry_max_backoff, self.api_retry_backoff * 2 ** (retry_number - 1))
        jittered = random.uniform(0, ceiling)
        return max(jittered, retry_after or 0.0)


def is_transient(exc: BaseException) -> bool:
    """Whether a later identical request may not meet this failure again: the one definition.

    429, 500, 502, 503 and 504 answers, network failures and unreadable answers are transient;
    every other error (400, 401, 403, 404, 501, a job that failed, bad input) is not.

    :param exc: what a call raised, after its own retries.
    """
    if isinstance(exc, AimlSttApiError):
        return exc.status_code in RETRIED_STATUS_CODES
    return isinstance(exc, (AimlSttConnectionError, AimlSttResponseError))


def is_retryable(exc: BaseException, call: ApiCall) -> bool:
    """Whether another identical attempt of ``call`` is safe and may succeed, right away.

    :param exc: what the last attempt raised.
    :param call: the call that was attempted.
    """
    if not is_transient(exc):
        return False
    if isinstance(exc, AimlSttRateLimitedError) and (exc.retry_after or 0.0) > MAX_RETRY_AFTER:
        return False
    return call.is_idempotent or not may_have_been_accepted(exc)


def may_have_been_accepted(exc: BaseException) -> bool:
    """Whether a failed create call may still have started a job on the server.

    :param exc: what the create call finally raised.
    """
    if isinstance(exc, AimlSttConnectionError):
        return exc.request_sent
    if isinstance(exc, AimlSttServerError):
        return exc.status_code not in NOT_ACCEPTED_STATUS_CODES
    return isinstance(exc, AimlSttResponseError)


def retrying(call: ApiCall, policy: ApiRetryPolicy, log: logging.Logger | Any) -> Retrying:
    """A tenacity controller that retries ``call`` by ``policy``, logging each retry.

    :param call: the call to retry (its method decides what is safe to repeat).
    :param policy: how often and how long to wait.
    :param log: where retries are logged.
    """
    return Retrying(**_controller_arguments(call, policy, log))


def async_retrying(call: ApiCall, policy: ApiRetryPolicy, log: logging.Logger | Any) -> AsyncRetrying:
    """Like :func:`retrying`, sleeping with asyncio so the event loop goes on."""
    return AsyncRetrying(**_controller_arguments(call, policy, log))


def _controller_arguments(call: ApiCall, policy: ApiRetryPolicy, log: Any) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(policy.api_retries + 1),
        "wait": _wait_by(policy),
        "retry": retry_if_exception(lambda exc: is_retryable(exc, call)),
        "before_sleep": _log_retry(call, policy, log),
        "reraise": True,
    }


def _wait_by(policy: ApiRetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = exc.retry_after if isinstance(exc, AimlSttRateLimitedError) else None
        return policy.wait_before_retry(state.attempt_number, retry_after)

    return wait


def _log_retry(call: ApiCall, policy: ApiRetryPolicy, log: Any) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "API call %s %s failed (%s); retry %d/%d in %.1f s",
            call.method,
            call.path,
            exc,
            state.attempt_number,
            policy.api_retries,
            pause,
        )

    return before_sleep
