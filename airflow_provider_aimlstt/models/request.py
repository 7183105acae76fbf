"""The create request: a model id, exactly one audio source, and the model's options."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.models.families import KNOWN_MODELS, ModelFamily, family_of
from airflow_provider_aimlstt.models.option_check import option_problems, upload_field_of


class TranscriptionRequest(BaseModel):
    """What ``POST /v1/stt/create`` is asked to do.

    Build it with :meth:`build`, which raises :class:`AimlSttValidationError` naming every field
    that is wrong. Nothing is sent while building.

    :param model: the model id, for example ``#g1_nova-2-general``.
    :param audio_url: an http(s) URL the API downloads the audio from.
    :param audio_path: the audio file to upload (streamed, never read whole): a local path, a
        ``file://`` URI, or an object storage URI such as ``s3://bucket/key.wav``. A store's
        Airflow connection goes in the URI's user part, as ``ObjectStoragePath`` writes it:
        ``s3://aws_default@bucket/key.wav``. The file itself is checked by
        :class:`~airflow_provider_aimlstt.audio_source.AudioSource`, still before any request: this
        model does no file-system I/O.
    :param options: the model's options, for example ``{"diarize": True}``: exactly those of its
        create schema, with the schema's types (strict: ``"true"`` is no boolean).
    :param allow_unknown_model: accept a model id this provider does not know yet. Its family then
        comes from its prefix, and its options are only checked to be plain values (a string, a
        finite number, a boolean, null, or a list of those): no schema says more.
    :param max_upload_bytes: refuse an audio file larger than this.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    model: str = Field(min_length=1)
    audio_url: str | None = None
    audio_path: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    allow_unknown_model: bool = False
    max_upload_bytes: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check_request(self) -> TranscriptionRequest:
        problems = [*self._source_problems(), *self._model_and_option_problems()]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def family(self) -> ModelFamily | None:
        """The model's family, or None for an unknown model outside every known prefix."""
        return family_of(self.model)

    @property
    def upload_field(self) -> str:
        """The multipart field of an upload: the one the model's schema names, else its family's."""
        return upload_field_of(self.model)

    def api_options(self) -> dict[str, Any]:
        """The options as sent to the API: only those that were set."""
        return {key: value for key, value in self.options.items() if value is not None}

    def _source_problems(self) -> list[str]:
        if (self.audio_url is None) == (self.audio_path is None):
            given = "both were given" if self.audio_url else "neither was given"
            return [f"audio_url / audio_path: give exactly one audio source ({given})"]
        if self.audio_url is not None:
            parts = urlsplit(self.audio_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return [f"audio_url: must be an http:// or https:// URL with a host, got {self.audio_url!r}"]
            return []
        if self.audio_path is not None and not self.audio_path.strip():
            return ["audio_path: must not be empty"]
        return []

    def _model_and_option_problems(self) -> list[str]:
        if self.model != self.model.strip():
            return [f"model: must not start or end with white space, got {self.model!r}"]
        if self.model not in KNOWN_MODELS and not self.allow_unknown_model:
            known = ", ".join(sorted(KNOWN_MODELS))
            return [
                f"model: unknown model {self.model!r}; known models: {known} "
                "(pass allow_unknown_model=True to use a model this provider does not list yet)"
            ]
        return option_problems(self.model, self.options)

    @classmethod
    def build(cls, **fields: Any) -> TranscriptionRequest:
        """Validate and return a request, or raise one error that names every bad field.

        :param fields: the fields of :class:`TranscriptionRequest`.
        :raises AimlSttValidationError: when any field is wrong.
        """
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise AimlSttValidationError(format_validation_error("transcription request", exc)) from None


def format_validation_error(what: str, exc: ValidationError) -> str:
    """Turn a pydantic error into lines that each start with the field they are about.

    :param what: what was being validated, for the first line.
    :param exc: the pydantic error.
    """
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        location = ".".join(str(part) for part in error["loc"])
        for line in message.splitlines():
            lines.append(f"  - {location}: {line}" if location else f"  - {line}")
    return f"Invalid {what}:\n" + "\n".join(lines)
