"""Turn the result of any model family into one :class:`Transcript`: the one reader of results.

The family is the model id's when the id is known (so a ``words`` list in an OpenAI result is never
mistaken for AssemblyAI's millisecond words); without a model id it is read from the result's
shape. OpenAI and Microsoft results carry no word timings: their transcript has no words
(``word_count`` counts the text's words) and ``has_word_timings`` is False; no timing is ever
invented.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow_provider_aimlstt.exceptions import AimlSttResponseError
from airflow_provider_aimlstt.models.families import ModelFamily, family_of
from airflow_provider_aimlstt.models.responses import FetchResponse
from airflow_provider_aimlstt.transcripts._parse import mapping, number, objects
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
    family = (family_of(model) if model is not None else None) or family_of_result(body)
    if family is ModelFamily.DEEPGRAM:
        fields = deepgram_fields(body)
    elif family is ModelFamily.ASSEMBLYAI:
        fields = assemblyai_fields(body)
    else:
        fields = _text_fields(body)
    found_id = fields.pop("generation_id", None)
    return Transcript(
        **fields,
        family=family,
        model=model,
        generation_id=generation_id or fetched_id or found_id,
        raw=copy.deepcopy(dict(body)),
    )


def family_of_result(result: Mapping[str, Any]) -> ModelFamily:
    """The family whose shape a result has, for a result whose model id is not known.

    Deepgram-style results have ``metadata``/``results``; OpenAI's have ``usage`` (and words, if
    any, named ``word`` in seconds); AssemblyAI's have ``audio_duration`` or words named ``text``
    in milliseconds. Microsoft's ``{text, usage}`` reads as OpenAI's, which is read the same way.

    :param result: the ``result``/``output`` object of a completed job.
    """
    if "results" in result or "metadata" in result:
        return ModelFamily.DEEPGRAM
    if "usage" in result:
        return ModelFamily.OPENAI
    if any(key in result for key in ("audio_duration", "utterances", "language_model", "acoustic_model")):
        return ModelFamily.ASSEMBLYAI
    words = objects(result.get("words"))
    if words and "text" in words[0]:
        return ModelFamily.ASSEMBLYAI
    return ModelFamily.OPENAI


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
