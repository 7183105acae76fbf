"""Pydantic models: the one written contract of the speech-to-text API."""

from airflow_provider_aimlstt.models.events import SttTriggerEvent
from airflow_provider_aimlstt.models.families import (
    KNOWN_MODELS,
    OPTIONS_BY_FAMILY,
    AssemblyAIOptions,
    DeepgramOptions,
    MicrosoftOptions,
    ModelFamily,
    OpenAIOptions,
    family_of,
)
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.responses import ApiErrorBody, CreateResponse, FetchResponse, JobError
from airflow_provider_aimlstt.models.status import SttStatus

__all__ = [
    "KNOWN_MODELS",
    "OPTIONS_BY_FAMILY",
    "ApiErrorBody",
    "AssemblyAIOptions",
    "CreateResponse",
    "DeepgramOptions",
    "FetchResponse",
    "JobError",
    "MicrosoftOptions",
    "ModelFamily",
    "OpenAIOptions",
    "SttStatus",
    "SttTriggerEvent",
    "TranscriptionRequest",
    "family_of",
]
