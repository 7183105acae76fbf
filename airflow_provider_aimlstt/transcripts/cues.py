"""Subtitle cues made from a transcript's timed words.

Rules, in order:

1. When every utterance lists its timed words and together they hold as many words as the
   transcript, no cue spans two utterances (Deepgram's and AssemblyAI's segmentation is kept);
   otherwise the cues are cut from the transcript's words alone.
2. A new cue starts on every change of voice (speaker, and channel in a multichannel result).
3. Inside one voice, words are added to a cue while it still fits: at most ``max_lines`` lines
   of at most ``max_line_chars`` characters (the inline label, when there is one, counts), at most
   ``max_cue_seconds`` from its first word's start to its last word's end, and no silence longer
   than ``max_gap_seconds`` between two of its words. A single word that breaks a limit alone
   (a very long word) gets a cue of its own.
4. Times are rounded half-up to the millisecond from their decimal form; a cue always ends at
   least one millisecond after it starts. Cues are ordered by start time, then channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from airflow_provider_aimlstt.exceptions import AimlSttRenderError
from airflow_provider_aimlstt.transcripts.model import Transcript, Word


@dataclass(frozen=True)
class CueOptions:
    """How words are grouped into cues.

    :param max_line_chars: the longest line, in characters.
    :param max_lines: the most lines in one cue.
    :param max_cue_seconds: the longest cue, in seconds.
    :param max_gap_seconds: the longest silence inside one cue; None for no limit.
    :param speaker_labels: show who speaks (``[Speaker A]`` in SRT, ``<v Speaker A>`` in WebVTT).
    """

    max_line_chars: int = 42
    max_lines: int = 2
    max_cue_seconds: float = 6.0
    max_gap_seconds: float | None = 1.5
    speaker_labels: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.max_line_chars < 1:
            problems.append(f"max_line_chars must be 1 or more, got {self.max_line_chars!r}")
        if self.max_lines < 1:
            problems.append(f"max_lines must be 1 or more, got {self.max_lines!r}")
        if not self.max_cue_seconds > 0:
            problems.append(f"max_cue_seconds must be more than 0, got {self.max_cue_seconds!r}")
        if self.max_gap_seconds is not None and self.max_gap_seconds < 0:
            problems.append(f"max_gap_seconds must be 0 or more, got {self.max_gap_seconds!r}")
        if problems:
            raise AimlSttRenderError("Invalid cue options: " + "; ".join(problems))


@dataclass(frozen=True)
class Cue:
    """One subtitle cue.

    :param start_ms: start, in whole milliseconds.
    :param end_ms: end, in whole milliseconds (always after ``start_ms``).
    :param words: the words shown.
    :param voice: who speaks (``Speaker A``, ``Channel 1``), or None.
    :param lines: the text's lines; the first starts with ``[voice]`` when labels are inline.
    """

    start_ms: int
    end_ms: int
    words: tuple[Word, ...]
    voice: str | None
    lines: tuple[str, ...]


def to_milliseconds(seconds: float) -> int:
    """Seconds to whole milliseconds, half-up from the decimal form (1.0005 s is 1001 ms), never < 0.

    :param seconds: a time in seconds.
    """
    exact = Decimal(repr(float(seconds))) * 1000
    return max(0, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def voice_of(word: Word, multichannel: bool) -> str | None:
    """The label of who speaks a word: ``Speaker A``, ``Channel 1``, both, or None.

    :param word: the word.
    :param multichannel: whether the transcript has several channels.
    """
    parts = []
    if word.speaker is not None:
        parts.append(f"Speaker {word.speaker}")
    if multichannel and word.channel is not None:
        parts.append(f"Channel {word.channel}")
    return ", ".join(parts) or None


def cue_segments(transcript: Transcript) -> list[tuple[Word, ...]]:
    """The runs of words no cue may span: the utterances (see rule 1), else all the words.

    :param transcript: a transcript whose words all have timings.
    """
    utterances = transcript.utterances
    if (
        utterances
        and all(utterance.words for utterance in utterances)
        and sum(len(utterance.words) for utterance in utterances) == len(transcript.words)
        and all(word.has_timing for utterance in utterances for word in utterance.words)
    ):
        return [utterance.words for utterance in utterances]
    return [transcript.words] if transcript.words else []


def build_cues(transcript: Transcript, options: CueOptions, *, inline_labels: bool) -> list[Cue]:
    """Group a transcript's timed words into cues.

    :param transcript: a transcript whose words all have timings.
    :param options: the limits.
    :param inline_labels: put ``[voice]`` at the start of the first line (SRT); when False the
        label is only carried in :attr:`Cue.voice` (WebVTT's ``<v>`` tag takes no room).
    """
    multichannel = transcript.is_multichannel
    cues: list[Cue] = []
    for segment in cue_segments(transcript):
        run: list[Word] = []
        for word in segment:
            voice = voice_of(word, multichannel)
            if run and (
                voice != voice_of(run[0], multichannel)
                or not _fits([*run, word], _label(voice, options, inline_labels), options)
            ):
                cues.append(_cue(run, voice_of(run[0], multichannel), options, inline_labels))
                run = []
            run.append(word)
        if run:
            cues.append(_cue(run, voice_of(run[0], multichannel), options, inline_labels))
    return sorted(cues, key=lambda cue: (cue.start_ms, cue.words[0].channel or 0))


def wrap(tokens: Sequence[str], width: int) -> list[str]:
    """Greedy line filling: each token goes on the current line if it fits, else on a new one.

    :param tokens: the words (and a leading label), in order.
    :param width: the longest line.
    """
    lines: list[str] = []
    for token in tokens:
        if lines and len(lines[-1]) + 1 + len(token) <= width:
            lines[-1] += " " + token
        else:
            lines.append(token)
    return lines


def _label(voice: str | None, options: CueOptions, inline_labels: bool) -> str | None:
    return f"[{voice}]" if voice and inline_labels and options.speaker_labels else None


def _tokens(words: Sequence[Word], label: str | None) -> list[str]:
    texts = [word.text.replace("-->", "->") for word in words]
    return [label, *texts] if label else texts


def _fits(words: Sequence[Word], label: str | None, options: CueOptions) -> bool:
    starts, ends = _times(words)
    if max(ends) - min(starts) > options.max_cue_seconds:
        return False
    gap = (words[-1].start or 0.0) - (words[-2].end or 0.0)
    if options.max_gap_seconds is not None and gap > options.max_gap_seconds:
        return False
    lines = wrap(_tokens(words, label), options.max_line_chars)
    return len(lines) <= options.max_lines and all(len(line) <= options.max_line_chars for line in lines)


def _times(words: Sequence[Word]) -> tuple[list[float], list[float]]:
    starts = [word.start for word in words if word.start is not None]
    ends = [word.end for word in words if word.end is not None]
    return starts or [0.0], ends or [0.0]


def _cue(words: Sequence[Word], voice: str | None, options: CueOptions, inline_labels: bool) -> Cue:
    starts, ends = _times(words)
    start_ms = to_milliseconds(min(starts))
    end_ms = max(to_milliseconds(max(ends)), start_ms + 1)
    lines = wrap(_tokens(words, _label(voice, options, inline_labels)), options.max_line_chars)
    return Cue(start_ms, end_ms, tuple(words), voice, tuple(lines))
