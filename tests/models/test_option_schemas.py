"""The options classes, the registry and the table of docs/models.md never drift from the API's schemas."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.models import (
    KNOWN_MODELS,
    SCHEMA_ALIASES,
    options_class_for,
    upload_field_of,
)
from airflow_provider_aimlstt.models.option_base import ApiOptions
from airflow_provider_aimlstt.models.options import OPTIONS_BY_MODEL
from tests.conftest import REPO
from tests.helpers import load_script

CREATE = REPO / "emulator" / "aimlstt_emulator" / "api_schemas" / "create"
SOURCE_FIELDS = {"model", "url", "audio", "file"}


generator = load_script("generate_option_models")


def _schemas() -> dict[str, dict[str, Any]]:
    """Every create schema, by file name."""
    found = {}
    for path in sorted(CREATE.glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        operation = document["paths"]["/v1/stt/create"]["post"]
        found[path.name] = operation["requestBody"]["content"]["application/json"]["schema"]
    return found


def _schema_of_each_model() -> dict[str, dict[str, Any]]:
    return {
        model: schema for schema in _schemas().values() for model in schema["properties"]["model"]["enum"]
    }


# --- The generated files are what the generator makes now --------------------------------------


def test_the_options_module_is_what_the_generator_makes() -> None:
    on_disk = (REPO / "airflow_provider_aimlstt" / "models" / "options.py").read_text("utf-8")
    assert generator.generate().module == on_disk, "run scripts/generate_option_models.py"


def test_the_models_page_table_is_what_the_generator_makes() -> None:
    page = (REPO / "docs" / "models.md").read_text("utf-8")
    assert generator.page_with_table(page, generator.generate().table) == page, (
        "run scripts/generate_option_models.py"
    )


def test_the_models_page_table_lists_every_registered_model_as_the_provider_sees_it() -> None:
    page = (REPO / "docs" / "models.md").read_text("utf-8")
    table = page.split(generator.TABLE_BEGIN)[1].split(generator.TABLE_END)[0]
    rows = re.findall(
        r"^\| `(.+?)` \| (\w+) \| `(\w+)` \| (yes|no) \| `(\w+)` \|$", table, flags=re.MULTILINE
    )
    assert [row[0] for row in rows] == list(KNOWN_MODELS)
    for model, family, upload, timings, class_name in rows:
        options_class = options_class_for(model)
        assert options_class is not None
        assert (family, upload, timings, class_name) == (
            KNOWN_MODELS[model].value,
            upload_field_of(model),
            "yes" if KNOWN_MODELS[model].gives_word_timings else "no",
            options_class.__name__,
        )


def test_check_reports_stale_files_and_writing_fixes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, page = tmp_path / "options.py", tmp_path / "models.md"
    module.write_text("# edited by hand\n", "utf-8")
    page.write_text(
        (REPO / "docs" / "models.md").read_text("utf-8").replace("| `nova-3` |", "| `nova-4` |"), "utf-8"
    )
    monkeypatch.setattr(generator, "OPTIONS_MODULE", module)
    monkeypatch.setattr(generator, "MODELS_PAGE", page)
    monkeypatch.setattr(generator, "REPO", tmp_path)
    assert generator.main(["--check"]) == 1
    assert module.read_text("utf-8") == "# edited by hand\n"
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    assert page.read_text("utf-8") == (REPO / "docs" / "models.md").read_text("utf-8")


# --- Each class has exactly its schema's properties, with their types ------------------------


def _openapi(schema: dict[str, Any]) -> Any:
    """What a value may be by an OpenAPI schema; None is always allowed, so ``nullable`` goes."""
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("description", "default", "example", "title", "format", "nullable"):
            continue
        if key == "anyOf":
            choices = [_openapi(choice) for choice in value]
            choices = sorted((choice for choice in choices if choice), key=json.dumps)
            if len(choices) == 1:
                return choices[0]
            value = choices
        elif key == "items":
            value = _openapi(value)
        elif key == "properties":
            value = {name: _openapi(item) for name, item in value.items()}
        elif key == "required":
            value = sorted(value)
        kept[key] = value
    if "enum" in kept:
        kept.pop("type", None)
    return kept


def _pydantic(schema: dict[str, Any], definitions: dict[str, Any]) -> Any:
    """The same from pydantic's JSON Schema of a field, with references resolved and null dropped."""
    if "$ref" in schema:
        return _pydantic(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("description", "default", "title", "additionalProperties"):
            continue
        if key == "anyOf":
            choices = [_pydantic(choice, definitions) for choice in value if choice != {"type": "null"}]
            choices = sorted(choices, key=json.dumps)
            if len(choices) == 1:
                return choices[0]
            value = choices
        elif key == "items":
            value = _pydantic(value, definitions)
        elif key == "properties":
            value = {name: _pydantic(item, definitions) for name, item in value.items()}
        elif key == "required":
            value = sorted(value)
        elif key == "const":
            key, value = "enum", [value]
        kept[key] = value
    if "enum" in kept:
        kept.pop("type", None)
    return kept


@pytest.mark.parametrize("model", sorted(_schema_of_each_model()))
def test_each_class_has_exactly_its_schemas_options_with_their_types(model: str) -> None:
    schema = _schema_of_each_model()[model]
    options_class = OPTIONS_BY_MODEL[model]
    expected = {
        name: _openapi(value) for name, value in schema["properties"].items() if name not in SOURCE_FIELDS
    }
    json_schema = options_class.model_json_schema(by_alias=True)
    definitions = json_schema.get("$defs", {})
    actual = {name: _pydantic(value, definitions) for name, value in json_schema["properties"].items()}
    assert sorted(set(expected) - set(actual)) == [], "options of the schema the class lacks"
    assert sorted(set(actual) - set(expected)) == [], "options of the class the schema lacks"
    differing = {name: (expected[name], actual[name]) for name in expected if expected[name] != actual[name]}
    assert differing == {}, "options whose types differ (schema, class)"
    assert json_schema.get("required", []) == []
    assert json_schema["additionalProperties"] is False


CLASSES: list[type[ApiOptions]] = list(dict.fromkeys(OPTIONS_BY_MODEL.values()))


@pytest.mark.parametrize("options_class", CLASSES, ids=[cls.__name__ for cls in CLASSES])
def test_every_class_is_strict_closed_and_documented(options_class: type[ApiOptions]) -> None:
    config = options_class.model_config
    assert (config["strict"], config["extra"], config["frozen"], config["allow_inf_nan"]) == (
        True,
        "forbid",
        True,
        False,
    )
    assert options_class.__doc__ and options_class.__doc__.startswith("Create options of ")
    models = [model for model, found in OPTIONS_BY_MODEL.items() if found is options_class]
    assert ", ".join(models) in " ".join(options_class.__doc__.split())


def test_models_with_the_same_option_types_share_a_class() -> None:
    nova_2 = {OPTIONS_BY_MODEL[model] for model in KNOWN_MODELS if "nova-2" in model or "whisper" in model}
    assert len(nova_2) == 1
    assert len({OPTIONS_BY_MODEL[model] for model in ("nova-3", "nova-3-general", "nova-3-medical")}) == 1
    assert len(set(OPTIONS_BY_MODEL.values())) == 5


# --- The registry and the schemas list the same ids -------------------------------------------


def test_every_id_of_every_schema_is_registered() -> None:
    for name, schema in _schemas().items():
        unregistered = [model for model in schema["properties"]["model"]["enum"] if model not in KNOWN_MODELS]
        assert unregistered == [], f"{name}: register these ids in KNOWN_MODELS (models/families.py)"


def test_every_registered_id_has_a_schema_or_is_an_alias_of_one() -> None:
    with_schema = _schema_of_each_model()
    assert [model for model in KNOWN_MODELS if model not in with_schema and model not in SCHEMA_ALIASES] == []
    for alias, target in SCHEMA_ALIASES.items():
        assert alias in KNOWN_MODELS and alias not in with_schema and target in with_schema
        assert OPTIONS_BY_MODEL[alias] is OPTIONS_BY_MODEL[target]
        assert KNOWN_MODELS[alias] is KNOWN_MODELS[target]
    assert set(OPTIONS_BY_MODEL) == set(KNOWN_MODELS)


def test_the_upload_field_is_the_one_the_schema_names() -> None:
    for model, schema in _schema_of_each_model().items():
        named = [field for field in ("file", "audio") if field in schema["properties"]]
        assert upload_field_of(model) == (named[0] if named else KNOWN_MODELS[model].upload_field)


# --- A new page needs only its ids registered -------------------------------------------------

NOVA_4 = {
    "paths": {
        "/v1/stt/create": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "model": {"type": "string", "enum": ["nova-4"]},
                                    "url": {"type": "string", "format": "uri"},
                                    "audio": {"type": "string", "format": "binary"},
                                    "diarize": {"type": "boolean", "nullable": True},
                                    "speed": {"type": "number", "minimum": 0.5, "maximum": 2},
                                    "hints": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                                },
                            }
                        }
                    }
                }
            }
        }
    }
}


def _with_nova_4(tmp_path: Path, register: bool) -> tuple[Path, Path]:
    schemas = tmp_path / "create"
    shutil.copytree(CREATE, schemas)
    (schemas / "speech-models_Deepgram_nova-4.json").write_text(json.dumps(NOVA_4), "utf-8")
    registry = tmp_path / "families.py"
    text = generator.REGISTRY.read_text("utf-8")
    registry.write_text(
        text + ('\nKNOWN_MODELS["nova-4"] = ModelFamily.DEEPGRAM\n' if register else ""), "utf-8"
    )
    return schemas, registry


def test_a_new_page_needs_only_its_ids_registered(tmp_path: Path) -> None:
    generated = generator.generate(*_with_nova_4(tmp_path, register=True))
    namespace: dict[str, Any] = {}
    exec(compile(generated.module, "options.py", "exec"), namespace)
    options_class = namespace["OPTIONS_BY_MODEL"]["nova-4"]
    assert options_class.__name__ == "DeepgramNova4Options"
    options_class.model_validate({"diarize": True, "speed": 1.5, "hints": ["a"]})
    for bad in ({"speed": 3}, {"hints": ["a", "b", "c", "d"]}, {"diarize": "true"}, {"multichannel": True}):
        with pytest.raises(ValueError):
            options_class.model_validate(bad)
    assert namespace["UPLOAD_FIELD_BY_MODEL"]["nova-4"] == "audio"
    assert "| `nova-4` | deepgram | `audio` | yes | `DeepgramNova4Options` |" in generated.table


def test_a_new_page_with_unregistered_ids_stops_the_generator(tmp_path: Path) -> None:
    with pytest.raises(
        generator.GeneratorError, match=r"model 'nova-4' of Deepgram_nova-4\.json is not registered"
    ):
        generator.generate(*_with_nova_4(tmp_path, register=False))


def test_a_schema_keyword_the_generator_does_not_know_stops_it(tmp_path: Path) -> None:
    schemas, registry = _with_nova_4(tmp_path, register=True)
    page = schemas / "speech-models_Deepgram_nova-4.json"
    page.write_text(page.read_text("utf-8").replace('"maxItems"', '"uniqueItems": true, "maxItems"'), "utf-8")
    with pytest.raises(generator.GeneratorError, match="unsupported schema keywords \\['uniqueItems'\\]"):
        generator.generate(schemas, registry)
