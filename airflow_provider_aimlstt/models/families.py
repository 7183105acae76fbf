"""The model registry: which model ids exist, and the family of each.

A family groups models whose results have one shape (so one reader turns them into a transcript).
The options a model accepts are its own, not its family's: they are generated from the API's create
schema of each model into :mod:`airflow_provider_aimlstt.models.options` by
``scripts/generate_option_models.py``. A new model page in the emulator's ``api_schemas/create``
(the schemas' one copy) needs only its ids registered here, then the generator run.

This module imports nothing of the package at import time: the generator reads it on its own.
"""

from __future__ import annotations

from enum import Enum


class ModelFamily(str, Enum):
    """A group of models sharing one result shape."""

    DEEPGRAM = "deepgram"
    ASSEMBLYAI = "assemblyai"
    OPENAI = "openai"
    MICROSOFT = "microsoft"

    @property
    def upload_field(self) -> str:
        """The multipart field of an upload for a model whose schema names none: ``file`` or ``audio``."""
        return "file" if self is ModelFamily.OPENAI else "audio"

    @property
    def gives_word_timings(self) -> bool:
        """Whether results of this family time their words; OpenAI and Microsoft give text only."""
        return self not in (ModelFamily.OPENAI, ModelFamily.MICROSOFT)


_NOVA_2_DOMAINS = (
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
_WHISPER_SIZES = ("tiny", "base", "small", "medium", "large")

KNOWN_MODELS: dict[str, ModelFamily] = {
    **{f"#g1_nova-2-{domain}": ModelFamily.DEEPGRAM for domain in _NOVA_2_DOMAINS},
    "nova-2-general": ModelFamily.DEEPGRAM,
    "nova-3": ModelFamily.DEEPGRAM,
    "nova-3-general": ModelFamily.DEEPGRAM,
    "nova-3-medical": ModelFamily.DEEPGRAM,
    # The whisper pages are under OpenAI in the docs, but their options and results are Deepgram's.
    **{f"#g1_whisper-{size}": ModelFamily.DEEPGRAM for size in _WHISPER_SIZES},
    **{f"whisper-{size}": ModelFamily.DEEPGRAM for size in _WHISPER_SIZES},
    "aai/slam-1": ModelFamily.ASSEMBLYAI,
    "aai/universal": ModelFamily.ASSEMBLYAI,
    "slam-1": ModelFamily.ASSEMBLYAI,
    "openai/gpt-4o-transcribe": ModelFamily.OPENAI,
    "openai/gpt-4o-mini-transcribe": ModelFamily.OPENAI,
    "microsoft/mai-transcribe-1.5": ModelFamily.MICROSOFT,
}

# Registered ids that no create schema lists, each with the id whose schema it has. The docs have
# one page for ``#g1_whisper-large`` ("the other sizes have the same schema with their own id"),
# and the slam-1 page lists ``slam-1`` only, while the API also takes it as ``aai/slam-1``.
SCHEMA_ALIASES: dict[str, str] = {
    **{f"#g1_whisper-{size}": "#g1_whisper-large" for size in _WHISPER_SIZES if size != "large"},
    "aai/slam-1": "slam-1",
}

# Prefixes that place a model id the registry does not list yet into a family, for users who opt
# out of the known-model check (new models appear often).
FAMILY_PREFIXES: tuple[tuple[str, ModelFamily], ...] = (
    ("#g1_", ModelFamily.DEEPGRAM),
    ("nova-", ModelFamily.DEEPGRAM),
    ("whisper-", ModelFamily.DEEPGRAM),
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
    for prefix, family in FAMILY_PREFIXES:
        if model.startswith(prefix):
            return family
    return None
