"""Pydantic models: the one written contract of the speech-to-text API.

The options classes of the models are generated into :mod:`airflow_provider_aimlstt.models.options`
(``OPTIONS_BY_MODEL``), imported on first use; :func:`options_class_for` gives a model's.
"""

from typing import Any

from airflow_provider_aimlstt.models import families as _families
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
from airflow_provider_aimlstt.models.responses import ApiErrorBody, CreateResponse, FetchResponse, JobError
from airflow_provider_aimlstt.models.status import SttStatus

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
    """The old per-family options names (``DeepgramOptions``, ``OPTIONS_BY_FAMILY``, ...), deprecated.

    :param name: the attribute asked for.
    """
    if name in _families.DEPRECATED_NAMES:
        return _families.deprecated(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
