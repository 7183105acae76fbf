"""The normalized transcript: one shape for the results of every model family.

Conventions, the same for every family:

- Times are seconds (floats) from the start of the audio, or None when the model gives none.
  Timings are never invented: a result without them has words without times (or no words).
- A speaker is the API's own label as a string: Deepgram's integer ``0`` becomes ``"0"``,
  AssemblyAI's ``"A"`` stays ``"A"``. Renderers show it as ``Speaker 0`` / ``Speaker A``.
- ``channel`` is the 0-based index of the audio channel in a multichannel result and None in a
  single-channel one (AssemblyAI's 1-based channel ``"1"`` becomes ``0``).
- A multichannel result keeps one :class:`ChannelTranscript` per channel in ``channels``; its
  top-level ``words`` are every channel's words merged by start time (ties by channel), and its
  top-level ``text`` is those words read in that order, one line per run of one channel.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from airflow_provider_aimlstt.models.families import ModelFamily
from airflow_provider_aimlstt.tracing import Charge


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", protected_namespaces=())


class Word(_Frozen):
    """One recognised word.

    :param text: the word as it should be read (punctuation and capitals when the model gives them).
    :param start: start time in seconds, or None.
    :param end: end time in seconds, or None.
    :param confidence: the model's confidence (0 to 1), or None.
    :param speaker: the speaker's label, or None when the result is not diarized.
    :param channel: the 0-based audio channel in a multichannel result, else None.
    """

    text: str
    start: float | None = None
    end: float | None = None
    confidence: float | None = None
    speaker: str | None = None
    channel: int | None = None

    @property
    def has_timing(self) -> bool:
        """True when both the start and the end are known."""
        return self.start is not None and self.end is not None


class Utterance(_Frozen):
    """A stretch of speech by one speaker, as the model segmented it.

    :param text: the utterance's text.
    :param start: start time in seconds, or None.
    :param end: end time in seconds, or None.
    :param speaker: the speaker's label, or None.
    :param channel: the 0-based audio channel in a multichannel result, else None.
    :param confidence: the model's confidence, or None.
    :param words: the utterance's words, when the result lists them.
    """

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    channel: int | None = None
    confidence: float | None = None
    words: tuple[Word, ...] = ()


class Sentence(_Frozen):
    """A sentence of a paragraph.

    :param text: the sentence.
    :param start: start time in seconds, or None.
    :param end: end time in seconds, or None.
    """

    text: str
    start: float | None = None
    end: float | None = None


class Paragraph(_Frozen):
    """A paragraph, as Deepgram's ``paragraphs`` option gives them.

    :param text: the paragraph's sentences joined by spaces.
    :param start: start time in seconds, or None.
    :param end: end time in seconds, or None.
    :param speaker: the speaker's label, or None.
    :param channel: the 0-based audio channel in a multichannel result, else None.
    :param sentences: the paragraph's sentences.
    """

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    channel: int | None = None
    sentences: tuple[Sentence, ...] = ()


class ChannelTranscript(_Frozen):
    """The transcript of one audio channel of a multichannel result.

    :param channel: the 0-based channel index.
    :param text: the channel's text.
    :param words: the channel's words.
    :param paragraphs: the channel's paragraphs, when the result gives them.
    :param language: the language detected on this channel, if any.
    :param confidence: the model's confidence for this channel, or None.
    """

    channel: int
    text: str
    words: tuple[Word, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    language: str | None = None
    confidence: float | None = None


class Transcript(_Frozen):
    """One transcript, whatever the model family; JSON in and out (``model_dump_json``).

    :param text: the whole text (see the module's notes for multichannel results).
    :param words: the words in time order; empty when the model gives no word list.
    :param utterances: the model's utterances, when the result gives them.
    :param paragraphs: the model's paragraphs, when the result gives them.
    :param channels: one entry per channel of a multichannel result; empty for a single channel.
    :param language: the language code the result names, if any.
    :param duration_seconds: the audio's length as the result gives it, if it does.
    :param confidence: the model's overall confidence, if it gives one.
    :param model: the model id the job was submitted with, if known.
    :param generation_id: the job's generation id, if known.
    :param family: the model family whose result shape this came from.
    :param cost: what the job cost (credits and USD), when the API's answers said.
    :param client_request_id: the ``X-Client-Request-Id`` the job was submitted with, if known.
    :param raw: the API's result, kept verbatim.
    """

    text: str
    words: tuple[Word, ...] = ()
    utterances: tuple[Utterance, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    channels: tuple[ChannelTranscript, ...] = ()
    language: str | None = None
    duration_seconds: float | None = None
    confidence: float | None = None
    model: str | None = None
    generation_id: str | None = None
    family: ModelFamily
    cost: Charge | None = None
    client_request_id: str | None = None
    raw: dict[str, Any] = {}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_word_timings(self) -> bool:
        """True when there are words and every one has a start and an end (subtitles need this)."""
        return bool(self.words) and all(word.has_timing for word in self.words)

    @property
    def word_count(self) -> int:
        """How many words: the word list's length, or the text's when there is no word list."""
        return len(self.words) if self.words else len(self.text.split())

    @property
    def is_multichannel(self) -> bool:
        """True when the result has more than one audio channel."""
        return len(self.channels) > 1

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speaker labels in order of first appearance: in the words, the utterances, the paragraphs."""
        found = [part.speaker for part in self.words]
        found += [part.speaker for part in self.utterances] + [part.speaker for part in self.paragraphs]
        return tuple(dict.fromkeys(label for label in found if label is not None))

    @property
    def end_seconds(self) -> float | None:
        """The end of the last timed word, or None when no word has an end."""
        ends = [word.end for word in self.words if word.end is not None]
        return max(ends) if ends else None
