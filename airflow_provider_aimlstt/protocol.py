"""The API's wire protocol without any I/O: what to send, and what an answer means.

Both transports of :class:`~airflow_provider_aimlstt.hooks.aimlstt.AimlSttHook` (``requests`` on
workers, ``httpx`` in the triggerer) build their calls and read their answers here, so there is
one code path for URLs, headers, bodies, parsing and error mapping.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from airflow_provider_aimlstt.exceptions import (
    AimlSttApiError,
    AimlSttAuthenticationError,
    AimlSttBadRequestError,
    AimlSttForbiddenError,
    AimlSttNotFoundError,
    AimlSttRateLimitedError,
    AimlSttResponseError,
    AimlSttServerError,
    AimlSttValidationError,
)
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import ApiErrorBody, CreateResponse, FetchResponse
from airflow_provider_aimlstt.models.usage_log import UsageLogPage
from airflow_provider_aimlstt.tracing import CLIENT_REQUEST_ID_HEADER

CREATE_PATH = "/v1/stt/create"
FETCH_PATH = "/v1/stt/{generation_id}"
USAGE_LOG_PATH = "/v2/logs"
USAGE_LOG_PAGE_SIZE = 100
"""The most rows ``GET /v2/logs`` gives in one page."""
USER_AGENT = "airflow-provider-aimlstt"

# UUIDs and the shorter url-safe ids the newer pages show ("RlLz0hRdAs9voL5Qi1Pzr").
_GENERATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

_ERROR_BY_STATUS: dict[int, type[AimlSttApiError]] = {
    400: AimlSttBadRequestError,
    401: AimlSttAuthenticationError,
    403: AimlSttForbiddenError,
    404: AimlSttNotFoundError,
    429: AimlSttRateLimitedError,
}

_Model = TypeVar("_Model", bound=BaseModel)


def check_generation_id(value: object) -> str:
    """Return the id if it is well formed, else raise before anything is sent.

    :param value: a generation id as the create call returned it.
    :raises AimlSttValidationError: when it is not a non-empty string of ``A-Z a-z 0-9 _ -``.
    """
    if not isinstance(value, str) or not _GENERATION_ID.fullmatch(value):
        raise AimlSttValidationError(
            f"generation_id: must be 1 to 128 characters of letters, digits, '-' or '_', got {value!r}"
        )
    return value


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request to make, independent of the HTTP library that makes it.

    :param method: ``GET`` or ``POST``.
    :param path: the path below the base URL.
    :param json_body: a JSON body, for a create from a URL and for every fetch (None).
    :param form_fields: the text fields of a multipart upload.
    :param upload_field: the multipart field that carries the file (None: no upload).
    :param generation_id: the generation this call is about, for error messages.
    :param query: query parameters, in order (a name may repeat).
    :param headers: headers of this call on top of :func:`request_headers`.
    """

    method: str
    path: str
    json_body: dict[str, Any] | None = None
    form_fields: list[tuple[str, str]] = field(default_factory=list)
    upload_field: str | None = None
    generation_id: str | None = None
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_idempotent(self) -> bool:
        """Whether sending the call twice has the effect of sending it once (fetches, not creates)."""
        return self.method in ("GET", "HEAD")


def create_call(request: TranscriptionRequest, client_request_id: str | None = None) -> ApiCall:
    """The call that submits a transcription job.

    :param request: a validated request.
    :param client_request_id: sent as ``X-Client-Request-Id``, to find the job in the usage log.
    """
    options = request.api_options()
    headers = {CLIENT_REQUEST_ID_HEADER: client_request_id} if client_request_id else {}
    if request.audio_url is not None:
        body = {"model": request.model, "url": request.audio_url, **options}
        return ApiCall("POST", CREATE_PATH, json_body=body, headers=headers)
    fields = [("model", request.model)]
    for name, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, form_value(item)))
    return ApiCall(
        "POST", CREATE_PATH, form_fields=fields, upload_field=request.upload_field, headers=headers
    )


def fetch_call(generation_id: str) -> ApiCall:
    """The call that reads a job's status and result.

    :param generation_id: the id the create call returned.
    """
    checked = check_generation_id(generation_id)
    return ApiCall("GET", FETCH_PATH.format(generation_id=checked), generation_id=checked)


def usage_log_call(start: datetime, end: datetime, offset: int = 0) -> ApiCall:
    """The call that reads one page of the usage log (``GET /v2/logs``), newest request first.

    :param start: the window's start.
    :param end: the window's end (not before ``start``; at most 92 days later).
    :param offset: rows to skip.
    """
    query = [
        ("start", _iso_utc(start)),
        ("end", _iso_utc(end)),
        ("limit", str(USAGE_LOG_PAGE_SIZE)),
        ("offset", str(offset)),
    ]
    return ApiCall("GET", USAGE_LOG_PATH, query=query)


def _iso_utc(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return utc.isoformat(timespec="seconds").replace("+00:00", "Z")


def form_value(value: Any) -> str:
    """An option's value as a multipart text field: booleans as ``true``/``false``, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def request_headers(api_key: str) -> dict[str, str]:
    """Headers of every call. The key goes into ``Authorization`` and nowhere else.

    :param api_key: the API key.
    """
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json", "User-Agent": USER_AGENT}


def parse_create(status_code: int, headers: dict[str, str], body: bytes) -> CreateResponse:
    """Read the answer to a create call (200 or 201), or raise the error it stands for."""
    raise_for_status(status_code, headers, body)
    return _parse_model(CreateResponse, body, "create")


def parse_fetch(status_code: int, headers: dict[str, str], body: bytes, generation_id: str) -> FetchResponse:
    """Read the answer to a fetch call, or raise the error it stands for."""
    raise_for_status(status_code, headers, body, generation_id)
    return _parse_model(FetchResponse, body, f"fetch of {generation_id}")


def parse_usage_log(status_code: int, headers: dict[str, str], body: bytes) -> UsageLogPage:
    """Read a page of the usage log, or raise the error it stands for."""
    raise_for_status(status_code, headers, body)
    return _parse_model(UsageLogPage, body, "usage log")


def raise_for_status(
    status_code: int, headers: dict[str, str], body: bytes, generation_id: str | None = None
) -> None:
    """Raise the exception class of an HTTP error status; do nothing for 2xx.

    The class is chosen by status code only. The server's message and request id are kept.

    :param status_code: the HTTP status.
    :param headers: the response headers (read for ``Retry-After`` and request ids).
    :param body: the raw response body.
    :param generation_id: the generation the call was about, if any.
    """
    if 200 <= status_code < 300:
        return
    error_body = _error_body(body)
    request_id = error_body.request_id or _header(headers, "x-request-id")
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "message": error_body.text or _short_text(body),
        "request_id": request_id,
        "generation_id": generation_id,
    }
    if status_code == 429:
        raise AimlSttRateLimitedError(
            **kwargs, retry_after=parse_retry_after(_header(headers, "retry-after"))
        )
    raise api_error_class(status_code)(**kwargs)


def api_error_class(status_code: int) -> type[AimlSttApiError]:
    """The exception class of an HTTP error status.

    :param status_code: the HTTP status.
    """
    error_class = _ERROR_BY_STATUS.get(status_code)
    if error_class is None:
        error_class = AimlSttServerError if status_code >= 500 else AimlSttApiError
    return error_class


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    :param value: the header's value, or None.
    :param now: the current epoch time (for tests).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wait = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, wait)


def _parse_model(model: type[_Model], body: bytes, what: str) -> _Model:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise AimlSttResponseError(
            f"Unreadable answer to the {what} call ({where}: {first['msg']}): {_short_text(body)!r}"
        ) from None


def _error_body(body: bytes) -> ApiErrorBody:
    try:
        data = json.loads(body)
    except ValueError:
        return ApiErrorBody()
    if not isinstance(data, dict):
        return ApiErrorBody()
    try:
        return ApiErrorBody.model_validate(data)
    except ValidationError:
        return ApiErrorBody()


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _short_text(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."
