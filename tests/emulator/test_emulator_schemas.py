"""Option validation against the emulator's own JSON Schemas, independent of the provider's option models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import airflow_provider_aimlstt.emulator as emulator_package
from airflow_provider_aimlstt.emulator.catalog import MODEL_FAMILIES, Family, option_schema
from airflow_provider_aimlstt.emulator.validation import check_options, coerce_form_value, describe_schema
from airflow_provider_aimlstt.models import KNOWN_MODELS

SCHEMAS = Path(emulator_package.__file__).parent / "schemas"
URL = "https://example.com/hello.wav"


@pytest.mark.parametrize("family", list(Family))
def test_each_family_has_a_valid_closed_schema(family) -> None:
    schema = json.loads((SCHEMAS / f"{family.value}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert {"model", "url", "audio", "file"}.isdisjoint(schema["properties"])


def test_every_model_has_its_familys_schema() -> None:
    for model, family in MODEL_FAMILIES.items():
        assert option_schema(model) == json.loads((SCHEMAS / f"{family.value}.json").read_text("utf-8"))


def test_the_catalog_knows_the_models_the_provider_sends() -> None:
    assert {model: family.value for model, family in MODEL_FAMILIES.items()} == {
        model: family.value for model, family in KNOWN_MODELS.items()
    }


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
    }
    assert check_options(options, "aai/universal", lax=False) == (options, [])


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
    ],
)
def test_types_are_named_as_the_api_names_them(schema, description) -> None:
    assert describe_schema(schema) == description
