"""The renderers on hand-made transcripts: formats, errors, SRT and WebVTT validity, txt and JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from airflow_provider_aimlstt.exceptions import AimlSttError, AimlSttRenderError
from airflow_provider_aimlstt.models import ModelFamily
from airflow_provider_aimlstt.transcripts import (
    FORMATS,
    MEDIA_TYPES,
    SUFFIXES,
    Transcript,
    render,
    suffix_for,
)
from tests.transcripts.handmade import transcript_of, words_at
from tests.transcripts.subtitles import parse_srt, parse_vtt


def test_no_timings_is_an_error_naming_the_job_the_model_and_the_formats_that_work() -> None:
    transcript = Transcript(
        text="Text only.", family=ModelFamily.OPENAI, model="openai/gpt-4o-transcribe", generation_id="gen-77"
    )
    for fmt in ("srt", "vtt", "SRT"):
        with pytest.raises(AimlSttRenderError) as caught:
            render(transcript, fmt)
        message = str(caught.value)
        for part in ("gen-77", "openai/gpt-4o-transcribe", "no word timings", "txt", "json"):
            assert part in message
    assert render(transcript, "txt") == "Text only.\n"


def test_an_empty_transcript_gives_empty_subtitles() -> None:
    empty = Transcript(text="", family=ModelFamily.DEEPGRAM)
    assert render(empty, "srt") == "" and parse_srt(render(empty, "srt")) == []
    assert render(empty, "vtt") == "WEBVTT\n" and parse_vtt(render(empty, "vtt")) == []
    assert render(empty, "txt") == ""


@pytest.mark.parametrize("fmt", ["docx", "", "webvtt", "sr t"])
def test_an_unknown_format_names_the_accepted_ones(fmt: str) -> None:
    with pytest.raises(AimlSttRenderError) as caught:
        render(transcript_of(words_at(["x"])), fmt)
    assert all(name in str(caught.value) for name in FORMATS) and repr(fmt) in str(caught.value)
    assert isinstance(caught.value, AimlSttError) and isinstance(caught.value, ValueError)


def test_formats_suffixes_and_media_types() -> None:
    assert FORMATS == ("txt", "json", "srt", "vtt")
    assert set(SUFFIXES) == set(MEDIA_TYPES) == set(FORMATS)
    assert all(suffix_for(fmt) == f".{fmt}" for fmt in FORMATS)
    assert suffix_for(".SRT") == ".srt"
    transcript = transcript_of(words_at(["x"]))
    assert render(transcript, ".VTT") == render(transcript, "vtt")
    with pytest.raises(AimlSttRenderError):
        suffix_for("pdf")


def test_srt_is_well_formed_and_numbered_from_one() -> None:
    words = words_at([f"word{index}" for index in range(60)], speakers=["A"] * 30 + ["B"] * 30)
    text = render(transcript_of(words), "srt")
    cues = parse_srt(text)  # checks numbering, timing lines, blank-line separation
    assert len(cues) > 2 and text.startswith("1\n00:00:00,000 --> ")
    assert "\r" not in text and "\n\n\n" not in text


def test_webvtt_is_well_formed_and_escapes_markup() -> None:
    texts = ["<b>bold</b>", "AT&T", "a-->b", "café", "naïve"]
    words = words_at(texts, speakers=["Ann <x>"] * len(texts))
    text = render(transcript_of(words), "vtt")
    assert text.startswith("WEBVTT\n\n1\n")
    cues = parse_vtt(text)
    assert [token for cue in cues for token in cue.tokens] == ["<b>bold</b>", "AT&T", "a->b", "café", "naïve"]
    assert {cue.voice for cue in cues} == {"Speaker Ann <x>"}
    srt_tokens = [token for cue in parse_srt(render(transcript_of(words), "srt")) for token in cue.tokens]
    assert "a->b" in srt_tokens and "-->" not in " ".join(srt_tokens)


def test_txt_labels_turns_only_when_speakers_are_known() -> None:
    plain = transcript_of(words_at(["just", "words"]))
    assert render(plain, "txt") == "just words\n"
    spoken = transcript_of(words_at(["hi", "there", "hello"], speakers=["A", "A", "B"]))
    assert render(spoken, "txt") == "Speaker A: hi there\nSpeaker B: hello\n"
    assert render(spoken, "txt", speaker_labels=False) == "hi there hello\n"


def test_json_round_trip_keeps_everything() -> None:
    words = words_at(["late", "night"], start=90_000.0, speakers=["0", "1"])
    transcript = transcript_of(
        words, raw={"anything": [1, {"kept": None}]}, language="en", duration_seconds=9e4
    )
    text = render(transcript, "json")
    assert Transcript.model_validate_json(text) == transcript
    body = json.loads(text)
    assert body["has_word_timings"] is True and body["raw"] == {"anything": [1, {"kept": None}]}
    assert body["family"] == "deepgram" and body["words"][1]["speaker"] == "1"


def test_transcripts_are_frozen_and_count_words() -> None:
    transcript = transcript_of(words_at(["a", "b", "c"], speakers=["B", "A", "B"]))
    with pytest.raises(ValidationError):
        transcript.text = "changed"  # type: ignore[misc]
    assert transcript.word_count == 3 and transcript.speakers == ("B", "A")
    assert Transcript(text="four words of text", family=ModelFamily.MICROSOFT).word_count == 4
