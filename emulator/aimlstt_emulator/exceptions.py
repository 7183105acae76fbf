"""The documented error body ``{message, path, requestId, statusCode, timestamp}`` and its causes."""

from __future__ import annotations

import email.utils
import math
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

UNAUTHORIZED_MESSAGE = (
    "This request requires a valid API key. You can create a new API key on the Billing page: "
    "https://aimlapi.com/app/keys"
)
BODY_VALIDATION_MESSAGE = "Body validation error!"
TOO_MANY_REQUESTS_MESSAGE = "Too Many Requests"
UNDECODABLE_AUDIO_MESSAGES: dict[str, str] = {
    "deepgram": "Bad Request: failed to process audio: corrupt or unsupported data",
    "openai": "Audio file might be corrupted or unsupported",
    "microsoft": "The audio could not be decoded: corrupt or unsupported audio format",
    "assemblyai": "Transcoding failed. File does not appear to contain audio.",
}
"""What each model family's service says of audio it cannot decode, by family name: Deepgram's,
OpenAI's and AssemblyAI's own words; the Microsoft one is the emulator's."""


class ApiError(Exception):
    """A request the emulated API refuses; the handler turns it into the documented error body.

    :param status: the HTTP status code.
    :param message: the ``message`` of the error body.
    :param headers: extra response headers, for example ``Allow`` for a 405.
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class UndecodableAudio(Exception):
    """Audio no decoder could read: no known format signature, a header that does not parse, or no audio.

    :param cause: what is wrong with it, for a person (``no MPEG audio frame``).
    """

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def undecodable_audio_message(family: str, audio: str | None, cause: str) -> str:
    """Why a model family's service refuses audio: its own words, then what the emulator found.

    :param family: the family's name (``deepgram``).
    :param audio: the file's name (an upload's, or the URL's last segment), or None.
    :param cause: what is wrong with the audio.
    """
    found = f"{audio}: {cause}" if audio else cause
    return f"{UNDECODABLE_AUDIO_MESSAGES[family]} ({found})"


def undecodable_audio_error(family: str, audio: str | None, cause: str) -> ApiError:
    """The 400 of a family whose service reads the audio while answering the create.

    :param family: the family's name.
    :param audio: the file's name, or None.
    :param cause: what is wrong with the audio.
    """
    return ApiError(400, undecodable_audio_message(family, audio, cause))


def body_validation_error(problems: Iterable[str]) -> ApiError:
    """A 400 whose message is the documented first line followed by one line per problem.

    :param problems: lines such as ``diarize: Expected boolean, received string``.
    """
    return ApiError(400, "\n".join([BODY_VALIDATION_MESSAGE, *problems]))


def unauthorized_error() -> ApiError:
    """The documented 401 for a missing, malformed or wrong API key."""
    return ApiError(401, UNAUTHORIZED_MESSAGE)


def generation_not_found_error(generation_id: str) -> ApiError:
    """A 404 for an id that never existed or whose result is past the retention time.

    :param generation_id: the id from the request path.
    """
    return ApiError(404, f"Generation {generation_id!r} not found (unknown id, or its result has expired)")


def too_many_requests_error(retry_after_seconds: int, retry_after_format: str = "seconds") -> ApiError:
    """The documented 429 ("You have hit a rate or concurrency limit"), with a ``Retry-After`` header.

    :param retry_after_seconds: how long the client should wait, in whole seconds.
    :param retry_after_format: ``seconds`` (``Retry-After: 7``) or ``http-date`` (a date that far ahead).
    """
    if retry_after_format == "http-date":
        retry_after = email.utils.formatdate(math.ceil(time.time()) + retry_after_seconds, usegmt=True)
    else:
        retry_after = str(retry_after_seconds)
    return ApiError(429, TOO_MANY_REQUESTS_MESSAGE, {"Retry-After": retry_after})


def route_not_found_error(method: str, path: str) -> ApiError:
    """A 404 for a path the API does not have.

    :param method: the request method.
    :param path: the request path without its query.
    """
    return ApiError(404, f"Cannot {method} {path}")


def method_not_allowed_error(method: str, path: str, allowed: Iterable[str]) -> ApiError:
    """A 405 for a known path asked with the wrong method.

    :param method: the request method.
    :param path: the request path without its query.
    :param allowed: the methods the path answers.
    """
    allow = ", ".join(allowed)
    return ApiError(405, f"Method {method} not allowed on {path}; use {allow}", {"Allow": allow})


def payload_too_large_error(limit: int) -> ApiError:
    """A 413 for a body or an audio file over the emulator's limit.

    :param limit: the limit in bytes.
    """
    return ApiError(413, f"Payload too large: the limit is {limit} bytes")


def error_body(status: int, message: str, path: str, request_id: str | None = None) -> dict[str, Any]:
    """The documented error body, with its wire names (``requestId``, ``statusCode``).

    :param status: the HTTP status code.
    :param message: what went wrong.
    :param path: the request path.
    :param request_id: the id of the HTTP call (a new one when None).
    """
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "message": message,
        "path": path,
        "requestId": request_id or str(uuid.uuid4()),
        "statusCode": status,
        "timestamp": stamp,
    }


def json_type_name(value: Any) -> str:
    """The JSON name of a value's type, as validation messages say it (``received number``).

    :param value: any decoded JSON value.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
