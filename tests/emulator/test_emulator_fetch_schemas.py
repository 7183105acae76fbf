"""Every fetch answer the emulator can give fits the API's documented fetch schema of its style.

``legacy`` answers ``{generation_id, status, result}`` and is checked against
``api_schemas/fetch/speech-models_stt-fetch-every-model.json``; ``universal`` answers
``{id, status, output, error}`` and is checked against ``speech-models_universal-stt-fetch.json``.
Both are OpenAPI 3.0, read as JSON Schema by the emulator's converter (``nullable`` -> null).
Where the API's documents contradict each other, :func:`documented_schemas` widens the schema,
in that one place, naming the source of each widening. Beyond the whole answer, each result is
checked against its own family's branch of the result ``anyOf``, so that a result cannot pass by
fitting another family's looser shape.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from aimlstt_emulator.catalog import MODEL_FAMILIES, Family
from aimlstt_emulator.openapi import FETCH_DOCUMENTS, load_document, to_json_schema

LEGACY_DOCUMENT = ("speech-models_stt-fetch-every-model.json", "/v1/stt/{generation_id}", "201", "result")
UNIVERSAL_DOCUMENT = ("speech-models_universal-stt-fetch.json", "/stt/{generation_id}", "200", "output")


def _answer_schema(name: str, path: str, status: str) -> dict[str, Any]:
    document = load_document(FETCH_DOCUMENTS, name)
    answer = document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    converted: dict[str, Any] = to_json_schema(answer, document)
    return converted


def _branch(result: dict[str, Any], required: str) -> dict[str, Any]:
    return next(branch for branch in result["anyOf"] if required in branch.get("required", []))


def _nullable_everywhere(schema: Any) -> None:
    if isinstance(schema, dict):
        for prop in schema.get("properties", {}).values():
            declared = prop.get("type")
            if isinstance(declared, str):
                prop["type"] = [declared, "null"]
            elif isinstance(declared, list) and "null" not in declared:
                prop["type"] = [*declared, "null"]
            if "enum" in prop and None not in prop["enum"]:
                prop["enum"] = [*prop["enum"], None]
            _nullable_everywhere(prop)
        _nullable_everywhere(schema.get("items"))


@cache
def documented_schemas() -> dict[str, tuple[dict[str, Any], dict[Family, dict[str, Any]]]]:
    """Per fetch style: the answer schema, widened where the documents disagree, and each family's branch.

    THE WIDENINGS, each with the document that contradicts the schema:

    1. ``status``: the pending statuses ``waiting``, ``active`` and ``processing`` besides ``queued``
       and ``generating``. Sources: the older model pages' code examples (the AssemblyAI and nova-3
       pages poll ``while status == "waiting" or status == "active"``), the whisper-medium page's
       fetch schema (``status`` a plain string), the official Python SDK's pending statuses
       (``aimlapi/resources/audio/_polling.py``) and the public clients the reference README lists.
    2. ``results.channels``: a list of channel objects, not only one object. Sources: every code
       example (``["results"]["channels"][0]``, the nova-3 page's example response) and
       Deepgram's own responses.
    3. ``alternatives[].paragraphs``: optional, and also in Deepgram's own form, one object
       ``{transcript, paragraphs: [{sentences, num_words, start, end}]}``. Sources: the nova-3 page's
       example response (alternatives without paragraphs), the schema's own description ("present
       when the paragraphs feature is enabled") and Deepgram's response format for ``paragraphs``.
    4. the universal ``output`` may be null (while the job is pending, or failed). Source: the
       every-model schema, whose ``result`` for the same jobs has a ``nullable`` branch.
    5. AssemblyAI results: any field may be null, and fields beyond the schema are allowed.
       Source: the universal and slam-1 pages' example response (``"speaker": null``,
       ``"utterances": null``, ``"multichannel": null``, ``audio_url``, ``dual_channel``, ...).
    6. Text results (OpenAI, Microsoft): fields beyond ``text`` and ``usage`` are allowed, and
       ``usage`` may be ``{seconds, cost}``. Sources: the universal fetch schema, whose identical
       text shape is open (no ``additionalProperties: false``), and the mai-transcribe-1.5 page's
       example response (``"usage": {"seconds": 11, "cost": 0.0011}``).
    7. the legacy ``error``: ``{name, message}`` or null. Source: the universal fetch schema; the
       every-model schema gives ``error`` only ``nullable``, which reads as "always null".
    """
    widened = {}
    for style, (name, path, status, result_key) in {
        "legacy": LEGACY_DOCUMENT,
        "universal": UNIVERSAL_DOCUMENT,
    }.items():
        schema = copy.deepcopy(_answer_schema(name, path, status))
        properties = schema["properties"]
        properties["status"]["enum"] = [*properties["status"]["enum"], "waiting", "active", "processing"]  # 1
        result = properties[result_key]
        if {"type": "null"} not in result["anyOf"]:
            result["anyOf"].append({"type": "null"})  # 4
        deepgram, assemblyai, text = (
            _branch(result, "metadata"),
            _branch(result, "id"),
            _branch(result, "text"),
        )
        results = deepgram["properties"]["results"]
        channel = results["properties"]["channels"]
        results["properties"]["channels"] = {"anyOf": [channel, {"type": "array", "items": channel}]}  # 2
        alternative = channel["properties"]["alternatives"]["items"]
        alternative["required"].remove("paragraphs")  # 3
        paragraphs = alternative["properties"]["paragraphs"]
        deepgram_form = {
            "type": "object",
            "required": ["transcript", "paragraphs"],
            "properties": {
                "transcript": {"type": "string"},
                "paragraphs": {"type": "array", "items": paragraphs["items"]["properties"]["paragraphs"]},
            },
        }
        alternative["properties"]["paragraphs"] = {"anyOf": [paragraphs, deepgram_form]}  # 3
        assemblyai.pop("additionalProperties", None)  # 5
        _nullable_everywhere(assemblyai)  # 5
        text.pop("additionalProperties", None)  # 6
        usage = text["properties"]["usage"]
        seconds = {
            "type": "object",
            "required": ["seconds", "cost"],
            "properties": {"seconds": {"type": "number"}, "cost": {"type": "number"}},
        }
        text["properties"]["usage"] = {"anyOf": [usage, seconds]}  # 6
        if style == "legacy":
            properties["error"] = _answer_schema(*UNIVERSAL_DOCUMENT[:3])["properties"]["error"]  # 7
        branches = {
            Family.DEEPGRAM: deepgram,
            Family.ASSEMBLYAI: assemblyai,
            Family.OPENAI: text,
            Family.MICROSOFT: text,
        }
        widened[style] = (schema, branches)
    return widened


def problems_of(answer: dict[str, Any], style: str, family: Family) -> list[str]:
    """Every way an answer misses its style's schema, and its result its family's branch."""
    schema, branches = documented_schemas()[style]
    problems = [f"answer: {error.message}" for error in Draft202012Validator(schema).iter_errors(answer)]
    result = answer.get("result" if style == "legacy" else "output")
    if result is not None:
        branch = Draft202012Validator(branches[family])
        problems += [f"result at {list(error.path)}: {error.message}" for error in branch.iter_errors(result)]
    return problems


VARIANTS: list[tuple[str, dict[str, str], int]] = [
    ("#g1_nova-2-general", {}, 1),
    ("#g1_nova-2-meeting", {"diarize": "true", "paragraphs": "true", "utterances": "true"}, 1),
    ("#g1_nova-2-phonecall", {"multi_channel": "true", "detect_language": "true"}, 2),
    ("nova-3", {"multichannel": "true", "diarize": "true", "paragraphs": "true", "utterances": "true"}, 2),
    ("nova-3-medical", {"detect_language": "true", "language": "en"}, 1),
    ("whisper-large", {"paragraphs": "true"}, 1),
    ("#g1_whisper-small", {"multi_channel": "true", "diarize": "true"}, 2),
    ("aai/universal", {}, 1),
    ("slam-1", {"speaker_labels": "true", "speakers_expected": "3", "multichannel": "true"}, 2),
    ("openai/gpt-4o-transcribe", {"prompt": "a short talk", "language": "en"}, 1),
    ("openai/gpt-4o-mini-transcribe", {}, 1),
    ("microsoft/mai-transcribe-1.5", {}, 2),
]


@pytest.mark.parametrize("style", ["legacy", "universal"])
@pytest.mark.parametrize(("model", "options", "channels"), VARIANTS, ids=[variant[0] for variant in VARIANTS])
def test_every_status_of_every_variant_fits_the_schema(
    emu_server, client, make_wav, style, model, options, channels
) -> None:
    config = emu_server.config
    config.fetch_style, config.queued_seconds, config.processing_seconds = style, 1.0, 1.0
    audio = make_wav(3.0, channels=channels)
    good, bad = (client.create_upload(model, audio, filename="hello.wav", data=options) for _ in range(2))
    assert good.status_code in (200, 201) and bad.status_code in (200, 201), good.text
    good_id, bad_id = good.json()["generation_id"], bad.json()["generation_id"]
    assert emu_server.jobs.fail(bad_id, "TranscriptionError", "the audio could not be decoded")
    answers = []
    for _ in range(3):
        answers += [client.fetch(good_id).json(), client.fetch(bad_id).json()]
        emu_server.clock.advance(1.0)
    family = MODEL_FAMILIES[model]
    pending = ("waiting", "active") if family.uses_legacy_statuses else ("queued", "generating")
    assert {answer["status"] for answer in answers} == {*pending, "completed", "error"}
    assert {answer["status"]: problems_of(answer, style, family) for answer in answers} == {
        answer["status"]: [] for answer in answers
    }


@pytest.mark.parametrize("style", ["legacy", "universal"])
@pytest.mark.parametrize("model", list(MODEL_FAMILIES))
def test_the_completed_answer_of_every_model_fits_the_schema(emu_server, client, style, model) -> None:
    emu_server.config.fetch_style = style
    answer = client.result_of(client.create_json({"model": model, "url": "https://example.com/talk.mp3"}))
    assert answer["status"] == "completed"
    assert problems_of(answer, style, MODEL_FAMILIES[model]) == []


@pytest.mark.parametrize("style", ["legacy", "universal"])
def test_a_job_that_never_finishes_fits_the_schema(emu_server, client, faults, make_wav, style) -> None:
    emu_server.config.fetch_style = style
    faults.set(job_never_finishes=1)
    generation_id = client.create_upload("aai/universal", make_wav(0.5)).json()["generation_id"]
    answer = client.fetch(generation_id).json()
    assert answer["status"] == "queued" and problems_of(answer, style, Family.ASSEMBLYAI) == []


@pytest.mark.parametrize("style", ["legacy", "universal"])
def test_the_error_answer_of_an_assemblyai_job_of_undecodable_audio_fits_the_schema(
    emu_server, client, style
) -> None:
    emu_server.config.fetch_style = style
    created = client.create_upload("aai/universal", b"not audio, only text\n" * 200, filename="notes.mp3")
    answer = client.result_of(created)
    assert answer["status"] == "error" and answer["result" if style == "legacy" else "output"] is not None
    assert problems_of(answer, style, Family.ASSEMBLYAI) == []


@pytest.mark.parametrize(
    ("style", "answer", "family"),
    [
        ("legacy", {"status": "completed", "result": None}, Family.DEEPGRAM),  # no generation_id
        ("legacy", {"generation_id": "g", "status": "done", "result": None}, Family.DEEPGRAM),
        ("legacy", {"generation_id": "g", "status": "completed", "result": {"results": {}}}, Family.DEEPGRAM),
        ("universal", {"id": "g", "status": "queued", "error": None}, Family.OPENAI),  # no output
        (
            "universal",
            {"id": "g", "status": "completed", "output": {"text": 5}, "error": None},
            Family.OPENAI,
        ),
        (
            "universal",
            {"id": "g", "status": "error", "output": None, "error": {"name": "E"}},  # no message
            Family.OPENAI,
        ),
        ("legacy", {"generation_id": "g", "status": "completed", "result": {"text": "t"}}, Family.ASSEMBLYAI),
        (
            "universal",
            {
                "id": "g",
                "status": "completed",
                "output": {"text": "t", "usage": {"seconds": 1}},
                "error": None,
            },
            Family.MICROSOFT,
        ),
    ],
)
def test_the_widened_schemas_still_refuse_what_no_document_allows(style, answer, family) -> None:
    assert problems_of(answer, style, family) != []
