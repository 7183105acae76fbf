"""The result shapes of the model families, and a short summary read from any of them.

- Deepgram-style: ``{metadata, results: {channels: [{alternatives: [...]}]}}``; ``channels`` is a
  list in every example and an object in the OpenAPI schema: both are accepted.
- AssemblyAI: ``{id, text, words: [{text, start, end, ...}], audio_duration, ...}``, word times
  in milliseconds.
- OpenAI and Microsoft: ``{text, usage}``, no word timings.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from airflow_provider_aimlstt.models.families import ModelFamily


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class DeepgramWord(_Open):
    word: str
    start: float
    end: float
    confidence: float = 0.0
    punctuated_word: str | None = None
    speaker: int | None = None


class DeepgramAlternative(_Open):
    transcript: str = ""
    confidence: float = 0.0
    words: list[DeepgramWord] = []
    paragraphs: Any = None


class DeepgramChannel(_Open):
    alternatives: list[DeepgramAlternative] = []


class DeepgramResults(_Open):
    channels: list[DeepgramChannel] = []

    @field_validator("channels", mode="before")
    @classmethod
    def _object_is_one_channel(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class DeepgramMetadata(_Open):
    transaction_key: str | None = None
    request_id: str | None = None
    sha256: str | None = None
    created: str | None = None
    duration: float | None = None
    channels: int | None = None
    models: list[str] = []
    model_info: dict[str, Any] = {}


class DeepgramResult(_Open):
    metadata: DeepgramMetadata
    results: DeepgramResults | None = None


class AssemblyAIWord(_Open):
    """A word; ``start`` and ``end`` are milliseconds (integers on the wire)."""

    text: str
    start: int | float
    end: int | float
    confidence: float = 0.0
    speaker: str | None = None


class AssemblyAIUtterance(_Open):
    text: str
    start: int | float
    end: int | float
    confidence: float = 0.0
    speaker: str | None = None
    words: list[AssemblyAIWord] = []


class AssemblyAIResult(_Open):
    id: str | None = None
    status: str | None = None
    text: str | None = ""
    words: list[AssemblyAIWord] | None = None
    utterances: list[AssemblyAIUtterance] | None = None
    confidence: float | None = None
    audio_duration: int | float | None = None
    language_code: str | None = None


class TextResult(_Open):
    """OpenAI and Microsoft results: the text and a usage record, no timings."""

    text: str
    usage: dict[str, Any] | None = None


class ResultSummary(BaseModel):
    """What a result says in short: its text, the audio's length if known, and a word count."""

    family: ModelFamily
    text: str
    duration_seconds: float | None
    word_count: int


def detect_family(result: dict[str, Any]) -> ModelFamily:
    """Tell a result's family from its shape.

    :param result: the ``result``/``output`` object of a completed job.
    """
    if "results" in result or "metadata" in result:
        return ModelFamily.DEEPGRAM
    if any(key in result for key in ("words", "audio_duration", "language_model", "acoustic_model")):
        return ModelFamily.ASSEMBLYAI
    return ModelFamily.OPENAI


def summarize_result(result: dict[str, Any]) -> ResultSummary:
    """Read the text, the duration and the word count of a result of any family.

    :param result: the ``result``/``output`` object of a completed job.
    """
    family = detect_family(result)
    if family is ModelFamily.DEEPGRAM:
        deepgram = DeepgramResult.model_validate(result)
        channels = deepgram.results.channels if deepgram.results else []
        best = [channel.alternatives[0] for channel in channels if channel.alternatives]
        text = "\n".join(alternative.transcript for alternative in best)
        return ResultSummary(
            family=family,
            text=text,
            duration_seconds=deepgram.metadata.duration,
            word_count=sum(
                len(alternative.words) or len(alternative.transcript.split()) for alternative in best
            ),
        )
    if family is ModelFamily.ASSEMBLYAI:
        assembly = AssemblyAIResult.model_validate(result)
        text = assembly.text or ""
        return ResultSummary(
            family=family,
            text=text,
            duration_seconds=assembly.audio_duration,
            word_count=len(assembly.words) if assembly.words else len(text.split()),
        )
    plain = TextResult.model_validate(result)
    seconds = (plain.usage or {}).get("seconds")
    return ResultSummary(
        family=family,
        text=plain.text,
        duration_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        word_count=len(plain.text.split()),
    )
