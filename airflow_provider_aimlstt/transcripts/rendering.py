"""Render a :class:`Transcript` as plain text, JSON, SubRip (SRT) or WebVTT.

- ``txt``: the text; when speakers (or several channels) are known and labels are wanted, one
  line per turn, ``Speaker A: ...``.
- ``json``: the normalized transcript (``Transcript.model_validate_json`` reads it back).
- ``srt`` / ``vtt``: subtitle cues (see :mod:`.cues` for the rules). Hours are never wrapped:
  25 hours in is ``25:00:00,000`` (SRT) and ``25:00:00.000`` (WebVTT). Subtitles need word
  timings; a transcript with words or text but no timings raises :class:`AimlSttRenderError`
  (an empty transcript, nothing said, gives subtitles without cues).
"""

from __future__ import annotations

from airflow_provider_aimlstt.exceptions import AimlSttRenderError
from airflow_provider_aimlstt.transcripts.cues import Cue, CueOptions, build_cues, voice_of
from airflow_provider_aimlstt.transcripts.formats import UNTIMED_FORMATS, check_format
from airflow_provider_aimlstt.transcripts.model import Transcript


def render(
    transcript: Transcript,
    fmt: str,
    *,
    max_line_chars: int = 42,
    max_lines: int = 2,
    max_cue_seconds: float = 6.0,
    max_gap_seconds: float | None = 1.5,
    speaker_labels: bool = True,
) -> str:
    """The transcript in one format, as text ending with a newline (``""`` for an empty txt or SRT).

    :param transcript: the transcript (see :func:`to_transcript`).
    :param fmt: one of :data:`~airflow_provider_aimlstt.transcripts.formats.FORMATS`.
    :param max_line_chars: subtitles: the longest line.
    :param max_lines: subtitles: the most lines in one cue.
    :param max_cue_seconds: subtitles: the longest cue.
    :param max_gap_seconds: subtitles: the longest silence inside one cue (None: no limit).
    :param speaker_labels: show who speaks, in txt and subtitles, where it is known.
    :raises AimlSttRenderError: for an unknown format, or subtitles of a transcript without timings.
    """
    name = check_format(fmt)
    if name == "json":
        return transcript.model_dump_json(indent=2) + "\n"
    if name == "txt":
        return render_txt(transcript, speaker_labels=speaker_labels)
    if not transcript.has_word_timings and (transcript.words or transcript.text.strip()):
        raise AimlSttRenderError(_no_timings_message(transcript, name))
    options = CueOptions(
        max_line_chars=max_line_chars,
        max_lines=max_lines,
        max_cue_seconds=max_cue_seconds,
        max_gap_seconds=max_gap_seconds,
        speaker_labels=speaker_labels,
    )
    if name == "srt":
        return render_srt(build_cues(transcript, options, inline_labels=True))
    return render_vtt(build_cues(transcript, options, inline_labels=False), speaker_labels=speaker_labels)


def render_txt(transcript: Transcript, *, speaker_labels: bool = True) -> str:
    """Plain text: one ``Voice: text`` line per turn when voices are known and wanted, else the text.

    :param transcript: the transcript.
    :param speaker_labels: label the turns.
    """
    labelled = speaker_labels and (transcript.speakers or transcript.is_multichannel)
    if not labelled or not transcript.words:
        return f"{transcript.text}\n" if transcript.text else ""
    turns: list[tuple[str | None, list[str]]] = []
    for word in transcript.words:
        voice = voice_of(word, transcript.is_multichannel)
        if not turns or turns[-1][0] != voice:
            turns.append((voice, []))
        turns[-1][1].append(word.text)
    return "".join(
        f"{voice}: {' '.join(texts)}\n" if voice else f"{' '.join(texts)}\n" for voice, texts in turns
    )


def render_srt(cues: list[Cue]) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, a blank line after each.

    :param cues: the cues, in order.
    """
    blocks = [
        f"{number}\n{timestamp(cue.start_ms, ',')} --> {timestamp(cue.end_ms, ',')}\n" + "\n".join(cue.lines)
        for number, cue in enumerate(cues, start=1)
    ]
    return "".join(f"{block}\n\n" for block in blocks)


def render_vtt(cues: list[Cue], *, speaker_labels: bool = True) -> str:
    """WebVTT: the ``WEBVTT`` header, then numbered cues; voices as ``<v Speaker A>`` tags.

    :param cues: the cues, in order.
    :param speaker_labels: open each cue with its voice tag when the voice is known.
    """
    parts = ["WEBVTT\n"]
    for number, cue in enumerate(cues, start=1):
        lines = [_vtt_escape(line) for line in cue.lines]
        if speaker_labels and cue.voice:
            lines[0] = f"<v {_vtt_escape(cue.voice)}>{lines[0]}"
        times = f"{timestamp(cue.start_ms, '.')} --> {timestamp(cue.end_ms, '.')}"
        parts.append(f"\n{number}\n{times}\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def timestamp(milliseconds: int, separator: str) -> str:
    """``HH:MM:SS<sep>mmm`` with hours unwrapped (at least two digits; 100 hours is ``100:00:00``).

    :param milliseconds: the time in whole milliseconds (0 or more).
    :param separator: ``,`` for SRT, ``.`` for WebVTT.
    """
    total_seconds, millis = divmod(max(0, milliseconds), 1000)
    total_minutes, secs = divmod(total_seconds, 60)
    hours, minutes = divmod(total_minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _no_timings_message(transcript: Transcript, fmt: str) -> str:
    generation = transcript.generation_id or "unknown"
    model = transcript.model or f"unknown ({transcript.family.value} family)"
    if not transcript.family.gives_word_timings:
        reason = f"model {model} gives no word timings (its result is text only)"
    else:
        reason = f"this result of model {model} has no word timings (no words, or words without times)"
    return (
        f"Cannot render generation_id={generation} as {fmt}: {reason}, and subtitles need them. "
        f"Formats that work without timings: {', '.join(UNTIMED_FORMATS)}."
    )
