"""Which options a model takes, and what is wrong with a request's options (lines naming the option).

The generated classes are imported on first use, not with this module: a DAG file that only
imports the operators does not pay for building them.
"""

from __future__ import annotations

import math
from functools import cache
from types import ModuleType, NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from airflow_provider_aimlstt.models.families import family_of
from airflow_provider_aimlstt.models.option_base import ApiOptions

_SCALARS = (str, int, float, bool, NoneType)
_NOUNS = {str: "string", int: "integer", float: "number", bool: "boolean"}
_BOUNDS = {"ge": "at least", "gt": "over", "le": "at most", "lt": "under"}
_LENGTHS = {"min_length": "at least", "max_length": "at most"}


def _generated() -> ModuleType:
    import airflow_provider_aimlstt.models.options as generated  # built on first use: it is large

    return generated


def options_class_for(model: str) -> type[ApiOptions] | None:
    """The options class of a registered model id (generated from its schema), None for other ids.

    :param model: a model id such as ``nova-3``.
    """
    return _generated().OPTIONS_BY_MODEL.get(model)


def upload_field_of(model: str) -> str:
    """The multipart field of an upload: the one the model's schema names, else its family's, else ``audio``.

    :param model: a model id, registered or not.
    """
    upload_fields: dict[str, str] = _generated().UPLOAD_FIELD_BY_MODEL
    if model in upload_fields:
        return upload_fields[model]
    family = family_of(model)
    return family.upload_field if family else "audio"


def option_names(options_class: type[BaseModel]) -> list[str]:
    """The option names of a class, as the API spells them (``from``, not ``from_``).

    :param options_class: a generated options class.
    """
    return [info.alias or name for name, info in options_class.model_fields.items()]


@cache
def _models_by_option() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for model, options_class in _generated().OPTIONS_BY_MODEL.items():
        for name in option_names(options_class):
            found.setdefault(name, []).append(model)
    return {name: tuple(models) for name, models in found.items()}


def models_with_option(name: str) -> list[str]:
    """The registered model ids that take an option, in registry order.

    :param name: an option name such as ``keyterm``.
    """
    return list(_models_by_option().get(name, ()))


def option_problems(model: str, options: dict[str, Any]) -> list[str]:
    """What is wrong with the options of a request, one line per problem, each starting with the option.

    A registered model's options are checked against its class, strictly. A model the registry
    lacks (``allow_unknown_model=True``) has no schema here, and its family's models disagree on
    options (nova-3 has ``multichannel`` where nova-2 has ``multi_channel``), so borrowing one of
    them would refuse options the new model may well take: its options are only checked to be plain
    values that both a JSON body and a multipart form carry faithfully (a string, a finite number, a
    boolean, null, or a list of those), and the API judges the rest.

    :param model: the model id.
    :param options: the options as given.
    """
    options_class = options_class_for(model)
    if options_class is None:
        return [
            f"options.{name}: must be a string, number, boolean, null or a list of those"
            for name, value in options.items()
            if not _is_plain(value)
        ]
    try:
        options_class.model_validate(options)
    except ValidationError as exc:
        return _problems(model, options_class, options, exc)
    return []


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_plain(item) and not isinstance(item, list) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, _SCALARS)


def _problems(
    model: str, options_class: type[ApiOptions], options: dict[str, Any], exc: ValidationError
) -> list[str]:
    annotations = {info.alias or name: info.annotation for name, info in options_class.model_fields.items()}
    lines: list[str] = []
    for error in exc.errors():
        name = str(error["loc"][0])
        if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
            lines.append(_not_an_option(name, model, options_class))
        elif _has_union(annotations.get(name)):
            # pydantic reports each choice of a union apart, under a location naming the choice.
            line = f"options.{name}: Input should be {_describe(annotations[name])} (got {options[name]!r})"
            lines += [] if line in lines else [line]
        else:
            where = ".".join(str(part) for part in error["loc"])
            lines.append(f"options.{where}: {error['msg']} (got {error['input']!r})")
    return lines


def _not_an_option(name: str, model: str, options_class: type[ApiOptions]) -> str:
    own = ", ".join(option_names(options_class)) or "none"
    line = f"options.{name}: not an option of {model} (its options: {own})"
    others = models_with_option(name)
    return f"{line}; {name} is an option of {', '.join(others)}" if others else line


def _choices(annotation: Any) -> list[Any]:
    """The choices of a union but None, or the annotation itself."""
    if get_origin(annotation) in (Union, UnionType):
        return [choice for choice in get_args(annotation) if choice is not NoneType]
    return [annotation]


def _has_union(annotation: Any) -> bool:
    if annotation is None:
        return False
    choices = _choices(annotation)
    if len(choices) > 1:
        return True
    inner = choices[0]
    return any(_has_union(arg) for arg in get_args(inner) if get_origin(inner) is not Literal)


def _describe(annotation: Any, plural: bool = False) -> str:
    """A type in words: ``a string or a list of strings``.

    :param annotation: a field's type.
    :param plural: describe many values of it (``strings``).
    """
    choices = _choices(annotation)
    if len(choices) > 1:
        return " or ".join(_describe(choice, plural) for choice in choices)
    kind, origin, args = choices[0], get_origin(choices[0]), get_args(choices[0])
    if origin is Annotated:
        words = _describe(args[0], plural)
        limits = [item for info in args[1:] if isinstance(info, FieldInfo) for item in info.metadata]
        for limit in limits:
            words += "".join(
                f" {text} {getattr(limit, key)}" for key, text in _BOUNDS.items() if hasattr(limit, key)
            )
            for key, text in _LENGTHS.items():
                words += f" with {text} {getattr(limit, key)} items" if hasattr(limit, key) else ""
        return words
    if origin is Literal:
        return ("values among " if plural else "one of ") + ", ".join(repr(value) for value in args)
    if origin is list:
        return ("lists of " if plural else "a list of ") + _describe(args[0], plural=True)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        names = ", ".join(option_names(kind))
        return f"objects with {names}" if plural else f"an object with {names}"
    noun = _NOUNS.get(kind, getattr(kind, "__name__", str(kind)))
    return f"{noun}s" if plural else f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
