"""Real results from the emulator, of every family, normalized and rendered.

All jobs are submitted at once through the hook, then polled, so the module waits for the
emulator's queue only once. Expectations come from the inputs (the sidecar texts, the raw result)
and from the formats' rules, never from the normalizer's own output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttError, AimlSttRenderError
from airflow_provider_aimlstt.models import ModelFamily
from airflow_provider_aimlstt.transcripts import FORMATS, Transcript, render, to_transcript
from tests.transcripts.conftest import DEEPGRAM_JOBS, JOBS, MEETING_TEXT, STEREO_LINES, TIMED_JOBS
from tests.transcripts.subtitles import (
    expected_voice,
    match_words,
    parse_srt,
    parse_vtt,
    words_in_time_order,
)


def _deepgram_words(channel: dict[str, Any]) -> list[dict[str, Any]]:
    return channel["alternatives"][0]["words"]


@pytest.mark.parametrize("name", DEEPGRAM_JOBS)
def test_deepgram_words_keep_the_result_s_times_text_and_speakers(jobs, name) -> None:
    job = jobs[name]
    transcript = job.transcript()
    assert transcript.family is ModelFamily.DEEPGRAM
    assert (transcript.model, transcript.generation_id) == (job.model, job.generation_id)
    assert transcript.duration_seconds == job.result["metadata"]["duration"]
    assert transcript.raw == job.result and transcript.has_word_timings
    raw_words = [word for channel in job.result["results"]["channels"] for word in _deepgram_words(channel)]
    raw_words.sort(key=lambda word: word["start"])
    assert [(word.text, word.start, word.end) for word in transcript.words] == [
        (word["punctuated_word"], word["start"], word["end"]) for word in raw_words
    ]
    assert [word.speaker for word in transcript.words] == [
        None if "speaker" not in word else str(word["speaker"]) for word in raw_words
    ]
    assert transcript.word_count == len(raw_words)


def test_plain_deepgram_text_is_the_sidecar(jobs) -> None:
    transcript = jobs["plain"].transcript()
    assert transcript.text == MEETING_TEXT
    assert [word.text for word in transcript.words] == MEETING_TEXT.split()
    assert transcript.channels == () and not transcript.is_multichannel and transcript.speakers == ()
    assert render(transcript, "txt") == MEETING_TEXT + "\n"


def test_diarized_speakers_are_string_labels_of_deepgram_s_integers(jobs) -> None:
    transcript = jobs["diarized"].transcript()
    raw = {word["speaker"] for word in _deepgram_words(jobs["diarized"].result["results"]["channels"][0])}
    assert len(raw) > 1  # the placeholder text has several sentences, dealt to two speakers
    assert set(transcript.speakers) == {str(speaker) for speaker in raw}
    turns = render(transcript, "txt").splitlines()
    assert all(line.startswith(("Speaker 0: ", "Speaker 1: ")) for line in turns)
    assert " ".join(line.split(": ", 1)[1] for line in turns) == transcript.text


def test_paragraphs_and_utterances_are_kept(jobs) -> None:
    job = jobs["structured"]
    transcript = job.transcript()
    raw_paragraphs = job.result["results"]["channels"][0]["alternatives"][0]["paragraphs"]["paragraphs"]
    assert [paragraph.text for paragraph in transcript.paragraphs] == [
        " ".join(sentence["text"] for sentence in paragraph["sentences"]) for paragraph in raw_paragraphs
    ]
    assert [(p.start, p.end, p.speaker) for p in transcript.paragraphs] == [
        (p["start"], p["end"], str(p["speaker"])) for p in raw_paragraphs
    ]
    raw_utterances = job.result["results"]["utterances"]
    assert [(u.text, u.start, u.end, u.speaker) for u in transcript.utterances] == [
        (u["transcript"], u["start"], u["end"], str(u["speaker"])) for u in raw_utterances
    ]
    assert sum(len(utterance.words) for utterance in transcript.utterances) == len(transcript.words)


def test_paragraphs_without_diarization_have_no_speaker(jobs) -> None:
    transcript = jobs["paragraphs"].transcript()
    assert len(transcript.paragraphs) > 1 and transcript.utterances == ()
    assert all(paragraph.speaker is None for paragraph in transcript.paragraphs)
    assert " ".join(paragraph.text for paragraph in transcript.paragraphs) == transcript.text


@pytest.mark.parametrize("name", ["stereo", "stereo_utterances"])
def test_multichannel_keeps_channels_and_merges_words_by_time(jobs, name) -> None:
    job = jobs[name]
    transcript = job.transcript()
    raw_channels = job.result["results"]["channels"]
    assert len(raw_channels) == job.result["metadata"]["channels"] == 2 and transcript.is_multichannel
    assert [channel.channel for channel in transcript.channels] == [0, 1]
    for channel, raw in zip(transcript.channels, raw_channels, strict=True):
        assert channel.text == raw["alternatives"][0]["transcript"]
        assert {word.channel for word in channel.words} == {channel.channel}
    starts = [word.start or 0.0 for word in transcript.words]
    assert starts == sorted(starts)
    # The speakers take turns, one sentence each and one channel each: read in time order, the
    # merged text is the conversation, line by line.
    assert transcript.text.splitlines() == STEREO_LINES
    assert render(transcript, "txt").splitlines()[0].endswith(STEREO_LINES[0])


def test_assemblyai_times_become_seconds_and_speakers_stay_letters(jobs) -> None:
    for name in ("aai_labels", "aai_upload"):
        job = jobs[name]
        transcript = job.transcript()
        assert transcript.family is ModelFamily.ASSEMBLYAI
        assert transcript.language == job.result["language_code"]
        assert transcript.duration_seconds == job.result["audio_duration"]
        assert [(w.text, w.start, w.end, w.speaker) for w in transcript.words] == [
            (w["text"], w["start"] / 1000, w["end"] / 1000, w["speaker"]) for w in job.result["words"]
        ]
        assert [(u.speaker, u.text, u.start) for u in transcript.utterances] == [
            (u["speaker"], u["text"], u["start"] / 1000) for u in job.result["utterances"]
        ]
    assert jobs["aai_upload"].transcript().text == MEETING_TEXT
    assert len(jobs["aai_labels"].transcript().speakers) > 1


@pytest.mark.parametrize("name", ["openai", "microsoft"])
def test_text_only_results_have_no_timings_and_subtitles_say_why(jobs, name) -> None:
    job = jobs[name]
    transcript = job.transcript()
    assert transcript.text == MEETING_TEXT and transcript.word_count == len(MEETING_TEXT.split())
    assert transcript.words == () and not transcript.has_word_timings
    assert transcript.family is (ModelFamily.OPENAI if name == "openai" else ModelFamily.MICROSOFT)
    for fmt in ("srt", "vtt"):
        with pytest.raises(AimlSttRenderError) as caught:
            render(transcript, fmt)
        message = str(caught.value)
        assert job.generation_id in message and job.model in message and "no word timings" in message
        assert "txt" in message and "json" in message
        assert isinstance(caught.value, AimlSttError) and isinstance(caught.value, ValueError)
    assert render(transcript, "txt") == MEETING_TEXT + "\n"


def test_microsoft_duration_is_the_billed_seconds(jobs) -> None:
    job = jobs["microsoft"]
    assert job.transcript().duration_seconds == job.result["usage"]["seconds"]
    assert to_transcript(job.result).family is ModelFamily.OPENAI  # the shape alone cannot tell


@pytest.mark.parametrize("name", list(JOBS))
def test_json_reads_back_as_the_same_transcript(jobs, name) -> None:
    transcript = jobs[name].transcript()
    text = render(transcript, "json")
    assert Transcript.model_validate_json(text) == transcript
    assert json.loads(text)["has_word_timings"] is transcript.has_word_timings


@pytest.mark.parametrize("name", TIMED_JOBS)
@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_hold_every_word_once_in_order_within_the_limits(jobs, name, fmt) -> None:
    transcript = jobs[name].transcript()
    cues = (parse_srt if fmt == "srt" else parse_vtt)(render(transcript, fmt))
    groups = match_words(cues, words_in_time_order(transcript))
    for cue, words in zip(cues, groups, strict=True):
        first_start = min(word.start or 0.0 for word in words)
        last_end = max(word.end or 0.0 for word in words)
        assert abs(cue.start_ms - first_start * 1000) <= 0.5 and cue.end_ms > cue.start_ms
        assert abs(cue.end_ms - last_end * 1000) <= 0.5 or cue.end_ms == cue.start_ms + 1
        assert len(words) == 1 or (
            last_end - first_start <= 6.0 and all(len(line) <= 42 for line in cue.lines)
        )
        assert len(cue.lines) <= 2
        voices = {expected_voice(word, transcript.is_multichannel) for word in words}
        assert voices == {cue.voice}, "a cue spans a change of speaker or channel"
    starts = [cue.start_ms for cue in cues]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name", ["structured", "utterances", "stereo_utterances"])
def test_utterances_bound_the_cues(jobs, name) -> None:
    transcript = jobs[name].transcript()
    assert len(transcript.utterances) > 1
    generous = {"max_cue_seconds": 60, "max_line_chars": 200, "max_gap_seconds": None}
    cues = parse_vtt(render(transcript, "vtt", **generous))
    # With generous limits, a cue is exactly one utterance, even where the speaker does not change.
    assert [" ".join(cue.tokens) for cue in cues] == [utterance.text for utterance in transcript.utterances]


def test_every_format_renders_every_timed_result(jobs) -> None:
    for name in TIMED_JOBS:
        transcript = jobs[name].transcript()
        for fmt in FORMATS:
            assert render(transcript, fmt).strip()


def test_a_whole_fetch_answer_is_unwrapped(jobs) -> None:
    job = jobs["aai_labels"]
    universal = {"id": job.generation_id, "status": "completed", "output": job.result, "error": None}
    from_fetch = to_transcript(universal, model=job.model)
    assert from_fetch.generation_id == job.generation_id
    assert from_fetch == job.transcript()
    legacy = to_transcript({"status": "completed", "result": jobs["plain"].result})
    # Deepgram-style results name their generation in metadata.request_id.
    assert legacy.generation_id == jobs["plain"].generation_id
