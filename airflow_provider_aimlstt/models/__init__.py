"""Pydantic models: the one written contract of the speech-to-text API.

The options classes of the models are generated into :mod:`airflow_provider_aimlstt.models.options`
(``OPTIONS_BY_MODEL``), imported on first use; :func:`options_class_for` gives a model's.

Every name below is imported from its module the first time it is asked for
(:mod:`airflow_provider_aimlstt._lazy`), so that a DAG file
reading :mod:`~airflow_provider_aimlstt.models.families` (``KNOWN_MODELS``) or
:mod:`~airflow_provider_aimlstt.models.status` builds no pydantic model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_aimlstt._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
