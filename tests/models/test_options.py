"""Each model takes the options of its own create schema, strictly, and nothing else."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from airflow_provider_aimlstt import models
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.models import (
    KNOWN_MODELS,
    ModelFamily,
    TranscriptionRequest,
    models_with_option,
    option_names,
    options_class_for,
    upload_field_of,
)
from airflow_provider_aimlstt.models import options as generated

URL = "https://example.org/a.mp3"
NEW_IDS = (
    "slam-1",
    "nova-2-general",
    "nova-3-general",
    "nova-3-medical",
    "whisper-base",
    "whisper-large",
    "whisper-medium",
    "whisper-small",
    "whisper-tiny",
)
NOVA_3 = ("nova-3", "nova-3-general", "nova-3-medical")


def _build(model: str, **options: Any) -> TranscriptionRequest:
    return TranscriptionRequest.build(model=model, audio_url=URL, options=options)


def _problems(model: str, **options: Any) -> list[str]:
    """The lines of the error, without the heading and the bullets."""
    with pytest.raises(AimlSttValidationError) as raised:
        _build(model, **options)
    heading, *lines = str(raised.value).splitlines()
    assert heading == "Invalid transcription request:"
    return [line.removeprefix("  - ") for line in lines]


@pytest.mark.parametrize("model", NEW_IDS)
def test_the_ids_of_the_official_schemas_are_known(model: str) -> None:
    assert _build(model).model == model
    assert options_class_for(model) is not None


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("slam-1", ModelFamily.ASSEMBLYAI),
        ("nova-2-general", ModelFamily.DEEPGRAM),
        ("nova-3-medical", ModelFamily.DEEPGRAM),
        ("whisper-tiny", ModelFamily.DEEPGRAM),
    ],
)
def test_the_new_ids_have_their_family(model: str, family: ModelFamily) -> None:
    assert _build(model).family is family


@pytest.mark.parametrize("model", NOVA_3)
def test_nova_3_takes_its_own_options_in_every_form(model: str) -> None:
    scalars = {
        "multichannel": True,
        "keyterm": "Airflow",
        "redact": "pii",
        "replace": "colour:color",
        "encoding": "linear16",
        "version": "latest",
        "mip_opt_out": True,
        "detect_language": True,
        "tag": "nightly",
        "extra": "team:data",
        "summarize": "v2",
        "search": "deadline",
    }
    lists = {
        "keyterm": ["Airflow", "DAG"],
        "redact": ["pii", "pci"],
        "replace": ["a:b"],
        "detect_language": ["en", "de"],
        "tag": ["a", "b"],
        "extra": ["k:v"],
        "summarize": False,
        "search": ["a", "b"],
    }
    assert _build(model, **scalars).api_options() == scalars
    assert _build(model, **lists).api_options() == lists


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"multichannel": "true"}, "options.multichannel: Input should be a valid boolean (got 'true')"),
        (
            {"detect_language": "en"},
            "options.detect_language: Input should be a list of strings or a boolean (got 'en')",
        ),
        (
            {"detect_language": ["en", 1]},
            "options.detect_language: Input should be a list of strings or a boolean (got ['en', 1])",
        ),
        ({"keyterm": 5}, "options.keyterm: Input should be a string or a list of strings (got 5)"),
        ({"tag": {"a": 1}}, "options.tag: Input should be a string or a list of strings (got {'a': 1})"),
        ({"redact": True}, "options.redact: Input should be a string or a list of strings (got True)"),
        ({"replace": ["a", None]}, "options.replace: Input should be a string or a list of strings"),
        ({"extra": 1.5}, "options.extra: Input should be a string or a list of strings (got 1.5)"),
        ({"summarize": 1}, "options.summarize: Input should be a string or a boolean (got 1)"),
        ({"encoding": "mp3"}, "options.encoding: Input should be 'linear16', 'flac', 'mulaw'"),
        ({"version": 3}, "options.version: Input should be a valid string (got 3)"),
        ({"mip_opt_out": 0}, "options.mip_opt_out: Input should be a valid boolean (got 0)"),
    ],
)
def test_nova_3_refuses_a_wrong_type_naming_the_option(options: dict[str, Any], problem: str) -> None:
    (line,) = _problems("nova-3", **options)
    assert line.startswith(problem)


def test_a_nova_2_option_on_nova_3_names_the_models_that_have_it() -> None:
    (line,) = _problems("nova-3", multi_channel=True)
    head, hint = line.split("; ")
    assert head.startswith("options.multi_channel: not an option of nova-3 (its options: language, ")
    assert ", multichannel, " in head
    nova_2 = [model for model, family in KNOWN_MODELS.items() if "nova-2" in model or "whisper" in model]
    assert hint == f"multi_channel is an option of {', '.join(nova_2)}"
    assert "nova-3" not in hint


def test_a_nova_3_option_on_nova_2_names_the_nova_3_models() -> None:
    (line,) = _problems("nova-2-general", keyterm=["Airflow"])
    assert line.startswith("options.keyterm: not an option of nova-2-general (its options: custom_intent, ")
    assert line.endswith("); keyterm is an option of nova-3, nova-3-general, nova-3-medical")


def test_an_option_no_model_has_gets_no_hint() -> None:
    (line,) = _problems("whisper-small", colour="red")
    assert line.startswith("options.colour: not an option of whisper-small (its options: custom_intent")
    assert line.endswith("utt_split)")


@pytest.mark.parametrize("model", ["aai/universal", "aai/slam-1", "slam-1"])
def test_assemblyai_custom_spelling_and_redacted_audio_quality(model: str) -> None:
    spelling = [{"from": "air flow", "to": "Airflow"}, {"from": "dag", "to": "DAG"}]
    options = {"custom_spelling": spelling, "redact_pii_audio": True, "redact_pii_audio_quality": "wav"}
    assert _build(model, **options).api_options() == options
    assert _problems(model, custom_spelling=[{"from": "a"}, {"from": "b", "to": 2}, "c"]) == [
        "options.custom_spelling.0.to: Field required (got {'from': 'a'})",
        "options.custom_spelling.1.to: Input should be a valid string (got 2)",
        "options.custom_spelling.2: Input should be a valid dictionary or instance of "
        "AssemblyAISlam1CustomSpellingItem (got 'c')",
    ]
    assert _problems(model, custom_spelling=[{"from": "a", "to": "b", "too": "c"}]) == [
        "options.custom_spelling.0.too: Extra inputs are not permitted (got 'c')"
    ]
    assert _problems(model, custom_spelling={"from": "a", "to": "b"})[0].startswith(
        "options.custom_spelling: Input should be a valid list"
    )
    assert _problems(model, redact_pii_audio_quality="ogg") == [
        "options.redact_pii_audio_quality: Input should be 'mp3' or 'wav' (got 'ogg')"
    ]


def test_assemblyai_options_the_schema_lacks_are_refused() -> None:
    lines = _problems("aai/universal", keyterms_prompt=["a"], custom_topics=True)
    assert [line.split(" (")[0] for line in lines] == [
        "options.keyterms_prompt: not an option of aai/universal",
        "options.custom_topics: not an option of aai/universal",
    ]


@pytest.mark.parametrize(
    ("model", "options", "problem"),
    [
        ("nova-3", {"diarize": "true"}, "options.diarize: Input should be a valid boolean (got 'true')"),
        ("whisper-base", {"punctuate": "true"}, "options.punctuate: Input should be a valid boolean"),
        ("#g1_whisper-tiny", {"diarize": 1}, "options.diarize: Input should be a valid boolean (got 1)"),
        ("slam-1", {"speakers_expected": 2.0}, "options.speakers_expected: Input should be a valid integer"),
        ("slam-1", {"speakers_expected": True}, "options.speakers_expected: Input should be a valid integer"),
        ("slam-1", {"speakers_expected": "2"}, "options.speakers_expected: Input should be a valid integer"),
        ("aai/universal", {"speech_threshold": 1.5}, "options.speech_threshold: Input should be less than"),
        ("nova-2-general", {"utt_split": True}, "options.utt_split: Input should be a valid number"),
        (
            "openai/gpt-4o-transcribe",
            {"temperature": float("nan")},
            "options.temperature: Input should be a fin",
        ),
        (
            "openai/gpt-4o-transcribe",
            {"temperature": "0"},
            "options.temperature: Input should be a valid number",
        ),
        ("aai/universal", {"word_boost": "Airflow"}, "options.word_boost: Input should be a valid list"),
        ("aai/universal", {"redact_pii_policies": ["pin"]}, "options.redact_pii_policies.0: Input should be"),
    ],
)
def test_types_are_strict(model: str, options: dict[str, Any], problem: str) -> None:
    (line,) = _problems(model, **options)
    assert line.startswith(problem)


def test_numbers_take_integers_and_none_means_not_sent() -> None:
    request = _build("openai/gpt-4o-mini-transcribe", temperature=1, language=None)
    assert request.api_options() == {"temperature": 1}


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("openai/gpt-4o-transcribe", "file"),
        ("openai/gpt-4o-mini-transcribe", "file"),
        ("#g1_whisper-medium", "audio"),  # its schema names no upload field: the family's
        ("whisper-medium", "audio"),
        ("nova-3-general", "audio"),
        ("slam-1", "audio"),
        ("microsoft/mai-transcribe-1.5", "audio"),
    ],
)
def test_the_upload_field_is_the_schemas(model: str, field: str) -> None:
    assert _build(model).upload_field == field == upload_field_of(model)


def test_lookups() -> None:
    assert options_class_for("acme/ears-1") is None
    assert (
        options_class_for("nova-3")
        is options_class_for("nova-3-medical")
        is not options_class_for("nova-2-general")
    )
    assert options_class_for("whisper-tiny") is options_class_for("#g1_nova-2-video")
    assert options_class_for("#g1_whisper-small") is options_class_for("#g1_whisper-large")
    assert (
        options_class_for("aai/slam-1") is options_class_for("slam-1") is options_class_for("aai/universal")
    )
    assert models_with_option("keyterm") == list(NOVA_3)
    assert models_with_option("no such option") == []
    assert option_names(generated.AssemblyAISlam1CustomSpellingItem) == ["from", "to"]
    assert option_names(generated.MicrosoftMaiTranscribe15Options) == [
        "max_tokens", "temperature", "top_p", "max_completion_tokens"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "name", ["DeepgramOptions", "AssemblyAIOptions", "OpenAIOptions", "MicrosoftOptions", "OPTIONS_BY_FAMILY"]
)
def test_the_old_per_family_names_are_gone(name: str) -> None:
    """Options differ per model, not per family: the old names were removed before the first release."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match=name):
            getattr(models, name)
        with pytest.raises(ImportError, match=name):
            exec(f"from airflow_provider_aimlstt.models.families import {name} as found", {})


def test_an_unknown_name_is_an_attribute_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute 'NovaOptions'"):
            models.NovaOptions  # noqa: B018
