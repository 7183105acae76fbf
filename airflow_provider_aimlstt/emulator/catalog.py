"""The models the emulated API knows, grouped in families, and the option schema of each model.

Written from the API's reference pages (each model page's id and create schema), not from the
provider's own registry, so that the emulator can catch the provider's mistakes instead of
sharing them.
"""

from __future__ import annotations

import json
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any


class Family(str, Enum):
    """Models that share one create schema, one upload field and one result shape."""

    DEEPGRAM = "deepgram"
    ASSEMBLYAI = "assemblyai"
    OPENAI = "openai"
    MICROSOFT = "microsoft"

    @property
    def upload_field(self) -> str:
        """The multipart field that carries an uploaded audio file."""
        return "file" if self is Family.OPENAI else "audio"

    @property
    def uses_legacy_statuses(self) -> bool:
        """True for the Deepgram-style models: 201 and a UUID on create, then ``waiting``/``active``."""
        return self is Family.DEEPGRAM


_NOVA_2_DOMAINS = (
    "automotive", "conversationalai", "drivethru", "finance", "general",
    "medical", "meeting", "phonecall", "video", "voicemail",
)  # fmt: skip
_WHISPER_SIZES = ("tiny", "base", "small", "medium", "large")

MODEL_FAMILIES: dict[str, Family] = {
    **{f"#g1_nova-2-{domain}": Family.DEEPGRAM for domain in _NOVA_2_DOMAINS},
    **{f"#g1_whisper-{size}": Family.DEEPGRAM for size in _WHISPER_SIZES},
    "nova-3": Family.DEEPGRAM,
    "aai/slam-1": Family.ASSEMBLYAI,
    "aai/universal": Family.ASSEMBLYAI,
    "openai/gpt-4o-transcribe": Family.OPENAI,
    "openai/gpt-4o-mini-transcribe": Family.OPENAI,
    "microsoft/mai-transcribe-1.5": Family.MICROSOFT,
}
"""Every model id a create call accepts, in the order validation messages list them."""


def family_of(model: str) -> Family | None:
    """The family of a model id, or None for an id the API does not have.

    :param model: a model id such as ``#g1_nova-2-general``.
    """
    return MODEL_FAMILIES.get(model)


@cache
def option_schema(model: str) -> dict[str, Any]:
    """The JSON Schema of a model's create options (every field but ``model``, ``url`` and the audio).

    The only place that knows where schemas come from: today one hand-written file per family in
    ``schemas/``; swapping in the official per-model schemas changes this function alone.

    :param model: a model id listed in :data:`MODEL_FAMILIES`.
    :raises KeyError: for an unknown model id.
    """
    family = MODEL_FAMILIES[model]
    text = (
        resources.files("airflow_provider_aimlstt.emulator")
        .joinpath("schemas", f"{family.value}.json")
        .read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema
