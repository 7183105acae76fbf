"""Deepgram-style results (``#g1_nova-2-*``, ``#g1_whisper-*``, ``nova-3*``) as transcript fields.

``results.channels`` is a list in the examples and an object in the OpenAPI schema: both are read.
``paragraphs`` is Deepgram's ``{transcript, paragraphs: [...]}`` in the examples and a list of
``{transcript, paragraphs: {...}}`` in the schema: both are read. The first alternative of each
channel is the transcript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_aimlstt.transcripts._parse import (
    mapping,
    merged_text,
    merged_words,
    number,
    objects,
    seconds,
    speaker_label,
    text_of,
)
from airflow_provider_aimlstt.transcripts.model import ChannelTranscript, Paragraph, Sentence, Utterance, Word


def deepgram_fields(result: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`Transcript` fields read from a Deepgram-style result.

    :param result: the ``result``/``output`` object of a completed job.
    """
    metadata = mapping(result.get("metadata"))
    results = mapping(result.get("results"))
    raw_channels = results.get("channels")
    channel_bodies = [raw_channels] if isinstance(raw_channels, Mapping) else objects(raw_channels)
    multichannel = len(channel_bodies) > 1
    channels = tuple(_channel(index, body, multichannel) for index, body in enumerate(channel_bodies))
    utterances = tuple(_utterance(body, multichannel) for body in objects(results.get("utterances")))
    request_id = metadata.get("request_id")
    fields: dict[str, Any] = {
        "utterances": tuple(sorted(utterances, key=lambda item: (item.start or 0.0, item.channel or 0))),
        "duration_seconds": number(metadata.get("duration")),
        "generation_id": request_id if isinstance(request_id, str) and request_id else None,
        "language": next((channel.language for channel in channels if channel.language), None),
    }
    if multichannel:
        words = merged_words(channels)
        paragraphs = [paragraph for channel in channels for paragraph in channel.paragraphs]
        fields.update(
            text=merged_text(channels, words),
            words=words,
            paragraphs=tuple(sorted(paragraphs, key=lambda item: (item.start or 0.0, item.channel or 0))),
            channels=channels,
        )
    elif channels:
        only = channels[0]
        fields.update(
            text=only.text, words=only.words, paragraphs=only.paragraphs, confidence=only.confidence
        )
    else:
        fields.update(text="")
    return fields


def _channel(index: int, body: Mapping[str, Any], multichannel: bool) -> ChannelTranscript:
    alternatives = objects(body.get("alternatives"))
    best = alternatives[0] if alternatives else {}
    channel = index if multichannel else None
    words = tuple(word for word in (_word(item, channel) for item in objects(best.get("words"))) if word)
    language = body.get("detected_language")
    return ChannelTranscript(
        channel=index,
        text=text_of(best.get("transcript")) or " ".join(word.text for word in words),
        words=words,
        paragraphs=tuple(_paragraph(item, channel) for item in _paragraph_bodies(best.get("paragraphs"))),
        language=language if isinstance(language, str) and language else None,
        confidence=number(best.get("confidence")),
    )


def _word(body: Mapping[str, Any], channel: int | None) -> Word | None:
    text = text_of(body.get("punctuated_word")) or text_of(body.get("word"))
    if not text:
        return None
    return Word(
        text=text,
        start=seconds(body.get("start")),
        end=seconds(body.get("end")),
        confidence=number(body.get("confidence")),
        speaker=speaker_label(body.get("speaker")),
        channel=channel,
    )


def _paragraph_bodies(value: Any) -> list[Mapping[str, Any]]:
    """The paragraph objects inside Deepgram's ``paragraphs``, whichever documented nesting it has."""
    if isinstance(value, Mapping):
        if "paragraphs" in value:
            return _paragraph_bodies(value["paragraphs"])
        return [value] if "sentences" in value or "start" in value else []
    if isinstance(value, list):
        return [paragraph for item in objects(value) for paragraph in _paragraph_bodies(item)]
    return []


def _paragraph(body: Mapping[str, Any], channel: int | None) -> Paragraph:
    sentences = tuple(
        Sentence(
            text=text_of(item.get("text")), start=seconds(item.get("start")), end=seconds(item.get("end"))
        )
        for item in objects(body.get("sentences"))
    )
    text = " ".join(sentence.text for sentence in sentences if sentence.text) or text_of(body.get("text"))
    return Paragraph(
        text=text,
        start=seconds(body.get("start")),
        end=seconds(body.get("end")),
        speaker=speaker_label(body.get("speaker")),
        channel=channel,
        sentences=sentences,
    )


def _utterance(body: Mapping[str, Any], multichannel: bool) -> Utterance:
    index = number(body.get("channel"))
    channel = int(index) if multichannel and index is not None else None
    words = tuple(word for word in (_word(item, channel) for item in objects(body.get("words"))) if word)
    return Utterance(
        text=text_of(body.get("transcript")) or " ".join(word.text for word in words),
        start=seconds(body.get("start")),
        end=seconds(body.get("end")),
        speaker=speaker_label(body.get("speaker")),
        channel=channel,
        confidence=number(body.get("confidence")),
        words=words,
    )
