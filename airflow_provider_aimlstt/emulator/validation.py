"""Checks of a create request, reported as the API does: "Body validation error!" and one line a field.

Options are checked with the provider's own option models: strictly for JSON bodies, in pydantic's
lax mode for form bodies (whose values are text).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from airflow_provider_aimlstt.emulator.audio import StoredAudio
from airflow_provider_aimlstt.emulator.errors import body_validation_error
from airflow_provider_aimlstt.emulator.submission import Submission, json_type_name
from airflow_provider_aimlstt.models import KNOWN_MODELS, OPTIONS_BY_FAMILY, ModelFamily

_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


@dataclass(frozen=True)
class CreateRequest:
    """A create request that passed every check.

    :param model: the model id.
    :param family: the model's family.
    :param options: the options that were given, as validated values.
    :param url: the audio URL, or None for an upload.
    :param upload: the uploaded audio, or None for a URL.
    """

    model: str
    family: ModelFamily
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
    family: ModelFamily | None = None
    if model is None:
        problems.append("model: Required. Expected one of the model ids, received undefined")
    elif not isinstance(model, str):
        problems.append(f"model: Expected string, received {json_type_name(model)}")
    elif model not in KNOWN_MODELS:
        expected = " | ".join(f"'{known}'" for known in KNOWN_MODELS)
        problems.append(f"model: Invalid enum value. Expected {expected}, received '{model}'")
    else:
        family = KNOWN_MODELS[model]
    problems += _source_problems(submission, family)
    options: dict[str, Any] = {}
    if family is not None:
        options, option_problems = _check_options(submission.options, family, submission.lax)
        problems += option_problems
    if problems:
        raise body_validation_error(problems)
    assert family is not None and isinstance(model, str)
    url = submission.url if isinstance(submission.url, str) else None
    return CreateRequest(model, family, options, url, submission.uploads[0] if submission.uploads else None)


def _source_problems(submission: Submission, family: ModelFamily | None) -> list[str]:
    upload_field = family.upload_field if family else "audio"
    uploads, url = submission.uploads, submission.url
    problems = [
        f"{upload.field}: Unrecognized file field. Expected the audio in field '{upload_field}'"
        for upload in uploads
        if family is not None and upload.field != upload_field
    ]
    if len(uploads) > 1:
        problems.append(f"{upload_field}: Expected one audio file, received {len(uploads)}")
    if uploads and url is not None:
        problems.append("url: Expected either a url or an uploaded file, received both")
    elif not uploads and url is None:
        problems.append(
            f"url: Required. Expected a url or an audio file in field '{upload_field}', received neither"
        )
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


def _check_options(
    options: dict[str, Any], family: ModelFamily, lax: bool
) -> tuple[dict[str, Any], list[str]]:
    option_model = OPTIONS_BY_FAMILY[family]
    if lax:
        options = {name: _as_list_if_wanted(option_model, name, value) for name, value in options.items()}
    try:
        validated = option_model.model_validate(options, strict=not lax)
    except ValidationError as exc:
        return {}, _option_problems(exc, option_model, options, family, lax)
    return validated.model_dump(include=set(options)), []


def _as_list_if_wanted(option_model: type[BaseModel], name: str, value: Any) -> Any:
    """A single form value for an option that only takes a list becomes a one-item list."""
    field = option_model.model_fields.get(name)
    if field is None or isinstance(value, list):
        return value
    kinds = [arg for arg in _union_args(field.annotation) if arg is not type(None)]
    return [value] if kinds and all(typing.get_origin(kind) is list for kind in kinds) else value


def _option_problems(
    exc: ValidationError,
    option_model: type[BaseModel],
    options: dict[str, Any],
    family: ModelFamily,
    lax: bool,
) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for error in exc.errors():
        name = str(error["loc"][0])
        if name in seen:
            continue
        seen.add(name)
        value = options.get(name)
        received = repr(value) if lax and not isinstance(value, list) else json_type_name(value)
        if error["type"] == "extra_forbidden":
            known = ", ".join(option_model.model_fields) or "none"
            problems.append(
                f"{name}: Unrecognized key. Not an option of the {family.value} model family "
                f"(its options: {known})"
            )
        elif error["type"] == "literal_error" and isinstance(value, str):
            expected = (
                str(error.get("ctx", {}).get("expected", "")).replace(" or ", " | ").replace(", ", " | ")
            )
            problems.append(f"{name}: Invalid enum value. Expected {expected}, received '{value}'")
        elif error["type"] in _BOUND_ERRORS:
            bound = str(error["msg"]).removeprefix("Input should be ")
            problems.append(f"{name}: Number must be {bound}, received {value!r}")
        else:
            expected = describe_type(option_model.model_fields[name].annotation)
            problems.append(f"{name}: Expected {expected}, received {received}")
    return problems


def describe_type(annotation: Any) -> str:
    """An option's type as the API's messages name it: ``boolean``, ``string | string[]``, ...

    :param annotation: the option's type annotation.
    """
    names: list[str] = []
    for kind in _union_args(annotation):
        if kind is type(None):
            continue
        if typing.get_origin(kind) is list:
            names.append(f"{describe_type(typing.get_args(kind)[0])}[]")
        elif typing.get_origin(kind) is typing.Literal:
            names.append(" | ".join(f"'{choice}'" for choice in typing.get_args(kind)))
        else:
            names.append(
                {bool: "boolean", str: "string", int: "integer", float: "number"}.get(kind, str(kind))
            )
    return " | ".join(names)


def _union_args(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)
