"""The Deepgram-style result (``#g1_*``, ``nova-3``), built with the provider's Deepgram models.

``results.channels`` is a list (as every example indexes it). With ``diarize`` each sentence gets
the next of two speakers; with ``multi_channel`` and multi-channel audio, sentences are dealt to
the channels in turn; ``paragraphs`` and ``utterances`` add Deepgram's structures.
"""

from __future__ import annotations

import uuid
from typing import Any

from airflow_provider_aimlstt.emulator.facts import JobFacts, emulator_notes
from airflow_provider_aimlstt.emulator.transcripts import TimedWord
from airflow_provider_aimlstt.models.results import (
    DeepgramAlternative,
    DeepgramChannel,
    DeepgramMetadata,
    DeepgramResult,
    DeepgramResults,
    DeepgramWord,
)

Sentence = list[TimedWord]
_DIARIZED_SPEAKERS = 2
_SENTENCES_PER_PARAGRAPH = 3


def build_deepgram_result(facts: JobFacts) -> dict[str, Any]:
    """The ``{metadata, results}`` body of a Deepgram-style job.

    :param facts: what the job knows.
    """
    options = facts.options
    diarize = bool(options.get("diarize"))
    sentences = facts.transcript.sentences()
    channel_count = facts.audio.channels if options.get("multi_channel") and facts.audio.channels > 1 else 1
    by_channel: list[list[Sentence]] = [sentences[index::channel_count] for index in range(channel_count)]
    channels = []
    for sentences_of_channel in by_channel:
        alternative = _alternative(sentences_of_channel, diarize, bool(options.get("paragraphs")))
        extra = (
            {"detected_language": options.get("language") or "en"} if options.get("detect_language") else {}
        )
        channels.append(DeepgramChannel(alternatives=[alternative], **extra))
    results_extra: dict[str, Any] = {}
    if options.get("utterances"):
        results_extra["utterances"] = _utterances(facts.generation_id, by_channel, diarize)
    result = DeepgramResult(
        metadata=_metadata(facts, channel_count),
        results=DeepgramResults(channels=channels, **results_extra),
    )
    return result.model_dump(mode="json", exclude_none=True)


def _metadata(facts: JobFacts, channel_count: int) -> DeepgramMetadata:
    model_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aimlstt-emulator:{facts.model}"))
    name, arch = _model_name_and_arch(facts.model)
    return DeepgramMetadata.model_validate(
        {
            "transaction_key": "deprecated",
            "request_id": facts.generation_id,
            "sha256": facts.audio.sha256,
            "created": facts.created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "duration": facts.audio.duration_seconds,
            "channels": channel_count,
            "models": [model_uuid],
            "model_info": {model_uuid: {"name": name, "version": "emulated", "arch": arch}},
            "emulator": emulator_notes(facts),
        }
    )


def _model_name_and_arch(model: str) -> tuple[str, str]:
    if model.startswith("#g1_whisper-"):
        return model.removeprefix("#g1_whisper-"), "whisper"
    if model.startswith("#g1_nova-2-"):
        return f"2-{model.removeprefix('#g1_nova-2-')}-nova", "nova-2"
    return model, model


def _speaker(word: TimedWord) -> int:
    return word.sentence % _DIARIZED_SPEAKERS


def _word(word: TimedWord, diarize: bool) -> DeepgramWord:
    return DeepgramWord(
        word=word.bare,
        start=word.start,
        end=word.end,
        confidence=word.confidence,
        punctuated_word=word.text,
        speaker=_speaker(word) if diarize else None,
    )


def _alternative(sentences: list[Sentence], diarize: bool, paragraphs: bool) -> DeepgramAlternative:
    words = [word for sentence in sentences for word in sentence]
    confidence = round(sum(word.confidence for word in words) / len(words), 4) if words else 0.0
    return DeepgramAlternative(
        transcript=" ".join(word.text for word in words),
        confidence=confidence,
        words=[_word(word, diarize) for word in words],
        paragraphs=_paragraphs(sentences, diarize) if paragraphs else None,
    )


def _paragraphs(sentences: list[Sentence], diarize: bool) -> dict[str, Any]:
    """Deepgram's ``paragraphs``: a new paragraph on each change of speaker, else every few sentences."""
    groups: list[list[Sentence]] = []
    for sentence in sentences:
        starts_new = not groups or (
            _speaker(sentence[0]) != _speaker(groups[-1][0][0])
            if diarize
            else len(groups[-1]) >= _SENTENCES_PER_PARAGRAPH
        )
        if starts_new:
            groups.append([])
        groups[-1].append(sentence)
    paragraphs, texts = [], []
    for group in groups:
        sentence_texts = [" ".join(word.text for word in sentence) for sentence in group]
        body: dict[str, Any] = {
            "sentences": [
                {"text": text, "start": sentence[0].start, "end": sentence[-1].end}
                for text, sentence in zip(sentence_texts, group, strict=True)
            ],
            "num_words": sum(len(sentence) for sentence in group),
            "start": group[0][0].start,
            "end": group[-1][-1].end,
        }
        text = " ".join(sentence_texts)
        if diarize:
            body["speaker"] = _speaker(group[0][0])
            text = f"Speaker {body['speaker']}: {text}"
        paragraphs.append(body)
        texts.append(text)
    return {"transcript": "".join(f"\n{text}\n" for text in texts), "paragraphs": paragraphs}


def _utterances(generation_id: str, by_channel: list[list[Sentence]], diarize: bool) -> list[dict[str, Any]]:
    """Deepgram's ``results.utterances``: one per sentence, in time order across channels."""
    utterances = []
    for channel, sentences in enumerate(by_channel):
        for sentence in sentences:
            body: dict[str, Any] = {
                "start": sentence[0].start,
                "end": sentence[-1].end,
                "confidence": round(sum(word.confidence for word in sentence) / len(sentence), 4),
                "channel": channel,
                "transcript": " ".join(word.text for word in sentence),
                "words": [_word(word, diarize).model_dump(exclude_none=True) for word in sentence],
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{generation_id}:{sentence[0].sentence}")),
            }
            if diarize:
                body["speaker"] = _speaker(sentence[0])
            utterances.append(body)
    return sorted(utterances, key=lambda utterance: (utterance["start"], utterance["channel"]))
