"""Turn the result of any model family into one :class:`Transcript`.

The family is read from the result's shape with :func:`detect_family`, unless the model id names
a text-only family (OpenAI, Microsoft): then a ``words`` list in the result is not mistaken for
AssemblyAI's millisecond words. OpenAI and Microsoft share the ``{text, usage}`` shape; the model
id, when given, tells them apart. Such results carry no
word timings: their transcript has no words (``word_count`` counts the text's words) and
``has_word_timings`` is False; no timing is ever invented.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow_provider_aimlstt.exceptions import AimlSttResponseError
from airflow_provider_aimlstt.models.families import ModelFamily, family_of
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.models.results import detect_family
from airflow_provider_aimlstt.transcripts._parse import mapping, number
from airflow_provider_aimlstt.transcripts.assemblyai import assemblyai_fields
from airflow_provider_aimlstt.transcripts.deepgram import deepgram_fields
from airflow_provider_aimlstt.transcripts.model import Transcript

_FETCH_KEYS = frozenset({"id", "generation_id", "status", "result", "output", "error"})


def to_transcript(
    result: Mapping[str, Any] | FetchResponse,
    *,
    model: str | None = None,
    generation_id: str | None = None,
) -> Transcript:
    """Normalize a completed job's result.

    :param result: the ``result``/``output`` object of a completed job; a whole fetch answer
        (``{status, result}`` or ``{id, status, output}``) or a :class:`FetchResponse` is unwrapped.
    :param model: the model id the job was submitted with, kept on the transcript.
    :param generation_id: the job's id, kept on the transcript (Deepgram-style results name it in
        ``metadata.request_id``, which is used when this is not given).
    :raises AimlSttResponseError: when ``result`` is not a result object, or a fetch answer without one.
    """
    body, fetched_id = _unwrap(result)
    declared = family_of(model) if model is not None else None
    text_only = declared in (ModelFamily.OPENAI, ModelFamily.MICROSOFT)
    family = declared if text_only and declared is not None else detect_family(dict(body))
    if family is ModelFamily.DEEPGRAM:
        fields = deepgram_fields(body)
    elif family is ModelFamily.ASSEMBLYAI:
        fields = assemblyai_fields(body)
    else:
        fields = _text_fields(body)
        if model is not None and family_of(model) is ModelFamily.MICROSOFT:
            family = ModelFamily.MICROSOFT
    found_id = fields.pop("generation_id", None)
    return Transcript(
        **fields,
        family=family,
        model=model,
        generation_id=generation_id or fetched_id or found_id,
        raw=copy.deepcopy(dict(body)),
    )


def _unwrap(result: Mapping[str, Any] | FetchResponse) -> tuple[Mapping[str, Any], str | None]:
    """The result object, and the generation id when a fetch answer carried one."""
    if isinstance(result, FetchResponse):
        return _checked_result(result), result.id
    if not isinstance(result, Mapping):
        raise AimlSttResponseError(
            f"A transcript is made from a result object (a dict), got {type(result).__name__}"
        )
    if "status" in result and set(result) <= _FETCH_KEYS:
        fetched = FetchResponse.model_validate(dict(result))
        return _checked_result(fetched), fetched.id
    return result, None


def _checked_result(fetched: FetchResponse) -> Mapping[str, Any]:
    if fetched.result is None:
        where = f" of generation_id={fetched.id}" if fetched.id else ""
        detail = f": {fetched.error_reason}" if fetched.is_failed else ""
        raise AimlSttResponseError(
            f"The fetch answer{where} has status {fetched.status!r} and no result to transcribe{detail}"
        )
    return fetched.result


def _text_fields(result: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI and Microsoft: the text; the duration when ``usage.seconds`` or ``duration`` gives it."""
    text = result.get("text")
    language = result.get("language")
    duration = number(mapping(result.get("usage")).get("seconds"))
    return {
        "text": text.strip() if isinstance(text, str) else "",
        "duration_seconds": duration if duration is not None else number(result.get("duration")),
        "language": language if isinstance(language, str) and language else None,
    }
