"""What a finished job knows about its request, audio and text, and the note every result carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aimlstt_emulator.audio_info import SOURCE_URL_NO_AUDIO, AudioInfo
from aimlstt_emulator.billing import FREE, Bill
from aimlstt_emulator.catalog import Family
from aimlstt_emulator.results.emulated_text import EmulatedText


@dataclass(frozen=True)
class JobFacts:
    """Everything a result is made from.

    :param generation_id: the job's id.
    :param model: the model id.
    :param family: the model's family.
    :param options: the validated options that were given.
    :param audio: what is known of the audio.
    :param emulated_text: the text with word timings.
    :param audio_source: how the audio was obtained: a ``SOURCE_*`` name of
        :mod:`aimlstt_emulator.audio_info`.
    :param url: the URL source, if any.
    :param created: when the job was created (UTC).
    :param bill: what its create was billed (the seconds and cost a result's usage reports).
    """

    generation_id: str
    model: str
    family: Family
    options: dict[str, Any]
    audio: AudioInfo
    emulated_text: EmulatedText
    audio_source: str
    url: str | None
    created: datetime
    bill: Bill = FREE


def emulator_notes(facts: JobFacts) -> dict[str, Any]:
    """The ``emulator`` object: where the text and the audio facts came from.

    :param facts: what the job knows.
    """
    note = facts.emulated_text.note
    if facts.audio_source == SOURCE_URL_NO_AUDIO:
        note += " No audio was fetched: sha256 is of the URL text and the duration is nominal."
    elif facts.audio.duration_estimated:
        note += " The duration is estimated from the file size at a typical bit rate."
    return {
        "emulated": True,
        "transcript_source": facts.emulated_text.source,
        "audio_source": facts.audio_source,
        "audio_format": facts.audio.audio_format,
        "audio_channels": facts.audio.channels,
        "audio_duration_seconds": facts.audio.duration_seconds,
        "duration_estimated": facts.audio.duration_estimated,
        "note": note,
    }
