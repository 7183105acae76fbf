"""The API's own OpenAPI 3.0 documents, carried by the package in ``api_schemas/``, read as JSON Schema.

The documents are data the emulator reads, never code it shares with the provider: ``create/`` holds
one create schema per model page, ``fetch/`` the two fetch answer schemas and ``service/`` the
usage logs. OpenAPI 3.0 is JSON Schema with a few differences; :func:`to_json_schema` turns them
into JSON Schema 2020-12, which ``jsonschema`` checks:

- ``nullable: true`` adds ``null`` to the declared ``type`` (and ``None`` to an ``enum``), or a
  ``{"type": "null"}`` branch to an ``anyOf``/``oneOf``. A schema that is only ``nullable`` (the
  docs' way to write "or null", as in ``anyOf: [..., {"nullable": true}]``) becomes ``{"type": "null"}``.
- ``$ref: "#/..."`` is replaced by what it points to in the same document.
- the boolean ``exclusiveMinimum``/``exclusiveMaximum`` of 3.0 become 2020-12's numeric ones.
- ``example`` (not a JSON Schema keyword) is dropped; every other keyword is kept as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PACKAGE = "aimlstt_emulator"
SCHEMAS_FOLDER = "api_schemas"
CREATE_DOCUMENTS = "create"
FETCH_DOCUMENTS = "fetch"
SERVICE_DOCUMENTS = "service"

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_DROPPED = ("nullable", "example", "$ref")
_NULL_ONLY_KEYS = {"nullable", "description", "title", "default", "example"}


def documents_folder(kind: str) -> Traversable:
    """The folder of one kind of document: ``create``, ``fetch`` or ``service``.

    :param kind: the folder's name under ``api_schemas/``.
    """
    return resources.files(PACKAGE) / SCHEMAS_FOLDER / kind


def document_names(kind: str) -> list[str]:
    """The file names of one kind of document, sorted.

    :param kind: the folder's name under ``api_schemas/``.
    """
    return sorted(item.name for item in documents_folder(kind).iterdir() if item.name.endswith(".json"))


@cache
def load_document(kind: str, name: str) -> dict[str, Any]:
    """One OpenAPI document, parsed (cached: treat it as read-only).

    :param kind: the folder's name under ``api_schemas/``.
    :param name: the file name, for example ``speech-models_Deepgram_nova-3.json``.
    """
    document: dict[str, Any] = json.loads((documents_folder(kind) / name).read_text(encoding="utf-8"))
    return document


def to_json_schema(node: Any, document: Mapping[str, Any] | None = None) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12 (a new object; the input is left as it is).

    :param node: the schema (or any value inside one).
    :param document: the document the schema is part of, which local ``$ref`` values point into.
    :raises ValueError: for a ``$ref`` that leaves the document or refers to itself.
    """
    return _convert(node, document or {}, ())


def _convert(node: Any, document: Mapping[str, Any], refs: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_convert(item, document, refs) for item in node]
    if not isinstance(node, Mapping):
        return node
    if isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in refs:
            raise ValueError(f"$ref {ref!r} refers to itself")
        return _convert(_resolve(ref, document), document, (*refs, ref))
    schema: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            schema[key] = {name: _convert(item, document, refs) for name, item in value.items()}
        elif key in _SCHEMA_LISTS or key in _SCHEMA_VALUES:
            schema[key] = _convert(value, document, refs)
        else:
            schema[key] = value
    _exclusive_bounds(schema)
    if node.get("nullable") is True:
        schema = _nullable(schema, set(node) <= _NULL_ONLY_KEYS)
    return schema


def _resolve(ref: str, document: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"$ref {ref!r} points outside the document")
    target: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or part not in target:
            raise ValueError(f"$ref {ref!r} points to nothing")
        target = target[part]
    return target


def _exclusive_bounds(schema: dict[str, Any]) -> None:
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(schema.get(exclusive), bool) and schema.pop(exclusive) and inclusive in schema:
            schema[exclusive] = schema.pop(inclusive)


def _nullable(schema: dict[str, Any], null_only: bool) -> dict[str, Any]:
    if "type" in schema:
        declared = schema["type"]
        kinds = [declared] if isinstance(declared, str) else list(declared)
        schema["type"] = kinds if "null" in kinds else [*kinds, "null"]
    elif "anyOf" in schema or "oneOf" in schema:
        key = "anyOf" if "anyOf" in schema else "oneOf"
        schema[key] = [*schema[key], {"type": "null"}]
    elif null_only:
        schema["type"] = "null"
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema
