"""AssemblyAI results (``aai/*``) as transcript fields.

Word and utterance times are milliseconds on the wire and become seconds; ``audio_duration`` is
already seconds. Speakers are letters (``"A"``) and stay so. With ``multichannel`` AssemblyAI marks
words with a 1-based ``channel`` (``"1"``, ``"2"``), which becomes the 0-based index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_aimlstt.transcripts._parse import (
    merged_text,
    number,
    objects,
    seconds,
    speaker_label,
    text_of,
    time_key,
)
from airflow_provider_aimlstt.transcripts.model import ChannelTranscript, Utterance, Word

_MS_PER_SECOND = 1000.0


def assemblyai_fields(result: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`Transcript` fields read from an AssemblyAI result.

    :param result: the ``result``/``output`` object of a completed job.
    """
    word_bodies = objects(result.get("words"))
    multichannel = len({_channel(body.get("channel")) for body in word_bodies} - {None}) > 1
    words = tuple(word for word in (_word(body, multichannel) for body in word_bodies) if word)
    utterances = tuple(_utterance(body, multichannel) for body in objects(result.get("utterances")))
    language = result.get("language_code")
    fields: dict[str, Any] = {
        "text": text_of(result.get("text")) or " ".join(word.text for word in words),
        "words": words,
        "utterances": utterances,
        "duration_seconds": number(result.get("audio_duration")),
        "confidence": number(result.get("confidence")),
        "language": language if isinstance(language, str) and language else None,
    }
    if multichannel:
        channels = _channels(words)
        merged = tuple(sorted(words, key=time_key))
        fields.update(channels=channels, words=merged, text=merged_text(channels, merged))
    return fields


def _channel(value: Any) -> int | None:
    """The 0-based index of AssemblyAI's 1-based channel label, or None."""
    if isinstance(value, bool):
        return None
    try:
        index = int(str(value).strip())
    except ValueError:
        return None
    return max(index - 1, 0)


def _word(body: Mapping[str, Any], multichannel: bool) -> Word | None:
    text = text_of(body.get("text"))
    if not text:
        return None
    return Word(
        text=text,
        start=seconds(body.get("start"), _MS_PER_SECOND),
        end=seconds(body.get("end"), _MS_PER_SECOND),
        confidence=number(body.get("confidence")),
        speaker=speaker_label(body.get("speaker")),
        channel=_channel(body.get("channel")) if multichannel else None,
    )


def _utterance(body: Mapping[str, Any], multichannel: bool) -> Utterance:
    words = tuple(word for word in (_word(item, multichannel) for item in objects(body.get("words"))) if word)
    return Utterance(
        text=text_of(body.get("text")) or " ".join(word.text for word in words),
        start=seconds(body.get("start"), _MS_PER_SECOND),
        end=seconds(body.get("end"), _MS_PER_SECOND),
        speaker=speaker_label(body.get("speaker")),
        channel=_channel(body.get("channel")) if multichannel else None,
        confidence=number(body.get("confidence")),
        words=words,
    )


def _channels(words: tuple[Word, ...]) -> tuple[ChannelTranscript, ...]:
    indices = sorted({word.channel for word in words if word.channel is not None})
    channels = []
    for index in indices:
        own = tuple(word for word in words if word.channel == index)
        channels.append(ChannelTranscript(channel=index, text=" ".join(word.text for word in own), words=own))
    return tuple(channels)
