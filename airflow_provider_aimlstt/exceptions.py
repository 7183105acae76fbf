"""Exceptions of the provider, one class per cause.

API errors are chosen by HTTP status code, never by the text of the server's message. Messages
carry the server's message, its request id and the generation id where there is one, and never
the API key.
"""

from __future__ import annotations


class AimlSttError(Exception):
    """Base class of every error raised by this provider."""


class AimlSttValidationError(AimlSttError, ValueError):
    """A request or argument was rejected before anything was sent to the API."""


class AimlSttConfigError(AimlSttError):
    """The Airflow connection is incomplete or unusable (for example it has no API key)."""


class AimlSttConnectionError(AimlSttError):
    """The API could not be reached, or the connection broke before an answer arrived."""


class AimlSttResponseError(AimlSttError):
    """The API answered with a body this provider cannot read (not JSON, or not the documented shape)."""


class AimlSttApiError(AimlSttError):
    """The API answered with an HTTP error status.

    :param status_code: the HTTP status code.
    :param message: the server's own message, if it gave one.
    :param request_id: the server's request id (quote it to support), if it gave one.
    :param generation_id: the generation this request was about, if any.
    """

    hint: str = ""

    def __init__(
        self,
        status_code: int,
        message: str = "",
        request_id: str | None = None,
        generation_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.server_message = message
        self.request_id = request_id
        self.generation_id = generation_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.generation_id:
            parts.append(f"generation_id={self.generation_id}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        text = f"AI/ML API error ({', '.join(parts)})"
        if self.server_message:
            text += f": {self.server_message}"
        if self.hint:
            text += f". {self.hint}"
        return text


class AimlSttBadRequestError(AimlSttApiError):
    """400: the API rejected the request body."""

    hint = "Check the model id and the options against the model's documentation"


class AimlSttAuthenticationError(AimlSttApiError):
    """401: the API key is missing, expired or wrong."""

    hint = "Check the API key in the Airflow connection's password field"


class AimlSttOutOfCreditsError(AimlSttApiError):
    """403: authenticated, but not allowed (usually no credits left)."""

    hint = "Top up the account's balance or check its plan"


class AimlSttNotFoundError(AimlSttApiError):
    """404: unknown generation id, or its result has expired (results are kept for one hour)."""

    hint = "The id is unknown or its result expired (results are kept for one hour); submit again"


class AimlSttRateLimitedError(AimlSttApiError):
    """429: too many requests.

    :param retry_after: seconds the server asked to wait, if it said.
    """

    hint = "Too many requests; slow down or retry later"

    def __init__(self, *args: object, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class AimlSttServerError(AimlSttApiError):
    """5xx: a fault on the API's side or of the model provider behind it."""

    hint = "A fault on the API's side; retry later"


class AimlSttTranscriptionFailedError(AimlSttError):
    """The job ended with status ``error``.

    :param generation_id: the failed generation.
    :param reason: the reason the API gave.
    """

    def __init__(self, generation_id: str, reason: str) -> None:
        self.generation_id = generation_id
        self.reason = reason
        super().__init__(f"Transcription {generation_id} failed: {reason}")


class AimlSttTimeoutError(AimlSttError):
    """The job did not finish before the deadline."""


TRANSIENT_ERRORS: tuple[type[AimlSttError], ...] = (
    AimlSttConnectionError,
    AimlSttRateLimitedError,
    AimlSttServerError,
    AimlSttResponseError,
)
"""Errors a later identical request may not meet again: worth another poll."""
