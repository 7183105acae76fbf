"""Hand-made transcripts for the renderer tests, and the subtitle round trip."""

from __future__ import annotations

from collections.abc import Sequence

from airflow_provider_aimlstt.models import ModelFamily
from airflow_provider_aimlstt.transcripts import Transcript, Word, render
from tests.transcripts.subtitles import ParsedCue, parse_srt, parse_vtt

VOCABULARY = ["a", "to", "the", "river", "quietly", "harbour", "extraordinary", "bread,", "I", "weather."]


def words_at(
    texts: Sequence[str],
    start: float = 0.0,
    length: float = 0.3,
    pause: float = 0.1,
    speakers: Sequence[str | None] | None = None,
    channel: int | None = None,
) -> list[Word]:
    """Words one after another: each ``length`` seconds long, ``pause`` seconds apart."""
    words, cursor = [], start
    for index, text in enumerate(texts):
        speaker = speakers[index] if speakers else None
        words.append(Word(text=text, start=cursor, end=cursor + length, speaker=speaker, channel=channel))
        cursor += length + pause
    return words


def transcript_of(words: Sequence[Word], **fields: object) -> Transcript:
    values: dict[str, object] = {
        "text": " ".join(word.text for word in words),
        "words": tuple(words),
        "family": ModelFamily.DEEPGRAM,
        "model": "#g1_nova-2-general",
        "generation_id": "gen-hand-made",
    }
    values.update(fields)
    return Transcript.model_validate(values)


def both(transcript: Transcript, **options: object) -> list[tuple[str, list[ParsedCue]]]:
    """The transcript rendered as SRT and WebVTT, each parsed back."""
    return [
        ("srt", parse_srt(render(transcript, "srt", **options))),  # type: ignore[arg-type]
        ("vtt", parse_vtt(render(transcript, "vtt", **options))),  # type: ignore[arg-type]
    ]


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
