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
    """The API could not be reached, or the connection broke before an answer arrived.

    :param message: what happened.
    :param request_sent: False when the request never left (no connection could be made), so the
        API cannot have received it; True when it may have arrived (read timeout, dropped connection).
    """

    def __init__(self, message: str, request_sent: bool = True) -> None:
        self.request_sent = request_sent
        super().__init__(message)


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

    @classmethod
    def with_text(cls, status_code: int, text: str, generation_id: str | None = None) -> AimlSttApiError:
        """The error with an already written message (for example one carried by a trigger event).

        :param status_code: the HTTP status code.
        :param text: the whole message.
        :param generation_id: the generation it is about.
        """
        error = cls.__new__(cls)
        error.status_code, error.server_message = status_code, text
        error.request_id, error.generation_id = None, generation_id
        Exception.__init__(error, text)
        return error

    def _describe(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.generation_id:
            parts.append(f"generation_id={self.generation_id}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        text = f"AI/ML API error ({', '.join(parts)})"
        if self.server_message:
            text += f": {self.server_message}"
        hint = self._hint()
        if hint:
            text += f". {hint}"
        return text

    def _hint(self) -> str | None:
        """What to check, for this status (and message)."""
        return self.hint


class AimlSttBadRequestError(AimlSttApiError):
    """400: the API rejected the request body."""

    hint = "Check the model id and the options against the model's documentation"

    def _hint(self) -> str | None:
        """An audio the API could not decode is no matter of the model or options."""
        if "audio" in (self.server_message or "").lower():
            return "Check that the file is audio of a format the model reads, and not cut off"
        return self.hint


class AimlSttAuthenticationError(AimlSttApiError):
    """401: the API key is missing, expired or wrong."""

    hint = "Check the API key of the Airflow connection (the form's API key field)"


class AimlSttForbiddenError(AimlSttApiError):
    """403: the key was accepted, but the request is not allowed (for example: no credits left)."""

    hint = (
        "The API key was accepted but may not make this request: the account may be out of credits "
        "(top up its balance) or its plan may not include this model"
    )


class AimlSttNotFoundError(AimlSttApiError):
    """404: the generation id is unknown or its result expired (kept for one hour), or the path is wrong."""

    @property
    def hint(self) -> str:  # type: ignore[override]
        """What to do: about the generation id when there is one, else about the base URL."""
        if self.generation_id:
            return (
                "The id is unknown or its result has expired: results are kept for one hour, "
                "so submit the audio again"
            )
        return "No such endpoint: check the connection's base URL (for example https://api.aimlapi.com)"


class AimlSttRateLimitedError(AimlSttApiError):
    """429: too many requests.

    :param retry_after: seconds the server asked to wait, if it said.
    """

    hint = (
        "Too many requests: run fewer tasks at once (a pool, or max_active_tis_per_dag), or raise api_retries"
    )

    def __init__(self, *args: object, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class AimlSttServerError(AimlSttApiError):
    """5xx: a fault on the API's side or of the model provider behind it."""

    hint = "A fault on the API's side: try again later (each call is retried up to api_retries times)"


class AimlSttSubmissionUncertainError(AimlSttError):
    """A create call failed in a way that does not tell whether the API accepted it.

    The job may exist, and be billed, on the server; it is not submitted again automatically.

    :param source: the audio source, as it may appear in logs (no query string).
    :param cause: the failure, as a sentence.
    """

    def __init__(self, source: str, cause: str, settled: str | None = None) -> None:
        self.source = source
        self.cause = cause
        settled = settled or (
            "A job may exist, and be billed, on the server, so it was not submitted again. "
            "Check the AI/ML API dashboard; to submit anyway, clear this task."
        )
        super().__init__(
            f"Submitting {source} failed after the request may have reached the API ({cause}). {settled}"
        )


class AimlSttSubmissionNotLoggedError(AimlSttSubmissionUncertainError):
    """A create's answer was lost, and the usage log shows no job made by it: most likely none exists.

    :param source: the audio source, as it may appear in logs.
    :param cause: the failure of the create, as a sentence.
    :param client_request_id: the id the create was sent with.
    :param finding: what the usage log showed, as a sentence.
    """

    def __init__(self, source: str, cause: str, client_request_id: str, finding: str) -> None:
        self.client_request_id = client_request_id
        super().__init__(
            source,
            cause,
            f"{finding}, so no job was made for it and it is safe to clear this task to submit again "
            "(or set resubmit_if_not_logged=True to let the task do so).",
        )


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
    """The job did not finish before the sensor's deadline (its ``timeout``)."""


class AimlSttRenderError(AimlSttError, ValueError):
    """A transcript cannot be rendered as asked: an unknown format, or subtitles without word timings."""
