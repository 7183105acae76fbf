"""Small readers shared by the family normalizers: numbers, labels, and the merge of channels."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_aimlstt.transcripts.model import ChannelTranscript, Word


def number(value: Any) -> float | None:
    """A finite number as a float, else None (booleans, strings and NaN are not numbers here).

    :param value: a value read from the result.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def seconds(value: Any, per_second: float = 1.0) -> float | None:
    """A time in seconds, read from a value given in units of ``1 / per_second`` seconds.

    :param value: the time as the result gives it.
    :param per_second: 1 for seconds, 1000 for milliseconds.
    """
    read = number(value)
    return None if read is None else read / per_second


def text_of(value: Any) -> str:
    """A string value with white space collapsed, or ``""``.

    :param value: a value read from the result.
    """
    return " ".join(value.split()) if isinstance(value, str) else ""


def speaker_label(value: Any) -> str | None:
    """The speaker's label as a string: ``0`` becomes ``"0"``, ``"A"`` stays ``"A"``.

    :param value: the speaker as the result gives it.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    label = str(value).strip()
    return label or None


def mapping(value: Any) -> Mapping[str, Any]:
    """The value if it is a JSON object, else an empty one.

    :param value: a value read from the result.
    """
    return value if isinstance(value, Mapping) else {}


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects of a list (other items skipped), or ``[]`` when the value is not a list.

    :param value: a value read from the result.
    """
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def time_key(word: Word) -> tuple[float, int]:
    """Sort key: start time (untimed words last), then channel.

    :param word: a word.
    """
    return (word.start if word.start is not None else math.inf, word.channel or 0)


def merged_words(channels: Iterable[ChannelTranscript]) -> tuple[Word, ...]:
    """Every channel's words merged by start time; ties keep channel order.

    :param channels: the channels.
    """
    return tuple(sorted((word for channel in channels for word in channel.words), key=time_key))


def merged_text(channels: tuple[ChannelTranscript, ...], words: tuple[Word, ...]) -> str:
    """The text of a multichannel result: the merged words, one line per run of one channel.

    When some channel has text but no words, the channels' texts are joined one per line instead.

    :param channels: the channels.
    :param words: their words merged by time.
    """
    if any(channel.text and not channel.words for channel in channels):
        return "\n".join(channel.text for channel in channels if channel.text)
    lines: list[list[str]] = []
    previous: int | None = None
    for word in words:
        if not lines or word.channel != previous:
            lines.append([])
        lines[-1].append(word.text)
        previous = word.channel
    return "\n".join(" ".join(line) for line in lines)
