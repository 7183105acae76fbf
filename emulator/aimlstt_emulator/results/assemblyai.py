"""The AssemblyAI result (``aai/*``, ``slam-1``): word times in ms, letter speakers with ``speaker_labels``.

Unset fields are null, as in the universal model page's example response.
"""

from __future__ import annotations

import uuid
from typing import Any

from aimlstt_emulator.results.emulated_text import TimedWord
from aimlstt_emulator.results.facts import JobFacts, emulator_notes


def transcript_id(generation_id: str) -> str:
    """The AssemblyAI transcript id of a job: fixed by its generation id.

    :param generation_id: the job's id.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aimlstt-emulator:{generation_id}"))


def build_assemblyai_error(generation_id: str, url: str | None, message: str) -> dict[str, Any]:
    """The transcript object of an AssemblyAI job that failed: ``status: error`` and why, in ``error``.

    :param generation_id: the job's id.
    :param url: the URL source, if any.
    :param message: why it failed.
    """
    return {
        "id": transcript_id(generation_id),
        "status": "error",
        "audio_url": url,
        "text": None,
        "words": None,
        "error": message,
    }


def build_assemblyai_result(facts: JobFacts) -> dict[str, Any]:
    """The transcript object of an AssemblyAI job, echoing the options it was given.

    :param facts: what the job knows.
    """
    options = facts.options
    text = facts.emulated_text
    labels = bool(options.get("speaker_labels"))
    speaker_count = max(2, int(options.get("speakers_expected") or 2))
    sentences = text.sentences()
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
    return {
        "id": transcript_id(facts.generation_id),
        "language_model": "assemblyai_default",
        "acoustic_model": "assemblyai_default",
        "language_code": options.get("language_code") or "en_us",
        "status": "completed",
        "audio_url": facts.url,
        "text": text.text,
        "words": [word_body(word) for word in text.words],
        "utterances": utterances,
        "confidence": text.confidence,
        "audio_duration": round(facts.audio.duration_seconds),
        "punctuate": options.get("punctuate", True),
        "format_text": options.get("format_text", True),
        "multichannel": options.get("multichannel"),
        "speaker_labels": labels,
        "speakers_expected": options.get("speakers_expected"),
        "language_detection": options.get("language_detection", False),
        "speech_model": facts.model.rsplit("/", 1)[-1],
        "emulator": emulator_notes(facts),
    }
