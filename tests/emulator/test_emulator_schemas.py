"""The model catalog and option validation, read from the API's official create schemas (api_schemas/create).

The expected values are read straight from the JSON files, not through the emulator's catalog, so
that a catalog that misreads a page fails here.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from aimlstt_emulator.catalog import (
    ALIASES,
    MODEL_FAMILIES,
    MODEL_PAGES,
    NOT_OPTIONS,
    Family,
    option_schema,
    page_family,
)
from aimlstt_emulator.validation import check_options, coerce_form_value, describe_schema
from airflow_provider_aimlstt.models import KNOWN_MODELS

CREATE_FOLDER = resources.files("aimlstt_emulator") / "api_schemas" / "create"
URL = "https://example.com/hello.wav"
NEW_MODELS = [
    "slam-1", "nova-2-general", "nova-3-general", "nova-3-medical",
    "whisper-base", "whisper-large", "whisper-medium", "whisper-small", "whisper-tiny",
]  # fmt: skip


def page_body(document: str) -> dict:
    """The create body schema of one page, read with plain json."""
    data = json.loads((CREATE_FOLDER / document).read_text(encoding="utf-8"))
    return data["paths"]["/v1/stt/create"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def pages() -> list[str]:
    return sorted(item.name for item in CREATE_FOLDER.iterdir() if item.name.endswith(".json"))


def test_the_catalog_is_every_model_id_of_every_page_plus_the_documented_aliases() -> None:
    from_pages = {
        model: document
        for document in pages()
        for model in page_body(document)["properties"]["model"]["enum"]
    }
    assert {
        model: page.document for model, page in MODEL_PAGES.items() if page.alias_of is None
    } == from_pages
    assert ALIASES == {
        "aai/slam-1": "slam-1",
        "#g1_whisper-tiny": "#g1_whisper-large",
        "#g1_whisper-base": "#g1_whisper-large",
        "#g1_whisper-small": "#g1_whisper-large",
        "#g1_whisper-medium": "#g1_whisper-large",
    }
    for alias, target in ALIASES.items():
        assert (
            MODEL_PAGES[alias].document == from_pages[target]
            and MODEL_FAMILIES[alias] is MODEL_FAMILIES[target]
        )
    assert set(NEW_MODELS) <= set(MODEL_FAMILIES)


@pytest.mark.parametrize(
    ("document", "family"),
    [
        ("speech-models_Deepgram_nova-2.json", Family.DEEPGRAM),
        ("speech-models_Deepgram_nova-4.json", Family.DEEPGRAM),  # a page that does not exist yet
        ("speech-models_OpenAI_whisper-tiny.json", Family.DEEPGRAM),
        ("speech-models_OpenAI_g1_whisper-large.json", Family.DEEPGRAM),
        ("speech-models_OpenAI_gpt-4o-mini-transcribe.json", Family.OPENAI),
        ("speech-models_AssemblyAI_slam-1.json", Family.ASSEMBLYAI),
        ("speech-models_Microsoft_mai-transcribe-1.5.json", Family.MICROSOFT),
    ],
)
def test_a_page_gets_its_family_from_its_file_name(document, family) -> None:
    assert page_family(document) is family


def test_a_page_of_an_unknown_vendor_is_refused_naming_the_rule_table() -> None:
    with pytest.raises(ValueError, match=r"speech-models_Acme_x\.json: .*PAGE_FAMILIES"):
        page_family("speech-models_Acme_x.json")


def test_the_catalog_knows_the_models_the_provider_sends() -> None:
    assert {model: family.value for model, family in MODEL_FAMILIES.items()} == {
        model: family.value for model, family in KNOWN_MODELS.items()
    }


@pytest.mark.parametrize("model", list(MODEL_FAMILIES))
def test_each_model_has_a_closed_schema_of_its_pages_options(model) -> None:
    schema = option_schema(model)
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    page = page_body(MODEL_PAGES[model].document)["properties"]
    uploads = {name for name, prop in page.items() if prop.get("format") == "binary"}
    assert list(schema["properties"]) == [name for name in page if name not in NOT_OPTIONS | uploads]
    assert NOT_OPTIONS.isdisjoint(schema["properties"])


def test_openapi_nullable_becomes_a_json_schema_null() -> None:
    nova_2 = option_schema("#g1_nova-2-general")["properties"]
    assert nova_2["diarize"]["type"] == ["boolean", "null"] and nova_2["utt_split"]["type"] == "number"
    assert (
        option_schema("#g1_whisper-large")["properties"]["diarize"]["type"] == "boolean"
    )  # not nullable there
    detect = option_schema("nova-3")["properties"]["detect_language"]
    assert detect["anyOf"] == [{"type": "array", "items": {"type": "string"}}, {"type": ["boolean", "null"]}]
    assert all("nullable" not in json.dumps(option_schema(model)) for model in MODEL_FAMILIES)


def test_a_json_string_for_a_boolean_is_refused_naming_the_option(client) -> None:
    response = client.create_json({"model": "nova-3", "url": URL, "diarize": "yes"})
    assert response.status_code == 400
    assert response.json()["message"] == "Body validation error!\ndiarize: Expected boolean, received string"


def test_the_same_text_in_a_form_is_read_as_a_boolean(client, make_wav) -> None:
    response = client.create_upload("nova-3", make_wav(0.5), data={"diarize": "yes"})
    assert response.status_code == 201, response.text
    words = client.result_of(response)["result"]["results"]["channels"][0]["alternatives"][0]["words"]
    assert all(isinstance(word["speaker"], int) for word in words)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"speakers_expected": 2.0}, "speakers_expected: Expected integer, received number"),
        ({"speakers_expected": True}, "speakers_expected: Expected integer, received boolean"),
        ({"speech_threshold": 1.5}, "speech_threshold: Number must be less than or equal to 1, received 1.5"),
        (
            {"boost_param": "max"},
            "boost_param: Invalid enum value. Expected 'low' | 'default' | 'high', received 'max'",
        ),
        (
            {"summary_type": "essay"},
            "summary_type: Invalid enum value. Expected 'bullets' | 'bullets_verbose'",
        ),
        (
            {"redact_pii_policies": ["secrets"]},
            "redact_pii_policies: Invalid enum value. Expected 'account_number'",
        ),
        ({"language_code": None}, "language_code: Expected string, received null"),
        (
            {"redact_pii_audio_quality": "ogg"},
            "redact_pii_audio_quality: Invalid enum value. Expected 'mp3' | 'wav', received 'ogg'",
        ),
        ({"custom_spelling": [{"from": "aimlapi"}]}, "custom_spelling.0.to: Required"),
        (
            {"custom_spelling": [{"from": 3, "to": "x"}]},
            "custom_spelling.0.from: Expected string, received number",
        ),
        ({"custom_spelling": "aimlapi"}, "custom_spelling: Expected object[], received string"),
    ],
)
def test_json_options_are_checked_strictly(options, problem) -> None:
    validated, problems = check_options(options, "aai/universal", lax=False)
    assert validated == {} and len(problems) == 1 and problems[0].startswith(problem)


def test_nullable_and_valid_json_options_pass_unchanged() -> None:
    options = {
        "speaker_labels": None,
        "speakers_expected": 3,
        "word_boost": ["a"],
        "redact_pii_policies": ["email_address"],
        "redact_pii_audio_quality": "wav",
        "custom_spelling": [{"from": "A I M L", "to": "AIML"}],
    }
    assert check_options(options, "aai/universal", lax=False) == (options, [])
    assert check_options(options, "slam-1", lax=False) == (options, [])


@pytest.mark.parametrize("model", ["nova-3", "nova-3-general", "nova-3-medical"])
@pytest.mark.parametrize(
    "options",
    [
        {"detect_language": True},
        {"detect_language": None},
        {"detect_language": ["en", "fr"]},
        {"tag": "a", "keyterm": "b", "redact": "pci", "replace": "x:y", "extra": "k:v"},
        {"tag": ["a", "b"], "keyterm": ["b"], "redact": ["pci", "ssn"], "replace": ["x:y"], "extra": ["k:v"]},
        {"multichannel": True, "summarize": True, "encoding": "flac", "mip_opt_out": False},
    ],
)
def test_nova_3_takes_its_own_types(model, options) -> None:
    assert check_options(options, model, lax=False) == (options, [])


@pytest.mark.parametrize(
    ("model", "option", "value"),
    [
        ("nova-3", "detect_topics", True),  # nova-2's, not nova-3's
        ("nova-3", "multi_channel", True),  # nova-3 names it multichannel
        ("#g1_nova-2-general", "keyterm", "b"),  # nova-3's
        ("#g1_nova-2-general", "multichannel", True),
        ("aai/universal", "diarize", True),  # Deepgram's
        ("aai/universal", "prompt", "x"),  # OpenAI's
        ("openai/gpt-4o-transcribe", "speaker_labels", True),  # AssemblyAI's
        ("whisper-large", "keyterm", "b"),
        ("microsoft/mai-transcribe-1.5", "language", "en"),
    ],
)
def test_an_option_of_another_model_is_refused(client, model, option, value) -> None:
    response = client.create_json({"model": model, "url": URL, option: value})
    assert response.status_code == 400
    line = response.json()["message"].splitlines()[1]
    assert line.startswith(f"{option}: Unrecognized key. Not an option of model '{model}' (its options: ")


def test_nova_3_and_assemblyai_types_in_a_form(client, make_wav) -> None:
    audio = make_wav(0.5)
    repeated = [("detect_language", "en"), ("detect_language", "fr"), ("keyterm", "a"), ("keyterm", "b")]
    assert client.create_upload("nova-3", audio, data=repeated).status_code == 201
    single = client.create_upload("nova-3", audio, data={"detect_language": "true", "tag": "only"})
    assert single.status_code == 201, single.text
    spelling = json.dumps([{"from": "a i", "to": "AI"}])
    assert client.create_upload("aai/universal", audio, data={"custom_spelling": spelling}).status_code == 200
    one = json.dumps({"from": "a i", "to": "AI"})
    assert client.create_upload("slam-1", audio, data=[("custom_spelling", one)] * 2).status_code == 200
    broken = client.create_upload("slam-1", audio, data={"custom_spelling": "{not json"})
    assert broken.json()["message"].endswith("\ncustom_spelling.0: Expected object, received string")


@pytest.mark.parametrize("model", list(MODEL_FAMILIES))
def test_every_model_id_is_accepted_and_its_job_completes(client, model) -> None:
    response = client.create_json({"model": model, "url": "https://example.com/hello.mp3"})
    assert response.status_code == (201 if MODEL_FAMILIES[model].uses_legacy_statuses else 200), response.text
    assert client.result_of(response)["status"] == "completed"


@pytest.mark.parametrize(
    ("text", "schema", "value"),
    [
        ("TRUE", {"type": ["boolean", "null"]}, True),
        ("off", {"type": ["boolean", "null"]}, False),
        ("perhaps", {"type": ["boolean", "null"]}, "perhaps"),
        ("2", {"type": ["integer", "null"]}, 2),
        ("2.0", {"type": ["integer", "null"]}, 2),
        ("2.5", {"type": ["integer", "null"]}, "2.5"),
        ("1.5", {"type": "number"}, 1.5),
        ("inf", {"type": "number"}, "inf"),
        ("1", {"type": "string"}, "1"),
        ("only", {"type": "array", "items": {"type": "string"}}, ["only"]),
        (["a", "b"], {"type": "array", "items": {"type": "string"}}, ["a", "b"]),
        ("x", {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, "x"),
        (["true", "false"], {"type": ["boolean", "null"]}, ["true", "false"]),
        (
            "true",
            {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": ["boolean", "null"]}]},
            True,
        ),
        (
            "en",
            {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": ["boolean", "null"]}]},
            ["en"],
        ),
        ('{"a": 1}', {"type": "object"}, {"a": 1}),
        ("[1]", {"type": "object"}, "[1]"),
        ('[{"a": 1}]', {"type": "array", "items": {"type": "object"}}, [{"a": 1}]),
        (['{"a": 1}', "x"], {"type": "array", "items": {"type": "object"}}, [{"a": 1}, "x"]),
    ],
)
def test_form_text_is_read_as_the_schema_type(text, schema, value) -> None:
    assert coerce_form_value(text, schema) == value


@pytest.mark.parametrize(
    ("schema", "description"),
    [
        ({"type": ["boolean", "null"]}, "boolean"),
        (
            {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "string | string[]",
        ),
        ({"type": "string", "enum": ["strict", "extended"]}, "'strict' | 'extended'"),
        ({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}, "string[]"),
        (
            {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": ["boolean", "null"]}]},
            "string[] | boolean",
        ),
        ({"type": "array", "items": {"type": "object"}}, "object[]"),
    ],
)
def test_types_are_named_as_the_api_names_them(schema, description) -> None:
    assert describe_schema(schema) == description
