"""Settings read from an Airflow connection of type ``aimlstt``."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_aimlstt.defaults import (
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_BASE_URL,
    READ_TIMEOUT_SECONDS,
    USAGE_LOG_WAIT_SECONDS,
)
from airflow_provider_aimlstt.exceptions import AimlSttConfigError
from airflow_provider_aimlstt.hooks.retry import ApiRetryPolicy

FORM_FIELD_PREFIX = "extra__aimlstt__"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to call the API. The key is kept out of ``repr``.

    :param base_url: scheme, host and port, without a trailing ``/v1``.
    :param api_key: the API key.
    :param connect_timeout: seconds to wait for a TCP connection.
    :param read_timeout: seconds to wait between bytes of an answer.
    :param retry_policy: how failed calls are retried.
    :param usage_log_wait: after a create whose answer was lost, how long to look for it in the
        usage log (seconds; 0 does not look, and the task fails as uncertain).
    """

    base_url: str
    api_key: str = field(repr=False)
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    read_timeout: float = READ_TIMEOUT_SECONDS
    retry_policy: ApiRetryPolicy = field(default_factory=ApiRetryPolicy)
    usage_log_wait: float = USAGE_LOG_WAIT_SECONDS


def settings_from_connection(conn: Any, named: str | None = None) -> ConnectionSettings:
    """Read the settings of an Airflow connection.

    The API key is the password; the base URL is the host (with scheme and port, or a bare host
    name with ``schema`` as scheme); extras may set ``read_timeout`` (seconds), ``connect_timeout``,
    ``usage_log_wait`` (seconds, 0 or more) and ``allow_insecure_http`` (plain http to a host that
    is not loopback).

    :param conn: an Airflow ``Connection``.
    :param named: how messages name the connection; default ``Connection '<conn_id>'``.
    :raises AimlSttConfigError: when the key is missing or the URL or an extra is unusable.
    """
    named = named or f"Connection {getattr(conn, 'conn_id', None) or '?'!r}"
    if not conn.password:
        raise AimlSttConfigError(
            f"{named} has no API key: put the AI/ML API key in its API key field (the password)"
        )
    extra = _extras(conn.extra_dejson or {})
    base_url = _base_url(conn.host, conn.schema, conn.port, named)
    parts = urlsplit(base_url)
    insecure = parts.scheme == "http" and not _is_loopback(parts.hostname or "")
    if insecure and not _flag(extra.get("allow_insecure_http"), "allow_insecure_http", named):
        raise AimlSttConfigError(
            f"{named} points at plain http on a host that is not loopback ({base_url}); "
            "the API key would travel unencrypted. Use https, or set the extra "
            '"allow_insecure_http": true to accept that.'
        )
    return ConnectionSettings(
        base_url=base_url,
        api_key=conn.password,
        connect_timeout=_seconds(
            extra.get("connect_timeout", CONNECT_TIMEOUT_SECONDS), "connect_timeout", named
        ),
        read_timeout=_seconds(extra.get("read_timeout", READ_TIMEOUT_SECONDS), "read_timeout", named),
        retry_policy=_retry_policy(extra, named),
        usage_log_wait=_seconds(
            extra.get("usage_log_wait", USAGE_LOG_WAIT_SECONDS), "usage_log_wait", named, allow_zero=True
        ),
    )


def _retry_policy(extra: dict[str, Any], named: str) -> ApiRetryPolicy:
    policy = ApiRetryPolicy()
    retries = extra.get("api_retries")
    if retries is not None:
        try:
            number = float(retries)
        except (TypeError, ValueError):
            number = -1.0
        if isinstance(retries, bool) or number < 0 or not number.is_integer():
            raise AimlSttConfigError(
                f"{named}: extra 'api_retries' must be a whole number, 0 or more, got {retries!r}"
            )
        retries = int(number)
    backoffs = {
        name: _seconds(extra[name], name, named)
        for name in ("api_retry_backoff", "api_retry_max_backoff")
        if name in extra
    }
    return policy.overridden(api_retries=retries, **backoffs)


def _extras(raw: dict[str, Any]) -> dict[str, Any]:
    """Extras by plain name; the connection form stores them as ``extra__aimlstt__<name>``."""
    extras = {key.removeprefix(FORM_FIELD_PREFIX): value for key, value in raw.items()}
    return {key: value for key, value in extras.items() if value not in (None, "")}


def _base_url(host: str | None, schema: str | None, port: int | None, named: str) -> str:
    if not host:
        return DEFAULT_BASE_URL
    text = host.strip().rstrip("/")
    if "://" not in text:
        text = f"{schema or 'https'}://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AimlSttConfigError(f"{named}: host must be an http(s) base URL, got {host!r}")
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/").removesuffix("/v1")
    return f"{parts.scheme}://{netloc}{path}"


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _seconds(value: Any, name: str, named: str, allow_zero: bool = False) -> float:
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds):
        raise AimlSttConfigError(f"{named}: extra {name!r} must be seconds, got {value!r}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "above 0"
        raise AimlSttConfigError(f"{named}: extra {name!r} must be {least}, got {value!r}")
    return seconds


def _flag(value: Any, name: str, named: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise AimlSttConfigError(f"{named}: extra {name!r} must be true or false, got {value!r}")
