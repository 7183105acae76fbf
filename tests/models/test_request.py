"""Every bad input gets an error that names the field; good inputs of every family pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.models import KNOWN_MODELS, ModelFamily, TranscriptionRequest, family_of


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "speech.wav"
    path.write_bytes(b"RIFF....WAVE" + b"\0" * 100)
    return path


def _error(**fields: object) -> str:
    """The error of a request and its audio checked, as the operators do before any request."""
    with pytest.raises(AimlSttValidationError) as raised:
        AudioSource.of(TranscriptionRequest.build(**fields)).checked()
    return str(raised.value)


GOOD_URL = "https://example.org/a.mp3"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"model": "whisper-9", "audio_url": GOOD_URL},
            "model: unknown model 'whisper-9'; known models: #g1_nova",
        ),
        ({"model": "", "audio_url": GOOD_URL}, "model: String should have at least 1 character"),
        ({"model": 7, "audio_url": GOOD_URL}, "model: Input should be a valid string"),
        ({"model": "aai/universal "}, "model: must not start or end with white space"),
        (
            {"model": "aai/universal"},
            "audio_url / audio_path: give exactly one audio source (neither was given)",
        ),
        ({"model": "aai/universal", "audio_url": GOOD_URL, "audio_path": "x.wav"}, "(both were given)"),
        (
            {"model": "aai/universal", "audio_url": "ftp://example.org/a.mp3"},
            "audio_url: must be an http:// or",
        ),
        ({"model": "aai/universal", "audio_url": "example.org/a.mp3"}, "audio_url: must be an http:// or"),
        ({"model": "aai/universal", "audio_url": "file:///etc/passwd"}, "audio_url: must be an http:// or"),
        ({"model": "aai/universal", "audio_path": "  "}, "audio_path: must not be empty"),
        (
            {"model": "#g1_nova-2-general", "audio_url": GOOD_URL, "options": {"diarize": "yes"}},
            "options.diarize: Input should be a valid boolean (got 'yes')",
        ),
        (
            {"model": "#g1_nova-2-general", "audio_url": GOOD_URL, "options": {"utt_split": "1.5"}},
            "options.utt_split: Input should be a valid number",
        ),
        (
            {"model": "#g1_nova-2-general", "audio_url": GOOD_URL, "options": {"speaker_labels": True}},
            "options.speaker_labels: not an option of #g1_nova-2-general (its options: custom_intent, ",
        ),
        (
            {"model": "#g1_nova-2-general", "audio_url": GOOD_URL, "options": {"speaker_labels": True}},
            "utt_split); speaker_labels is an option of aai/slam-1, aai/universal, slam-1",
        ),
        (
            {"model": "aai/universal", "audio_url": GOOD_URL, "options": {"diarize": True}},
            "options.diarize: not an option of aai/universal (its options: audio_start_from, ",
        ),
        (
            {"model": "aai/universal", "audio_url": GOOD_URL, "options": {"diarize": True}},
            "; diarize is an option of #g1_nova-2-automotive, ",
        ),
        (
            {"model": "openai/gpt-4o-transcribe", "audio_url": GOOD_URL, "options": {"temperature": 3}},
            "options.temperature: Input should be less than or equal to 1",
        ),
        (
            {"model": "microsoft/mai-transcribe-1.5", "audio_url": GOOD_URL, "options": {"language": "en"}},
            "options.language: not an option of microsoft/mai-transcribe-1.5 (its options: max_tokens, "
            "temperature, top_p, max_completion_tokens); "
            "language is an option of #g1_nova-2-automotive, ",
        ),
        (
            {"model": "aai/universal", "audio_url": GOOD_URL, "options": "diarize"},
            "options: Input should be a valid",
        ),
        (
            {"model": "aai/universal", "audio_url": GOOD_URL, "color": "red"},
            "color: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_input_names_the_field(fields: dict, expected: str) -> None:
    message = _error(**fields)
    assert message.startswith("Invalid transcription request:")
    assert expected in message


def test_all_problems_are_reported_together() -> None:
    message = _error(model="nope", audio_url="ftp://x", options={"a": 1})
    assert "audio_url:" in message and "model: unknown model 'nope'" in message


def test_missing_empty_unreadable_and_oversized_files(wav: Path, tmp_path: Path) -> None:
    missing = _error(model="aai/universal", audio_path="/no/such/file.wav")
    assert missing == "audio_path: no such file: '/no/such/file.wav'"
    assert _error(model="aai/universal", audio_path="/").startswith("audio_path: is a directory, not a file")
    assert _error(model="aai/universal", audio_path="file:///no/such.wav").startswith(
        "audio_path: no such file"
    )
    empty = tmp_path / "empty.wav"
    empty.touch()
    assert "audio_path: file is empty" in _error(model="aai/universal", audio_path=str(empty))
    message = _error(model="aai/universal", audio_path=str(wav), max_upload_bytes=10)
    assert "audio_path: file is 112 bytes, over the limit of 10 bytes" in message
    if os.geteuid() != 0:  # root reads everything
        wav.chmod(0)
        assert "audio_path: file is not readable" in _error(model="aai/universal", audio_path=str(wav))


def test_unknown_model_passes_only_when_allowed_with_plain_option_values() -> None:
    # No schema describes a model the registry lacks, and the models of one family differ in their
    # options, so any name is taken; only values a JSON body and a form both carry are.
    request = TranscriptionRequest.build(
        model="aai/universal-2",
        audio_url=GOOD_URL,
        allow_unknown_model=True,
        options={"speaker_labels": True, "diarize": True, "word_boost": ["a", "b"], "ratio": 0.5},
    )
    assert request.family is ModelFamily.ASSEMBLYAI and request.upload_field == "audio"
    openai = TranscriptionRequest.build(
        model="openai/gpt-5-transcribe", audio_url=GOOD_URL, allow_unknown_model=True
    )
    assert openai.upload_field == "file"
    free = TranscriptionRequest.build(
        model="acme/ears-1", audio_url=GOOD_URL, allow_unknown_model=True, options={"beam": 5, "tags": ["a"]}
    )
    assert free.family is None and free.upload_field == "audio"
    nested = _error(
        model="acme/ears-1",
        audio_url=GOOD_URL,
        allow_unknown_model=True,
        options={"x": {"y": 1}, "z": [[1]], "nan": float("nan"), "ok": None},
    )
    for name in ("x", "z", "nan"):
        assert f"options.{name}: must be a string, number, boolean, null or a list of those" in nested
    assert "options.ok" not in nested
    refused = _error(model="aai/universal-2", audio_url=GOOD_URL, options={"diarize": True})
    assert "model: unknown model 'aai/universal-2'" in refused


@pytest.mark.parametrize("model", sorted(KNOWN_MODELS))
def test_every_known_model_builds_from_a_url_and_a_file(model: str, wav: Path) -> None:
    assert TranscriptionRequest.build(model=model, audio_url=GOOD_URL).model == model
    request = TranscriptionRequest.build(model=model, audio_path=str(wav))
    assert request.upload_field == ("file" if model.startswith("openai/") else "audio")


def test_family_rules_for_ids_the_registry_does_not_list() -> None:
    assert family_of("#g1_nova-2-legal") is ModelFamily.DEEPGRAM
    assert family_of("nova-3-legal") is ModelFamily.DEEPGRAM
    assert family_of("whisper-turbo") is ModelFamily.DEEPGRAM
    assert family_of("openai/gpt-5-transcribe") is ModelFamily.OPENAI
    assert family_of("acme/ears-1") is None


def test_typical_options_of_each_family_pass(wav: Path) -> None:
    TranscriptionRequest.build(
        model="#g1_whisper-large",
        audio_url=GOOD_URL,
        options={"diarize": True, "custom_topic": ["a", "b"], "custom_topic_mode": "strict", "utt_split": 1},
    )
    TranscriptionRequest.build(
        model="aai/slam-1",
        audio_path=str(wav),
        options={
            "speaker_labels": True,
            "speakers_expected": 2,
            "word_boost": ["Airflow"],
            "boost_param": "high",
        },
    )
    TranscriptionRequest.build(
        model="openai/gpt-4o-mini-transcribe",
        audio_url=GOOD_URL,
        options={"language": "en", "temperature": 0},
    )
