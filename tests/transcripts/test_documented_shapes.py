"""Every result shape the API's documentation shows must normalize.

The documented examples are read from the reference folder when it is present (the tests that
need it are skipped otherwise), and the shapes the schemas allow but no example shows (channels
as an object, paragraphs as a list) are built from the schemas themselves. A few small shapes are
written out here so that they are checked even without the reference folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttResponseError
from airflow_provider_aimlstt.models import ModelFamily
from airflow_provider_aimlstt.transcripts import FORMATS, Transcript, render, to_transcript
from tests.transcripts.subtitles import match_words, parse_srt

REFERENCE = Path("/work/shared/reference/aimlapi-stt")
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason="the API reference folder is absent")
EXAMPLE_PAGES = [
    "upstream/speech-models__speech-to-text__assembly-ai__slam-1.md",
    "upstream/speech-models__speech-to-text__assembly-ai__universal.md",
    "upstream/speech-models__speech-to-text__deepgram__nova-3.md",
    "upstream/speech-models__speech-to-text__openai__gpt-4o-transcribe.md",
    "upstream/speech-models__speech-to-text__microsoft__mai-transcribe-1.5.md",
]


def documented_results(page: Path) -> list[dict[str, Any]]:
    """The JSON objects printed after ``Processing complete:`` in a page's example responses."""
    text, decoder, found = page.read_text(encoding="utf-8"), json.JSONDecoder(), []
    for marker in re.finditer(r"Processing complete:(\\n|\s)*", text):
        if text.startswith("{", marker.end()):
            found.append(decoder.raw_decode(text, marker.end())[0])
    return found


def example_of(schema: dict[str, Any], name: str = "") -> Any:
    """One instance of a JSON schema: every property present, one item per list, a given number."""
    if "anyOf" in schema:
        return example_of(schema["anyOf"][0], name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {key: example_of(value, key) for key, value in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), name)]
    return {"string": f"{name}-text", "number": 1.25, "integer": 2, "boolean": True}.get(str(kind))


def result_schemas() -> list[dict[str, Any]]:
    """The result/output schemas of both fetch operations the reference describes."""
    legacy = json.loads((REFERENCE / "openapi.json").read_text(encoding="utf-8"))
    fetch = legacy["components"]["schemas"]["Voice.v1.SpeechToTextGetResponseDTO"]
    universal = json.loads((REFERENCE / "upstream/speech-models__universal-stt-fetch.json").read_text())
    responses = universal["paths"]["/stt/{generation_id}"]["get"]["responses"]
    output = responses["200"]["content"]["application/json"]["schema"]["properties"]["output"]
    return [fetch["properties"]["result"], *output["anyOf"]]


def check_renders(transcript: Transcript) -> None:
    """Every format renders; subtitles hold every word once when there are timings."""
    for fmt in FORMATS:
        if fmt in ("srt", "vtt") and not transcript.has_word_timings:
            continue
        assert render(transcript, fmt) is not None
    if transcript.has_word_timings:
        match_words(parse_srt(render(transcript, "srt")), list(transcript.words))


@needs_reference
@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_documented_example_results_normalize(page: str) -> None:
    results = documented_results(REFERENCE / page)
    assert results, f"no example result found in {page}"
    for body in results:
        result = body.get("result", body)
        transcript = to_transcript(body)
        check_renders(transcript)
        if "words" in result:  # AssemblyAI: milliseconds
            assert transcript.family is ModelFamily.ASSEMBLYAI and transcript.text == result["text"]
            assert [(w.text, w.start) for w in transcript.words] == [
                (w["text"], w["start"] / 1000) for w in result["words"]
            ]
            assert transcript.duration_seconds == result["audio_duration"]
        elif "results" in result:  # Deepgram-style, shown as a whole fetch answer
            alternative = result["results"]["channels"][0]["alternatives"][0]
            assert transcript.text == alternative["transcript"]
            assert [(w.text, w.start, w.speaker) for w in transcript.words] == [
                (w["punctuated_word"], w["start"], str(w["speaker"])) for w in alternative["words"]
            ]
            assert transcript.generation_id == result["metadata"]["request_id"]
        else:
            assert transcript.text == result["text"] and not transcript.has_word_timings


@needs_reference
def test_every_schema_shape_normalizes() -> None:
    schemas = result_schemas()
    assert len(schemas) == 4  # Deepgram (legacy page), then Deepgram, AssemblyAI and OpenAI (universal)
    families = []
    for schema in schemas:
        result = example_of(schema)
        transcript = to_transcript(result)
        families.append(transcript.family)
        check_renders(transcript)
        if transcript.family is ModelFamily.DEEPGRAM:
            # The schema types results.channels as an object and paragraphs as a list of objects.
            assert isinstance(result["results"]["channels"], dict)
            assert transcript.text == "transcript-text" and transcript.words[0].start == 1.25
            assert [paragraph.text for paragraph in transcript.paragraphs] == ["text-text"]
        elif transcript.family is ModelFamily.ASSEMBLYAI:
            assert transcript.words[0].start == 1.25 / 1000 and transcript.words[0].speaker == "speaker-text"
            assert transcript.utterances[0].words[0].end == 1.25 / 1000
        else:
            assert transcript.text == "text-text" and transcript.words == ()
    assert families == [
        ModelFamily.DEEPGRAM,
        ModelFamily.DEEPGRAM,
        ModelFamily.ASSEMBLYAI,
        ModelFamily.OPENAI,
    ]


def test_deepgram_channels_as_an_object_and_paragraphs_as_a_list() -> None:
    result = {
        "metadata": {"request_id": "req-1", "duration": 2.0, "channels": 1},
        "results": {
            "channels": {
                "alternatives": [
                    {
                        "transcript": "hi you",
                        "words": [
                            {"word": "hi", "start": 0.1, "end": 0.3, "confidence": 0.9},
                            {"word": "you", "start": 0.4, "end": 0.6, "confidence": 0.8},
                        ],
                        "paragraphs": [
                            {
                                "transcript": "\nhi you\n",
                                "paragraphs": {
                                    "sentences": [{"text": "hi you", "start": 0.1, "end": 0.6}],
                                    "num_words": 2,
                                    "start": 0.1,
                                    "end": 0.6,
                                },
                            }
                        ],
                    }
                ]
            }
        },
    }
    transcript = to_transcript(result, model="#g1_whisper-medium")
    assert transcript.text == "hi you" and [w.text for w in transcript.words] == ["hi", "you"]
    assert transcript.generation_id == "req-1" and transcript.duration_seconds == 2.0
    assert [(p.text, p.start, p.end) for p in transcript.paragraphs] == [("hi you", 0.1, 0.6)]
    assert transcript.channels == () and transcript.words[0].channel is None


def test_deepgram_paragraphs_without_sentences_keep_their_times() -> None:
    paragraphs = {
        "transcript": "\nhi\n",
        "paragraphs": [{"start": 0.5, "end": 0.9, "num_words": 1}, {"x": 1}],
    }
    alternative = {"transcript": "hi", "words": [], "paragraphs": paragraphs}
    result = {"metadata": {}, "results": {"channels": [{"alternatives": [alternative]}]}}
    assert [(p.text, p.start, p.end) for p in to_transcript(result).paragraphs] == [("", 0.5, 0.9)]


def test_deepgram_without_results_is_an_empty_transcript() -> None:
    transcript = to_transcript({"metadata": {"duration": 1.5}, "results": None})
    assert transcript.text == "" and transcript.words == () and transcript.duration_seconds == 1.5
    assert render(transcript, "srt") == ""


def test_assemblyai_multichannel_words_keep_their_channels() -> None:
    def word(text: str, start: int, channel: str) -> dict[str, Any]:
        return {"text": text, "start": start, "end": start + 300, "confidence": 0.9, "channel": channel}

    result = {
        "text": "Hello. Hi there.",
        "words": [word("Hello.", 0, "1"), word("Hi", 200, "2"), word("there.", 600, "2")],
        "utterances": None,
        "audio_duration": 2,
        "multichannel": True,
    }
    transcript = to_transcript(result, model="aai/universal")
    assert [channel.channel for channel in transcript.channels] == [0, 1]
    assert [channel.text for channel in transcript.channels] == ["Hello.", "Hi there."]
    assert [(w.text, w.channel) for w in transcript.words] == [("Hello.", 0), ("Hi", 1), ("there.", 1)]
    assert transcript.text.splitlines() == ["Hello.", "Hi there."]
    assert transcript.utterances == ()


def test_multichannel_text_reads_the_channels_in_time_order() -> None:
    def channel(*words: tuple[str, float]) -> dict[str, Any]:
        body = [
            {"word": text.lower(), "punctuated_word": text, "start": at, "end": at + 0.5}
            for text, at in words
        ]
        return {"alternatives": [{"transcript": " ".join(text for text, _ in words), "words": body}]}

    result = {
        "metadata": {"channels": 2},
        "results": {"channels": [channel(("Hello.", 0.0), ("Bye.", 2.0)), channel(("Hi.", 1.0))]},
    }
    transcript = to_transcript(result)
    assert transcript.text.splitlines() == ["Hello.", "Hi.", "Bye."]
    assert [(w.text, w.channel) for w in transcript.words] == [("Hello.", 0), ("Hi.", 1), ("Bye.", 0)]
    assert [channel.text for channel in transcript.channels] == ["Hello. Bye.", "Hi."]
    assert render(transcript, "txt") == "Channel 0: Hello.\nChannel 1: Hi.\nChannel 0: Bye.\n"


@pytest.mark.parametrize(
    ("result", "model", "family", "duration"),
    [
        ({"text": "He said so.", "usage": {"type": "tokens", "total_tokens": 9}}, None, "openai", None),
        ({"text": "He said so.", "usage": {"seconds": 11, "cost": 0.0011}}, "microsoft/mai-transcribe-1.5",
         "microsoft", 11.0),
    ],
)  # fmt: skip
def test_text_only_shapes(
    result: dict[str, Any], model: str | None, family: str, duration: float | None
) -> None:
    transcript = to_transcript(result, model=model)
    assert transcript.family.value == family and transcript.duration_seconds == duration
    assert transcript.text == "He said so." and transcript.word_count == 3 and not transcript.has_word_timings


@pytest.mark.parametrize(
    "body",
    [
        ["not", "an", "object"],
        {"status": "generating", "result": None},
        {"id": "gen-9", "status": "error", "output": None, "error": {"name": "Boom", "message": "bad audio"}},
    ],
)
def test_what_is_not_a_result_is_refused(body: Any) -> None:
    with pytest.raises(AimlSttResponseError) as caught:
        to_transcript(body)
    if isinstance(body, dict) and body.get("id"):
        assert "gen-9" in str(caught.value) and "bad audio" in str(caught.value)


def test_words_in_an_openai_result_are_not_read_as_assemblyai_milliseconds() -> None:
    from airflow_provider_aimlstt.models.families import ModelFamily
    from airflow_provider_aimlstt.transcripts import to_transcript

    result = {
        "text": "hi there",
        "words": [{"word": "hi", "start": 0.0, "end": 0.4}, {"word": "there", "start": 0.5, "end": 0.9}],
        "usage": {"type": "duration", "seconds": 1},
    }
    transcript = to_transcript(result, model="openai/gpt-4o-transcribe")
    assert transcript.family is ModelFamily.OPENAI
    assert transcript.text == "hi there" and not transcript.has_word_timings
