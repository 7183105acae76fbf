"""Model families of the speech-to-text API: which model ids exist and which options each accepts.

Families differ in their create options, the multipart field that carries an upload and the shape
of their result. Options are validated strictly (no type coercion, no unknown names) so that a
mistake is reported before any request is sent.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelFamily(str, Enum):
    """A group of models sharing one request schema and one result shape."""

    DEEPGRAM = "deepgram"
    ASSEMBLYAI = "assemblyai"
    OPENAI = "openai"
    MICROSOFT = "microsoft"

    @property
    def upload_field(self) -> str:
        """Name of the multipart field that carries an uploaded audio file."""
        return "file" if self is ModelFamily.OPENAI else "audio"

    @property
    def gives_word_timings(self) -> bool:
        """Whether results of this family time their words; OpenAI and Microsoft give text only."""
        return self not in (ModelFamily.OPENAI, ModelFamily.MICROSOFT)


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


StrOrList = str | list[str]


class DeepgramOptions(_Options):
    """Options of the Deepgram-style models (`#g1_nova-2-*`, `#g1_whisper-*`, `nova-3*`)."""

    custom_intent: StrOrList | None = None
    custom_topic: StrOrList | None = None
    custom_intent_mode: Literal["strict", "extended"] | None = None
    custom_topic_mode: Literal["strict", "extended"] | None = None
    detect_language: bool | None = None
    detect_entities: bool | None = None
    detect_topics: bool | None = None
    diarize: bool | None = None
    diarize_version: str | None = None
    dictation: bool | None = None
    extra: str | None = None
    filler_words: bool | None = None
    intents: bool | None = None
    keywords: str | None = None
    language: str | None = None
    measurements: bool | None = None
    multi_channel: bool | None = None
    numerals: bool | None = None
    paragraphs: bool | None = None
    profanity_filter: bool | None = None
    punctuate: bool | None = None
    search: str | None = None
    sentiment: bool | None = None
    smart_format: bool | None = None
    summarize: str | None = None
    tag: list[str] | None = None
    topics: bool | None = None
    utterances: bool | None = None
    utt_split: float | None = Field(default=None, ge=0)


class AssemblyAIOptions(_Options):
    """Options of the AssemblyAI models (`aai/*`)."""

    language_code: str | None = None
    language_detection: bool | None = None
    language_confidence_threshold: float | None = Field(default=None, ge=0, le=1)
    speech_threshold: float | None = Field(default=None, ge=0, le=1)
    punctuate: bool | None = None
    format_text: bool | None = None
    disfluencies: bool | None = None
    multichannel: bool | None = None
    speaker_labels: bool | None = None
    speakers_expected: int | None = Field(default=None, ge=1)
    word_boost: list[str] | None = None
    boost_param: Literal["low", "default", "high"] | None = None
    keyterms_prompt: list[str] | None = None
    prompt: str | None = None
    filter_profanity: bool | None = None
    redact_pii: bool | None = None
    redact_pii_audio: bool | None = None
    redact_pii_policies: list[str] | None = None
    redact_pii_sub: Literal["entity_name", "hash"] | None = None
    auto_highlights: bool | None = None
    auto_chapters: bool | None = None
    content_safety: bool | None = None
    iab_categories: bool | None = None
    summarization: bool | None = None
    summary_type: str | None = None
    summary_model: str | None = None
    custom_topics: bool | None = None
    topics: list[str] | None = None
    entity_detection: bool | None = None
    sentiment_analysis: bool | None = None
    audio_start_from: int | None = Field(default=None, ge=0)
    audio_end_at: int | None = Field(default=None, ge=0)


class OpenAIOptions(_Options):
    """Options of the OpenAI transcription models (`openai/gpt-4o*-transcribe`)."""

    language: str | None = None
    prompt: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)


class MicrosoftOptions(_Options):
    """The Microsoft models document no create options beyond the model and the audio."""


OPTIONS_BY_FAMILY: dict[ModelFamily, type[_Options]] = {
    ModelFamily.DEEPGRAM: DeepgramOptions,
    ModelFamily.ASSEMBLYAI: AssemblyAIOptions,
    ModelFamily.OPENAI: OpenAIOptions,
    ModelFamily.MICROSOFT: MicrosoftOptions,
}

KNOWN_MODELS: dict[str, ModelFamily] = {
    **{
        f"#g1_nova-2-{domain}": ModelFamily.DEEPGRAM
        for domain in (
            "automotive",
            "conversationalai",
            "drivethru",
            "finance",
            "general",
            "medical",
            "meeting",
            "phonecall",
            "video",
            "voicemail",
        )
    },
    **{f"#g1_whisper-{size}": ModelFamily.DEEPGRAM for size in ("tiny", "base", "small", "medium", "large")},
    "nova-3": ModelFamily.DEEPGRAM,
    "aai/slam-1": ModelFamily.ASSEMBLYAI,
    "aai/universal": ModelFamily.ASSEMBLYAI,
    "openai/gpt-4o-transcribe": ModelFamily.OPENAI,
    "openai/gpt-4o-mini-transcribe": ModelFamily.OPENAI,
    "microsoft/mai-transcribe-1.5": ModelFamily.MICROSOFT,
}

# Prefixes that place a model id the registry does not list yet into a family, for users who opt
# out of the known-model check (new models appear often).
_FAMILY_PREFIXES: tuple[tuple[str, ModelFamily], ...] = (
    ("#g1_", ModelFamily.DEEPGRAM),
    ("nova-3", ModelFamily.DEEPGRAM),
    ("aai/", ModelFamily.ASSEMBLYAI),
    ("openai/", ModelFamily.OPENAI),
    ("microsoft/", ModelFamily.MICROSOFT),
)


def family_of(model: str) -> ModelFamily | None:
    """Return the family of a model id, or None when neither the registry nor a prefix knows it.

    :param model: a model id such as ``#g1_nova-2-general`` or ``aai/universal``.
    """
    if model in KNOWN_MODELS:
        return KNOWN_MODELS[model]
    for prefix, family in _FAMILY_PREFIXES:
        if model.startswith(prefix):
            return family
    return None
