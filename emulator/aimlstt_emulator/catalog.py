"""The models the emulated API knows, their families, and the option schema of each model.

Read from the API's own create schemas (``api_schemas/create/``, one document per model page),
not from the provider's registry, so that the emulator can catch the provider's mistakes instead
of sharing them. Each page's ``properties.model.enum`` lists its model ids; the page's file name
(``speech-models_<Vendor>_<model>.json``) gives the family, by :data:`PAGE_FAMILIES`. A new page
dropped into ``api_schemas/create/`` needs nothing here unless its vendor has no family yet.
:data:`ALIASES` adds the ids the docs name without a page of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from aimlstt_emulator.api_paths import CREATE_PATH
from aimlstt_emulator.openapi import (
    CREATE_DOCUMENTS,
    document_names,
    load_document,
    to_json_schema,
)

_PAGE_PREFIX = "speech-models_"
NOT_OPTIONS = frozenset({"model", "url", "audio", "file"})
"""Fields of a create body that are the model and the audio source, not options."""


class Family(str, Enum):
    """Models that share one style of create answer, of job status and of result."""

    DEEPGRAM = "deepgram"
    ASSEMBLYAI = "assemblyai"
    OPENAI = "openai"
    MICROSOFT = "microsoft"

    @property
    def uses_legacy_statuses(self) -> bool:
        """True for the Deepgram-style models: 201 and a UUID on create, then ``waiting``/``active``."""
        return self is Family.DEEPGRAM

    @property
    def refuses_undecodable_audio_at_create(self) -> bool:
        """True when the family's service answers audio it cannot decode with a 400 at create, as
        Deepgram, OpenAI and Microsoft transcribe within the request; AssemblyAI queues the
        transcript, which then ends in ``error``."""
        return self is not Family.ASSEMBLYAI


PAGE_FAMILIES: tuple[tuple[str, Family], ...] = (
    ("Deepgram_*", Family.DEEPGRAM),
    ("OpenAI_whisper-*", Family.DEEPGRAM),  # the whisper pages document Deepgram's options and result
    ("OpenAI_g1_whisper-*", Family.DEEPGRAM),
    ("OpenAI_gpt-4o*", Family.OPENAI),
    ("AssemblyAI_*", Family.ASSEMBLYAI),
    ("Microsoft_*", Family.MICROSOFT),
)
"""The family of a model page, by the part of its file name after ``speech-models_`` (first match)."""

ALIASES: dict[str, str] = {
    "aai/slam-1": "slam-1",  # the provider's and the older pages' id of slam-1
    # The docs' README: the other #g1_whisper-* sizes have #g1_whisper-large's schema, with their own id.
    **{f"#g1_whisper-{size}": "#g1_whisper-large" for size in ("tiny", "base", "small", "medium")},
}
"""Model ids without a page of their own, and the id whose page describes them."""


@dataclass(frozen=True)
class ModelPage:
    """Where a model id is documented.

    :param model: the model id.
    :param family: its family.
    :param document: the file name of its create schema in ``api_schemas/create/``.
    :param alias_of: for an id of :data:`ALIASES`, the id whose page it shares.
    """

    model: str
    family: Family
    document: str
    alias_of: str | None = None


def page_family(document: str) -> Family:
    """The family of a model page, from its file name.

    :param document: a file name such as ``speech-models_Deepgram_nova-3.json``.
    :raises ValueError: for a page no rule of :data:`PAGE_FAMILIES` matches.
    """
    stem = document.removeprefix(_PAGE_PREFIX).removesuffix(".json")
    for pattern, family in PAGE_FAMILIES:
        if fnmatchcase(stem, pattern):
            return family
    raise ValueError(f"{document}: no model family for this page; add a rule to catalog.PAGE_FAMILIES")


def create_body_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The request body schema of a create page, as written (OpenAPI 3.0).

    :param document: a parsed create document.
    """
    content: dict[str, Any] = document["paths"][CREATE_PATH]["post"]["requestBody"]["content"]
    chosen = content.get("application/json") or next(iter(content.values()))
    schema: dict[str, Any] = chosen["schema"]
    return schema


def _read_catalog() -> dict[str, ModelPage]:
    pages: dict[str, ModelPage] = {}
    for document in document_names(CREATE_DOCUMENTS):
        family = page_family(document)
        parsed = load_document(CREATE_DOCUMENTS, document)
        schema = to_json_schema(create_body_schema(parsed), parsed)
        for model in schema["properties"]["model"]["enum"]:
            if model in pages:
                raise ValueError(f"{document}: model {model!r} is also on {pages[model].document}")
            pages[model] = ModelPage(model, family, document)
    for alias, target in ALIASES.items():
        if alias not in pages:  # once the docs give the alias a page of its own, that page wins
            pages[alias] = ModelPage(alias, pages[target].family, pages[target].document, target)
    return pages


MODEL_PAGES: dict[str, ModelPage] = _read_catalog()
"""Every model id a create call accepts, with where it is documented."""

MODEL_FAMILIES: dict[str, Family] = {model: page.family for model, page in MODEL_PAGES.items()}
"""Every model id a create call accepts and its family, in the order validation messages list them."""


def family_of(model: str) -> Family | None:
    """The family of a model id, or None for an id the API does not have.

    :param model: a model id such as ``#g1_nova-2-general``.
    """
    return MODEL_FAMILIES.get(model)


@cache
def option_schema(model: str) -> dict[str, Any]:
    """The JSON Schema of a model's create options: its page's body without the model and the audio.

    The only place that knows where schemas come from. The page's OpenAPI schema is turned into
    JSON Schema (:func:`~.openapi.to_json_schema`), the model and the audio source (``model``,
    ``url``, ``audio``, ``file`` and any ``format: binary`` field) are dropped, and no other field
    is allowed (``additionalProperties: false``). Cached: treat it as read-only.

    :param model: a model id listed in :data:`MODEL_FAMILIES`.
    :raises KeyError: for an unknown model id.
    """
    page = MODEL_PAGES[model]
    document = load_document(CREATE_DOCUMENTS, page.document)
    body = to_json_schema(create_body_schema(document), document)
    properties = {
        name: schema
        for name, schema in body.get("properties", {}).items()
        if name not in NOT_OPTIONS and schema.get("format") != "binary"
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"The create options of {model}, from api_schemas/create/{page.document}.",
        "type": "object",
        "properties": properties,
        "required": [name for name in body.get("required", []) if name in properties],
        "additionalProperties": False,
    }
