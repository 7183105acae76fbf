"""Result bodies of a completed job, one builder per model family, checked with the provider's models.

Every result says that the emulator made it: an ``emulator`` object (inside ``metadata`` for
Deepgram-style results) names where the text and the audio came from.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from airflow_provider_aimlstt.emulator.deepgram_result import build_deepgram_result
from airflow_provider_aimlstt.emulator.facts import JobFacts, emulator_notes
from airflow_provider_aimlstt.emulator.transcripts import TimedWord
from airflow_provider_aimlstt.models import AssemblyAIResult, ModelFamily, TextResult

_MICROSOFT_COST_PER_SECOND = 0.0001
_OPENAI_AUDIO_TOKENS_PER_SECOND = 10
_TOKENS_PER_WORD = 1.3


def build_result(facts: JobFacts) -> dict[str, Any]:
    """The ``result``/``output`` body of a completed job, shaped like the model family's.

    :param facts: what the job knows.
    """
    if facts.family is ModelFamily.DEEPGRAM:
        return build_deepgram_result(facts)
    if facts.family is ModelFamily.ASSEMBLYAI:
        return build_assemblyai_result(facts)
    if facts.family is ModelFamily.OPENAI:
        return build_openai_result(facts)
    return build_microsoft_result(facts)


def build_assemblyai_result(facts: JobFacts) -> dict[str, Any]:
    """AssemblyAI (``aai/*``): word times in milliseconds, letter speakers with ``speaker_labels``.

    :param facts: what the job knows.
    """
    options = facts.options
    labels = bool(options.get("speaker_labels"))
    speaker_count = max(2, int(options.get("speakers_expected") or 2))
    sentences = facts.transcript.sentences()
    speaker_of = {index: chr(ord("A") + index % speaker_count) for index in range(len(sentences))}

    def word_body(word: TimedWord) -> dict[str, Any]:
        speaker = speaker_of[word.sentence] if labels else None
        start, end = round(word.start * 1000), round(word.end * 1000)
        return {
            "text": word.text,
            "start": start,
            "end": end,
            "confidence": word.confidence,
            "speaker": speaker,
        }

    utterances = None
    if labels:
        utterances = [
            {
                "speaker": speaker_of[sentence[0].sentence],
                "text": " ".join(word.text for word in sentence),
                "start": round(sentence[0].start * 1000),
                "end": round(sentence[-1].end * 1000),
                "confidence": round(sum(word.confidence for word in sentence) / len(sentence), 4),
                "words": [word_body(word) for word in sentence],
            }
            for sentence in sentences
        ]
    result: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"aimlstt-emulator:{facts.generation_id}")),
        "language_model": "assemblyai_default",
        "acoustic_model": "assemblyai_default",
        "language_code": options.get("language_code") or "en_us",
        "status": "completed",
        "audio_url": facts.url,
        "text": facts.transcript.text,
        "words": [word_body(word) for word in facts.transcript.words],
        "utterances": utterances,
        "confidence": facts.transcript.confidence,
        "audio_duration": round(facts.audio.duration_seconds),
        "punctuate": options.get("punctuate", True),
        "format_text": options.get("format_text", True),
        "multichannel": options.get("multichannel"),
        "speaker_labels": labels,
        "speakers_expected": options.get("speakers_expected"),
        "language_detection": options.get("language_detection", False),
        "speech_model": facts.model.split("/", 1)[1],
        "emulator": emulator_notes(facts),
    }
    AssemblyAIResult.model_validate(result)  # the provider must be able to read what is sent
    return result


def build_openai_result(facts: JobFacts) -> dict[str, Any]:
    """OpenAI (``openai/*``): the text and a token usage record.

    :param facts: what the job knows.
    """
    prompt = facts.options.get("prompt") or ""
    audio_tokens = math.ceil(facts.audio.duration_seconds * _OPENAI_AUDIO_TOKENS_PER_SECOND)
    text_tokens = math.ceil(len(prompt.split()) * _TOKENS_PER_WORD)
    output_tokens = math.ceil(len(facts.transcript.words) * _TOKENS_PER_WORD)
    usage = {
        "type": "tokens",
        "input_tokens": audio_tokens + text_tokens,
        "input_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + text_tokens + output_tokens,
    }
    model = TextResult.model_validate(
        {"text": facts.transcript.text, "usage": usage, "emulator": emulator_notes(facts)}
    )
    return model.model_dump(mode="json")


def build_microsoft_result(facts: JobFacts) -> dict[str, Any]:
    """Microsoft (``microsoft/*``): the text and a per-second usage record.

    :param facts: what the job knows.
    """
    duration = facts.audio.duration_seconds
    seconds = max(1, round(duration)) if duration > 0 else 0
    usage = {"seconds": seconds, "cost": round(seconds * _MICROSOFT_COST_PER_SECOND, 6)}
    model = TextResult.model_validate(
        {"text": facts.transcript.text, "usage": usage, "emulator": emulator_notes(facts)}
    )
    return model.model_dump(mode="json")
