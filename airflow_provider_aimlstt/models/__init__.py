"""Pydantic models: the one written contract of the speech-to-text API.

The options classes of the models are generated into :mod:`airflow_provider_aimlstt.models.options`
(``OPTIONS_BY_MODEL``), imported on first use; :func:`options_class_for` gives a model's.

Every name below is imported from its module the first time it is asked for, so that a DAG file
reading :mod:`~airflow_provider_aimlstt.models.families` (``KNOWN_MODELS``) or
:mod:`~airflow_provider_aimlstt.models.status` builds no pydantic model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from airflow_provider_aimlstt.models import families as _families

if TYPE_CHECKING:
    from airflow_provider_aimlstt.models.events import SttTriggerEvent
    from airflow_provider_aimlstt.models.families import KNOWN_MODELS, SCHEMA_ALIASES, ModelFamily, family_of
    from airflow_provider_aimlstt.models.option_base import ApiOptions
    from airflow_provider_aimlstt.models.option_check import (
        models_with_option,
        option_names,
        options_class_for,
        upload_field_of,
    )
    from airflow_provider_aimlstt.models.request import TranscriptionRequest
    from airflow_provider_aimlstt.models.responses import (
        ApiErrorBody,
        CreateResponse,
        FetchResponse,
        JobError,
    )
    from airflow_provider_aimlstt.models.status import SttStatus

_HOMES = {
    "KNOWN_MODELS": "families",
    "SCHEMA_ALIASES": "families",
    "ModelFamily": "families",
    "family_of": "families",
    "SttTriggerEvent": "events",
    "ApiOptions": "option_base",
    "models_with_option": "option_check",
    "option_names": "option_check",
    "options_class_for": "option_check",
    "upload_field_of": "option_check",
    "TranscriptionRequest": "request",
    "ApiErrorBody": "responses",
    "CreateResponse": "responses",
    "FetchResponse": "responses",
    "JobError": "responses",
    "SttStatus": "status",
}

__all__ = [
    "KNOWN_MODELS",
    "SCHEMA_ALIASES",
    "ApiErrorBody",
    "ApiOptions",
    "CreateResponse",
    "FetchResponse",
    "JobError",
    "ModelFamily",
    "SttStatus",
    "SttTriggerEvent",
    "TranscriptionRequest",
    "family_of",
    "models_with_option",
    "option_names",
    "options_class_for",
    "upload_field_of",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use; or an old per-family options name
    (``DeepgramOptions``, ``OPTIONS_BY_FAMILY``, ...), deprecated.

    :param name: the attribute asked for.
    """
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value  # asked once: later lookups skip this function
        return value
    if name in _families.DEPRECATED_NAMES:
        return _families.deprecated(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, with those not imported yet."""
    return sorted({*globals(), *__all__})
