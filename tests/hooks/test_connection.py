"""Reading the ``aimlstt`` connection: base URL forms, timeouts, the key, plain-http refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_aimlstt.defaults import DEFAULT_BASE_URL, READ_TIMEOUT_SECONDS
from airflow_provider_aimlstt.exceptions import AimlSttConfigError
from airflow_provider_aimlstt.hooks.connection import settings_from_connection
from airflow_provider_aimlstt.hooks.retry import ApiRetryPolicy


@dataclass
class Conn:
    """The attributes of an Airflow Connection that the reader uses."""

    host: str | None = None
    password: str | None = "k-123"
    schema: str | None = None
    port: int | None = None
    extra_dejson: dict[str, Any] = field(default_factory=dict)
    conn_id: str = "aimlstt_default"


@pytest.mark.parametrize(
    ("conn", "base_url"),
    [
        (Conn(), DEFAULT_BASE_URL),
        (Conn(host="https://api.aimlapi.com/v1/"), "https://api.aimlapi.com"),
        (Conn(host="api.example.com"), "https://api.example.com"),
        (Conn(host="127.0.0.1", schema="http", port=8765), "http://127.0.0.1:8765"),
        (Conn(host="http://localhost:9000"), "http://localhost:9000"),
        (Conn(host="https://gw.example.com/aiml"), "https://gw.example.com/aiml"),
    ],
)
def test_base_url_forms(conn: Conn, base_url: str) -> None:
    assert settings_from_connection(conn).base_url == base_url


def test_missing_key_is_a_config_error_naming_the_connection() -> None:
    with pytest.raises(AimlSttConfigError, match="'aimlstt_default' has no API key"):
        settings_from_connection(Conn(password=""))


def test_key_is_not_in_the_settings_repr() -> None:
    settings = settings_from_connection(Conn(password="sk-very-secret"))
    assert settings.api_key == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)


def test_plain_http_to_a_remote_host_needs_an_explicit_opt_in() -> None:
    with pytest.raises(AimlSttConfigError, match="unencrypted"):
        settings_from_connection(Conn(host="http://stt.example.com"))
    allowed = Conn(host="http://stt.example.com", extra_dejson={"allow_insecure_http": True})
    assert settings_from_connection(allowed).base_url == "http://stt.example.com"
    form_style = Conn(host="http://10.0.0.5", extra_dejson={"extra__aimlstt__allow_insecure_http": "true"})
    assert settings_from_connection(form_style).base_url == "http://10.0.0.5"


def test_timeouts_from_plain_and_form_extras() -> None:
    settings = settings_from_connection(
        Conn(extra_dejson={"read_timeout": "12.5", "extra__aimlstt__connect_timeout": 3})
    )
    assert (settings.read_timeout, settings.connect_timeout) == (12.5, 3.0)
    for bad in ("soon", 0, -1):
        with pytest.raises(AimlSttConfigError, match="extra 'read_timeout'"):
            settings_from_connection(Conn(extra_dejson={"read_timeout": bad}))


def test_the_old_timeout_extra_is_not_read_any_more() -> None:
    """``timeout`` was the old name of ``read_timeout``, removed before the first release."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        settings = settings_from_connection(Conn(extra_dejson={"extra__aimlstt__timeout": 7}))
        both = settings_from_connection(Conn(extra_dejson={"timeout": 7, "read_timeout": 9}))
    assert settings.read_timeout == READ_TIMEOUT_SECONDS
    assert both.read_timeout == 9.0


def test_unusable_host_is_reported() -> None:
    with pytest.raises(AimlSttConfigError, match="host must be an http"):
        settings_from_connection(Conn(host="ftp://files.example.com"))


def test_retry_policy_defaults_and_extras_in_both_forms() -> None:
    default = settings_from_connection(Conn()).retry_policy
    assert default == ApiRetryPolicy()
    plain = settings_from_connection(
        Conn(extra_dejson={"api_retries": 2, "api_retry_backoff": 0.5, "api_retry_max_backoff": "9"})
    )
    assert plain.retry_policy == ApiRetryPolicy(2, 0.5, 9.0)
    form = settings_from_connection(
        Conn(extra_dejson={"extra__aimlstt__api_retries": "0", "extra__aimlstt__api_retry_backoff": ""})
    )
    assert form.retry_policy == ApiRetryPolicy(api_retries=0)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"api_retries": "many"}, "api_retries"),
        ({"api_retries": -3}, "api_retries"),
        ({"api_retries": 2.5}, "api_retries"),
        ({"api_retry_backoff": "soon"}, "api_retry_backoff"),
        ({"api_retry_max_backoff": 0}, "api_retry_max_backoff"),
    ],
)
def test_bad_retry_extras_name_the_connection_and_the_extra(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(AimlSttConfigError, match=rf"Connection 'aimlstt_default': extra '{field}'"):
        settings_from_connection(Conn(extra_dejson=extra))


def test_the_connection_form_shows_the_defaults_the_hook_uses() -> None:
    from airflow_provider_aimlstt.get_provider_info import get_provider_info
    from airflow_provider_aimlstt.hooks.connection import ConnectionSettings

    [connection_type] = get_provider_info()["connection-types"]
    form = {name: field["schema"]["default"] for name, field in connection_type["conn-fields"].items()}
    used = ConnectionSettings(base_url=DEFAULT_BASE_URL, api_key="k")
    policy = ApiRetryPolicy()
    assert form == {
        "read_timeout": used.read_timeout,
        "connect_timeout": used.connect_timeout,
        "allow_insecure_http": False,
        "api_retries": policy.api_retries,
        "api_retry_backoff": policy.api_retry_backoff,
        "api_retry_max_backoff": policy.api_retry_max_backoff,
        "usage_log_wait": used.usage_log_wait,
    }
    assert (
        connection_type["ui-field-behaviour"]["placeholders"]["host"]
        == settings_from_connection(Conn()).base_url
    )
