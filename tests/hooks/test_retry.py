"""The retry policy: what is retried, what a create may repeat, and how long the waits are."""

from __future__ import annotations

import pytest

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.hooks.retry import (
    MAX_RETRY_AFTER,
    ApiRetryPolicy,
    is_retryable,
    is_transient,
    may_have_been_accepted,
)
from airflow_provider_aimlstt.protocol import CREATE_PATH, ApiCall, api_error_class, fetch_call

CREATE = ApiCall("POST", CREATE_PATH, json_body={"model": "m", "url": "https://x/a.wav"})
FETCH = fetch_call("abc")


def _api_error(status: int) -> exc.AimlSttApiError:
    return api_error_class(status)(status, "server says no")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_on_a_fetch(status: int) -> None:
    assert is_retryable(_api_error(status), FETCH)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 501])
def test_client_errors_are_never_retried(status: int) -> None:
    assert not is_retryable(_api_error(status), FETCH)
    assert not is_retryable(_api_error(status), CREATE)


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (503, True), (500, False), (502, False), (504, False)]
)
def test_a_create_is_retried_only_where_it_cannot_have_been_accepted(status: int, retried: bool) -> None:
    error = _api_error(status)
    assert is_retryable(error, CREATE) is retried
    assert may_have_been_accepted(error) is not retried


def test_a_connection_that_never_opened_is_safe_to_retry_for_a_create() -> None:
    refused = exc.AimlSttConnectionError("refused", request_sent=False)
    assert is_retryable(refused, CREATE)
    assert not may_have_been_accepted(refused)


def test_a_read_timeout_or_dropped_connection_is_ambiguous_for_a_create() -> None:
    dropped = exc.AimlSttConnectionError("read timed out", request_sent=True)
    assert is_retryable(dropped, FETCH)
    assert not is_retryable(dropped, CREATE)
    assert may_have_been_accepted(dropped)


def test_an_unreadable_answer_is_retried_for_a_fetch_and_ambiguous_for_a_create() -> None:
    unreadable = exc.AimlSttResponseError("not json")
    assert is_retryable(unreadable, FETCH)
    assert not is_retryable(unreadable, CREATE)
    assert may_have_been_accepted(unreadable)


def test_a_retry_after_beyond_the_limit_is_not_waited_out() -> None:
    short = exc.AimlSttRateLimitedError(429, retry_after=30)
    long = exc.AimlSttRateLimitedError(429, retry_after=MAX_RETRY_AFTER + 1)
    assert is_retryable(short, CREATE)
    assert not is_retryable(long, CREATE)


def test_validation_and_failed_jobs_are_not_retried() -> None:
    assert not is_retryable(exc.AimlSttValidationError("model: unknown"), FETCH)
    assert not is_retryable(exc.AimlSttTranscriptionFailedError("abc", "bad audio"), FETCH)


def test_full_jitter_stays_under_the_doubling_ceiling_and_the_cap() -> None:
    policy = ApiRetryPolicy(api_retries=8, api_retry_backoff=0.5, api_retry_max_backoff=3.0)
    for retry_number in range(1, 9):
        ceiling = min(3.0, 0.5 * 2 ** (retry_number - 1))
        waits = [policy.wait_before_retry(retry_number) for _ in range(300)]
        assert all(0.0 <= wait <= ceiling for wait in waits), (retry_number, max(waits))
        # Full jitter: spread over the whole range, not clustered at the ceiling.
        assert min(waits) < ceiling * 0.2 and max(waits) > ceiling * 0.8


def test_retry_after_is_a_floor_for_the_wait() -> None:
    policy = ApiRetryPolicy(api_retry_backoff=0.1, api_retry_max_backoff=0.2)
    assert all(policy.wait_before_retry(1, retry_after=7.0) >= 7.0 for _ in range(50))


def test_defaults_actually_retry() -> None:
    policy = ApiRetryPolicy()
    assert policy.api_retries >= 3
    assert policy.api_retry_backoff > 0 and policy.api_retry_max_backoff >= policy.api_retry_backoff


def test_overrides_replace_only_what_is_given() -> None:
    base = ApiRetryPolicy(api_retries=5, api_retry_backoff=2.0, api_retry_max_backoff=30.0)
    assert base.overridden(api_retries=0) == ApiRetryPolicy(0, 2.0, 30.0)
    assert base.overridden() == base


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"api_retries": -1}, "api_retries"),
        ({"api_retries": 1.5}, "api_retries"),
        ({"api_retries": True}, "api_retries"),
        ({"api_retry_backoff": 0}, "api_retry_backoff"),
        ({"api_retry_max_backoff": -2.0}, "api_retry_max_backoff"),
    ],
)
def test_bad_policy_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: "):
        ApiRetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_api_error(429), True),
        (_api_error(500), True),
        (_api_error(503), True),
        (_api_error(501), False),
        (_api_error(400), False),
        (_api_error(404), False),
        (exc.AimlSttConnectionError("reset"), True),
        (exc.AimlSttResponseError("not JSON"), True),
        (exc.AimlSttTranscriptionFailedError("abc", "bad audio"), False),
        (exc.AimlSttValidationError("model: unknown"), False),
    ],
)
def test_one_definition_of_transient_serves_the_hook_and_the_trigger(
    error: Exception, transient: bool
) -> None:
    """The trigger polls again exactly when the hook would have retried a fetch (a 501 is neither)."""
    assert is_transient(error) is transient
    assert is_retryable(error, FETCH) is transient
