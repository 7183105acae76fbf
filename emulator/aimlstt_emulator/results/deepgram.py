"""The Deepgram-style result (``#g1_*``, ``nova-*``, ``whisper-*``): ``{metadata, results: {...}}``.

``results.channels`` is a list (as every example indexes it). With ``diarize`` each sentence gets
the next of two speakers; with ``multi_channel`` (nova-2, whisper) or ``multichannel`` (nova-3)
and multi-channel audio, sentences are dealt to the channels in turn; ``paragraphs`` and
``utterances`` add Deepgram's structures. Fields without a value are left out, as the API does.
"""

from __future__ import annotations

import uuid
from typing import Any

from aimlstt_emulator.results.emulated_text import TimedWord
from aimlstt_emulator.results.facts import JobFacts, emulator_notes

Sentence = list[TimedWord]
_DIARIZED_SPEAKERS = 2
_SENTENCES_PER_PARAGRAPH = 3


def build_deepgram_result(facts: JobFacts) -> dict[str, Any]:
    """The ``{metadata, results}`` body of a Deepgram-style job.

    :param facts: what the job knows.
    """
    options = facts.options
    diarize = bool(options.get("diarize"))
    sentences = facts.emulated_text.sentences()
    per_channel = options.get("multi_channel") or options.get("multichannel")
    channel_count = facts.audio.channels if per_channel and facts.audio.channels > 1 else 1
    by_channel: list[list[Sentence]] = [sentences[index::channel_count] for index in range(channel_count)]
    channels = []
    for sentences_of_channel in by_channel:
        channel: dict[str, Any] = {
            "alternatives": [_alternative(sentences_of_channel, diarize, bool(options.get("paragraphs")))]
        }
        if options.get("detect_language"):
            channel["detected_language"] = options.get("language") or "en"
        channels.append(channel)
    results: dict[str, Any] = {"channels": channels}
    if options.get("utterances"):
        results["utterances"] = _utterances(facts.generation_id, by_channel, diarize)
    return {"metadata": _metadata(facts, channel_count), "results": results}


def _metadata(facts: JobFacts, channel_count: int) -> dict[str, Any]:
    model_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aimlstt-emulator:{facts.model}"))
    name, arch = _model_name_and_arch(facts.model)
    return {
        "transaction_key": "deprecated",
        "request_id": facts.generation_id,
        "sha256": facts.audio.sha256,
        "created": facts.created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration": float(facts.audio.duration_seconds),
        "channels": channel_count,
        "models": [model_uuid],
        "model_info": {model_uuid: {"name": name, "version": "emulated", "arch": arch}},
        "emulator": emulator_notes(facts),
    }


def _model_name_and_arch(model: str) -> tuple[str, str]:
    for prefix in ("#g1_whisper-", "whisper-"):
        if model.startswith(prefix):
            return model.removeprefix(prefix), "whisper"
    for prefix in ("#g1_nova-2-", "nova-2-"):
        if model.startswith(prefix):
            return f"2-{model.removeprefix(prefix)}-nova", "nova-2"
    if model.startswith("nova-3"):
        return model, "nova-3"
    return model, model


def _speaker(word: TimedWord) -> int:
    return word.sentence % _DIARIZED_SPEAKERS


def _word(word: TimedWord, diarize: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "word": word.bare,
        "start": word.start,
        "end": word.end,
        "confidence": word.confidence,
        "punctuated_word": word.text,
    }
    if diarize:
        body["speaker"] = _speaker(word)
    return body


def _alternative(sentences: list[Sentence], diarize: bool, paragraphs: bool) -> dict[str, Any]:
    words = [word for sentence in sentences for word in sentence]
    confidence = round(sum(word.confidence for word in words) / len(words), 4) if words else 0.0
    alternative: dict[str, Any] = {
        "transcript": " ".join(word.text for word in words),
        "confidence": confidence,
        "words": [_word(word, diarize) for word in words],
    }
    if paragraphs:
        alternative["paragraphs"] = _paragraphs(sentences, diarize)
    return alternative


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
                "words": [_word(word, diarize) for word in sentence],
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{generation_id}:{sentence[0].sentence}")),
            }
            if diarize:
                body["speaker"] = _speaker(sentence[0])
            utterances.append(body)
    return sorted(utterances, key=lambda utterance: (utterance["start"], utterance["channel"]))
