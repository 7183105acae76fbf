"""Subtitle cues on hand-made transcripts: timestamps, rounding, line and duration limits, voices."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttRenderError
from airflow_provider_aimlstt.transcripts import Word, render
from tests.transcripts.handmade import VOCABULARY, both, hms, transcript_of, words_at
from tests.transcripts.subtitles import match_words


@pytest.mark.parametrize("hours", [24, 25, 99, 100, 123])
def test_hours_past_a_day_are_not_wrapped(hours: int) -> None:
    start = hours * 3600 + 62  # hh:01:02
    words = [Word(text="late", start=start + 0.003, end=start + 0.5)]
    srt = render(transcript_of(words), "srt")
    vtt = render(transcript_of(words), "vtt")
    assert f"{hms(start)},003 --> {hms(start)},500" in srt
    assert f"{hms(start)}.003 --> {hms(start)}.500" in vtt
    assert hms(start).startswith(f"{hours}:01:02") or hours < 10
    for _, cues in both(transcript_of(words)):
        assert cues[0].start_ms == start * 1000 + 3


@pytest.mark.parametrize(
    ("start", "end", "start_ms", "end_ms"),
    [
        (1.0005, 1.2, 1001, 1200),  # half a millisecond rounds up, even where the float is just below
        (2.0004, 2.0004, 2000, 2001),  # a word of no length still gets a cue that ends after it starts
        (0.9996, 1.0004, 1000, 1001),  # both ends round to the same millisecond
        (3.0, 2.5, 3000, 3001),  # an end before the start (bad data) is not written as such
        (-0.2, 0.1, 0, 100),  # no negative time
    ],
)
def test_millisecond_rounding(start: float, end: float, start_ms: int, end_ms: int) -> None:
    for _, cues in both(transcript_of([Word(text="word", start=start, end=end)])):
        assert (cues[0].start_ms, cues[0].end_ms) == (start_ms, end_ms)


def test_rounding_never_makes_a_cue_end_before_it_starts() -> None:
    rng = random.Random(7)
    cursor, words = 0.0, []
    for index in range(400):
        cursor += rng.choice([0.0, 0.0004, 0.0005, 0.0011, 0.3])
        words.append(
            Word(text=f"w{index}", start=cursor, end=cursor + rng.choice([0.0, 0.0003, 0.0006, 0.2]))
        )
    for _, cues in both(transcript_of(words)):
        match_words(cues, words)
        assert all(cue.end_ms > cue.start_ms for cue in cues)


@pytest.mark.parametrize("width", [16, 30, 42, 60])
@pytest.mark.parametrize("max_lines", [1, 2, 3])
def test_lines_respect_the_width_and_cues_are_not_split_early(width: int, max_lines: int) -> None:
    rng = random.Random(width * 10 + max_lines)
    words = words_at([rng.choice(VOCABULARY) for _ in range(300)], length=0.2, pause=0.05)
    options = {"max_line_chars": width, "max_lines": max_lines, "max_cue_seconds": 1000.0}
    for _, cues in both(transcript_of(words), **options):
        groups = match_words(cues, words)
        for cue in cues:
            assert len(cue.lines) <= max_lines
            assert all(len(line) <= width for line in cue.lines) or len(cue.tokens) == 1
        for cue, following in pairwise(cues):
            # Had the next word fitted on the cue's (single) line, it would have joined the cue.
            assert len(" ".join([*cue.tokens, following.tokens[0]])) > width
        assert len(groups) == len(cues)


def test_a_word_longer_than_a_line_gets_a_cue_of_its_own() -> None:
    long_word = "pneumonoultramicroscopicsilicovolcanoconiosis-and-more"
    words = words_at(["the", "word", "is", long_word, "said", "twice"])
    for _, cues in both(transcript_of(words)):
        groups = match_words(cues, words)
        holding = [group for group in groups if any(word.text == long_word for word in group)]
        assert len(holding) == 1 and len(holding[0]) == 1
        assert all(len(line) <= 42 for cue in cues for line in cue.lines if long_word not in line)


@pytest.mark.parametrize("limit", [1.0, 2.5, 6.0])
def test_cues_are_no_longer_than_the_limit(limit: float) -> None:
    words = words_at(["a"] * 80, length=0.4, pause=0.1)  # 40 seconds of short words
    for _, cues in both(transcript_of(words), max_cue_seconds=limit, max_line_chars=500):
        groups = match_words(cues, words)
        for cue, group, following in zip(cues, groups, [*groups[1:], None], strict=True):
            assert cue.end_ms - cue.start_ms <= limit * 1000
            if following:  # the next word would have made the cue too long
                assert (following[0].end or 0) - (group[0].start or 0) > limit


def test_the_default_cue_limit_is_six_seconds() -> None:
    words = words_at(["a"] * 80, length=0.4, pause=0.1)
    for _, cues in both(transcript_of(words), max_line_chars=500):
        assert max(cue.end_ms - cue.start_ms for cue in cues) == 5900  # 12 words of 0.5 s, less a pause


def test_a_long_silence_starts_a_new_cue_unless_allowed() -> None:
    words = [*words_at(["before", "the"]), *words_at(["pause", "ends"], start=5.0)]
    for _, cues in both(transcript_of(words)):
        assert [cue.tokens for cue in cues] == [["before", "the"], ["pause", "ends"]]
    for _, cues in both(transcript_of(words), max_gap_seconds=None, max_cue_seconds=10):
        assert len(cues) == 1


def test_a_change_of_speaker_starts_a_new_cue() -> None:
    speakers = ["A", "A", "B", "A", "A", "A", "B", "B", "C"]
    words = words_at([f"w{index}" for index in range(len(speakers))], speakers=speakers)
    turns = 1 + sum(1 for before, after in pairwise(speakers) if before != after)
    transcript = transcript_of(words)
    for fmt, cues in both(transcript):
        groups = match_words(cues, words)
        assert len(cues) == turns
        for cue, group in zip(cues, groups, strict=True):
            assert {f"Speaker {word.speaker}" for word in group} == {cue.voice}
        marker = "[Speaker A] w0" if fmt == "srt" else "<v Speaker A>w0"
        assert marker in render(transcript, fmt)
    for _, cues in both(transcript, speaker_labels=False):
        match_words(cues, words)
        assert len(cues) == turns and all(cue.voice is None for cue in cues)


def test_channels_of_a_multichannel_transcript_may_overlap() -> None:
    left = words_at(["hello", "there", "friend"], start=0.0, channel=0)
    right = words_at(["yes", "hi"], start=0.2, channel=1)
    merged = sorted([*left, *right], key=lambda word: word.start or 0.0)
    channels = [
        {"channel": index, "text": " ".join(w.text for w in own), "words": own}
        for index, own in enumerate([left, right])
    ]
    transcript = transcript_of(merged, channels=channels)
    for _, cues in both(transcript):
        assert [cue.start_ms for cue in cues] == sorted(cue.start_ms for cue in cues)
        for channel, own in enumerate([left, right]):
            mine = [cue for cue in cues if cue.voice == f"Channel {channel}"]
            assert [token for cue in mine for token in cue.tokens] == [word.text for word in own]
    assert render(transcript, "txt").splitlines()[0].startswith("Channel 0: hello")


def test_words_missing_some_times_are_not_timed() -> None:
    words = [*words_at(["one", "two"]), Word(text="three", start=1.0)]
    transcript = transcript_of(words)
    assert not transcript.has_word_timings
    with pytest.raises(AimlSttRenderError, match="gen-hand-made"):
        render(transcript, "vtt")


@pytest.mark.parametrize(
    "options",
    [{"max_line_chars": 0}, {"max_lines": 0}, {"max_cue_seconds": 0}, {"max_gap_seconds": -1}],
)
def test_impossible_cue_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(AimlSttRenderError, match=next(iter(options))):
        render(transcript_of(words_at(["x"])), "srt", **options)  # type: ignore[arg-type]
