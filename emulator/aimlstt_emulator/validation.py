"""Checks of a create request, reported as the API does: "Body validation error!" and one line a field.

The model and the audio source are checked here; the options against the model's JSON Schema
(:func:`~aimlstt_emulator.catalog.option_schema`, from the model's official
create schema) with ``jsonschema``. JSON values are taken as they are typed (no ``"true"`` for a
boolean, no ``2.0`` for an integer); form values are text, read first as the type the schema asks
for (``"true"``, ``"1.5"``, a JSON object for an object). An upload may come in field ``audio`` or
``file`` for every model (the official SDK sends ``audio`` even for the OpenAI models, whose
schemas name ``file``); one file at most, and never both a file and a url.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, ValidationError, validators

from aimlstt_emulator.audio import StoredAudio
from aimlstt_emulator.catalog import MODEL_FAMILIES, option_schema
from aimlstt_emulator.exceptions import body_validation_error, json_type_name
from aimlstt_emulator.parsing.multipart import FILE_FIELDS
from aimlstt_emulator.parsing.submission import Submission

_BOUNDS = {
    "minimum": "greater than or equal to",
    "maximum": "less than or equal to",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
_BOOLEAN_TEXT = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), True),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), False),
}
_INTEGER_TEXT = re.compile(r"\s*([+-]?\d+)(\.0*)?\s*")


def _is_integer(checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(checker: Any, value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# JSON Schema counts 2.0 as an integer; the API's validator does not, nor infinities as numbers.
OptionValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_number}
    ),
)


@dataclass(frozen=True)
class CreateRequest:
    """A create request that passed every check.

    :param model: the model id.
    :param options: the options that were given, as validated values.
    :param url: the audio URL, or None for an upload.
    :param upload: the uploaded audio, or None for a URL.
    """

    model: str
    options: dict[str, Any]
    url: str | None
    upload: StoredAudio | None


def validate_submission(submission: Submission) -> CreateRequest:
    """Check the model, the audio source and the options; report every problem at once.

    :param submission: the request as received.
    :raises ApiError: 400 with one line per problem.
    """
    problems: list[str] = []
    model = submission.model
    if model is None:
        problems.append("model: Required. Expected one of the model ids, received undefined")
    elif not isinstance(model, str):
        problems.append(f"model: Expected string, received {json_type_name(model)}")
    elif model not in MODEL_FAMILIES:
        expected = " | ".join(f"'{known}'" for known in MODEL_FAMILIES)
        problems.append(f"model: Invalid enum value. Expected {expected}, received '{model}'")
    problems += _source_problems(submission)
    options: dict[str, Any] = {}
    if isinstance(model, str) and model in MODEL_FAMILIES:
        options, option_problems = check_options(submission.options, model, lax=submission.lax)
        problems += option_problems
    if problems:
        raise body_validation_error(problems)
    assert isinstance(model, str)
    url = submission.url if isinstance(submission.url, str) else None
    return CreateRequest(model, options, url, submission.uploads[0] if submission.uploads else None)


def _source_problems(submission: Submission) -> list[str]:
    fields = " or ".join(f"'{name}'" for name in FILE_FIELDS)
    uploads, url = submission.uploads, submission.url
    problems = [
        f"{upload.field}: Unrecognized file field. Expected the audio in field {fields}"
        for upload in uploads
        if upload.field not in FILE_FIELDS
    ]
    if len(uploads) > 1:
        problems.append(f"{FILE_FIELDS[0]}: Expected one audio file, received {len(uploads)}")
    if uploads and url is not None:
        problems.append("url: Expected either a url or an uploaded file, received both")
    elif not uploads and url is None:
        problems.append(f"url: Required. Expected a url or an audio file in field {fields}, received neither")
    elif url is not None:
        problems += _url_problems(url)
    problems += [
        f"{upload.field}: Expected a non-empty audio file, received 0 bytes"
        for upload in uploads
        if upload.size == 0
    ]
    return problems


def _url_problems(url: Any) -> list[str]:
    if not isinstance(url, str):
        return [f"url: Expected string, received {json_type_name(url)}"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"url: Invalid url. Expected an http:// or https:// URL, received '{url}'"]
    return []


def check_options(options: dict[str, Any], model: str, lax: bool) -> tuple[dict[str, Any], list[str]]:
    """Check options against the model's schema: one problem per option, in the schema's order.

    :param options: every field of the request but ``model``, ``url`` and the audio.
    :param model: a known model id.
    :param lax: True for form bodies, whose text values are first read as the schema's types.
    :return: the options as validated values (empty when there are problems), and the problems.
    """
    properties: dict[str, Any] = option_schema(model).get("properties", {})
    values = {
        name: coerce_form_value(value, properties[name]) if lax and name in properties else value
        for name, value in options.items()
    }
    errors_by_name: dict[str, list[ValidationError]] = {}
    unknown: list[str] = []
    others: list[str] = []
    for error in _validator(model).iter_errors(values):
        if error.path:
            errors_by_name.setdefault(str(error.path[0]), []).append(error)
        elif error.validator == "additionalProperties":
            unknown += [name for name in values if name not in properties and name not in unknown]
        else:
            others.append(f"body: {error.message}")
    position = {name: index for index, name in enumerate(properties)}
    problems = [
        _option_problem(name, options[name], properties.get(name, {}), errors, lax)
        for name, errors in sorted(
            errors_by_name.items(), key=lambda item: position.get(item[0], len(position))
        )
    ]
    known = ", ".join(properties) or "none"
    problems += [
        f"{name}: Unrecognized key. Not an option of model '{model}' (its options: {known})"
        for name in unknown
    ]
    problems += others
    return ({} if problems else values), problems


@cache
def _validator(model: str) -> Any:
    return OptionValidator(option_schema(model))


def _option_problem(
    name: str, given: Any, schema: dict[str, Any], errors: list[ValidationError], lax: bool
) -> str:
    for error in errors:  # a value of the right type: say which choice or which bound it misses
        if error.validator == "enum" and isinstance(error.instance, str):
            expected = " | ".join(f"'{choice}'" for choice in error.validator_value if choice is not None)
            return f"{name}: Invalid enum value. Expected {expected}, received '{error.instance}'"
        if error.validator in _BOUNDS:
            bound = f"{_BOUNDS[str(error.validator)]} {error.validator_value}"
            return f"{name}: Number must be {bound}, received {given!r}"
    for error in errors:  # inside a list of objects: name the item's field, as the API's paths do
        where = ".".join([name, *map(str, list(error.path)[1:])])
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = next(key for key in error.validator_value if key not in error.instance)
            return f"{where}.{missing}: Required"
        if error.validator == "type" and len(error.path) > 1:
            expected, received = describe_schema(error.schema), json_type_name(error.instance)
            return f"{where}: Expected {expected}, received {received}"
    received = repr(given) if lax and not isinstance(given, list) else json_type_name(given)
    return f"{name}: Expected {describe_schema(schema)}, received {received}"


def describe_schema(schema: dict[str, Any]) -> str:
    """A property's type as the API's messages name it: ``boolean``, ``string | string[]``, ...

    Null is left out (it is never what a client meant to send); arrays are named by their items' type.

    :param schema: the property's JSON Schema.
    """
    if "enum" in schema:
        return " | ".join(f"'{choice}'" for choice in schema["enum"] if choice is not None)
    return " | ".join(_type_names(schema))


def _type_names(schema: dict[str, Any]) -> list[str]:
    if "anyOf" in schema:
        return [name for choice in schema["anyOf"] for name in _type_names(choice)]
    declared = schema.get("type", [])
    names = []
    for kind in [declared] if isinstance(declared, str) else declared:
        if kind == "array":
            names.append(f"{' | '.join(_type_names(_items(schema))) or 'any'}[]")
        elif kind != "null":
            names.append(kind)
    return names


def coerce_form_value(value: Any, schema: dict[str, Any]) -> Any:
    """Read a form field's text as the type its schema asks for; leave it as it is when it cannot be.

    A single value for an option that takes a list (and no plain string) becomes a one-item list,
    unless it reads as the option's other type (``detect_language=true``); a repeated field (a
    list) stays a list, whose items are read as the array's items. An object is read from JSON
    text, and so is a whole list of objects.

    :param value: the field's text, or a list of texts for a repeated field.
    :param schema: the option's JSON Schema.
    """
    kinds = _types(schema) - {"null"}
    items = _items(schema)
    if isinstance(value, list):
        return [_coerce_text(item, items) for item in value] if "array" in kinds else value
    coerced = _coerce_text(value, schema)
    if "array" not in kinds or "string" in kinds or not isinstance(coerced, str):
        return coerced
    if "object" in _types(items):
        whole = _json_text(coerced, list)
        if whole is not None:
            return [_coerce_text(item, items) for item in whole]
    return [_coerce_text(coerced, items)]


def _json_text(text: str, kind: type) -> Any:
    """The JSON value of a text if it is one of ``kind``, else None."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None


def _coerce_text(text: Any, schema: dict[str, Any]) -> Any:
    kinds = _types(schema)
    if not isinstance(text, str) or "string" in kinds:
        return text
    if "object" in kinds:
        found = _json_text(text, dict)
        if found is not None:
            return found
    if "boolean" in kinds and text.lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[text.lower()]
    integer = _INTEGER_TEXT.fullmatch(text)
    if "integer" in kinds and integer is not None:
        return int(integer.group(1))
    if "number" in kinds:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema accepts, looking into ``anyOf``."""
    declared = schema.get("type", [])
    kinds = {declared} if isinstance(declared, str) else set(declared)
    for choice in schema.get("anyOf", []):
        kinds |= _types(choice)
    return kinds


def _items(schema: dict[str, Any]) -> dict[str, Any]:
    """The item schema of an array schema, looking into ``anyOf``."""
    if "items" in schema:
        items: dict[str, Any] = schema["items"]
        return items
    return next((_items(choice) for choice in schema.get("anyOf", []) if "array" in _types(choice)), {})
