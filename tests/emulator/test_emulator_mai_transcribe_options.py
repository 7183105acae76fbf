"""microsoft/mai-transcribe-1.5's four create options, from its official schema, in both checkers.

The API's schema gives the model ``max_tokens`` and ``max_completion_tokens`` (integers, at least
1), ``temperature`` (0 to 2) and ``top_p`` (0 to 1). The emulator (against the schema) and the
provider (its generated options class) must both accept valid values and refuse bad ones with an
error that names the field. The provider's own create calls are sent to the emulator as they are.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.protocol import create_call

MODEL = "microsoft/mai-transcribe-1.5"
URL = "https://example.com/hello.wav"
GOOD = {"max_tokens": 4096, "max_completion_tokens": 512, "temperature": 0.2, "top_p": 0.9}
EDGES = {"max_tokens": 1, "max_completion_tokens": 1, "temperature": 2, "top_p": 0}
# (option, bad value, the emulator's line, the provider's line)
BAD = [
    (
        "max_tokens",
        0,
        "max_tokens: Number must be greater than or equal to 1, received 0",
        "options.max_tokens: Input should be greater than or equal to 1",
    ),
    (
        "max_completion_tokens",
        "many",
        "max_completion_tokens: Expected integer, received string",
        "options.max_completion_tokens: Input should be a valid integer",
    ),
    (
        "max_completion_tokens",
        2.5,
        "max_completion_tokens: Expected integer, received number",
        "options.max_completion_tokens: Input should be a valid integer",
    ),
    (
        "temperature",
        2.5,
        "temperature: Number must be less than or equal to 2, received 2.5",
        "options.temperature: Input should be less than or equal to 2",
    ),
    (
        "temperature",
        "warm",
        "temperature: Expected number, received string",
        "options.temperature: Input should be a valid number",
    ),
    (
        "top_p",
        -0.1,
        "top_p: Number must be greater than or equal to 0, received -0.1",
        "options.top_p: Input should be greater than or equal to 0",
    ),
    (
        "top_p",
        1.5,
        "top_p: Number must be less than or equal to 1, received 1.5",
        "options.top_p: Input should be less than or equal to 1",
    ),
]


def provider_error(options: dict[str, Any]) -> str:
    """The provider's validation error of a request with these options.

    :param options: the request's options.
    """
    with pytest.raises(AimlSttValidationError) as raised:
        TranscriptionRequest.build(model=MODEL, audio_url=URL, options=options)
    return str(raised.value)


@pytest.mark.parametrize("options", [GOOD, EDGES], ids=["typical", "bounds"])
def test_the_emulator_accepts_the_four_options_in_json_and_in_an_upload(client, make_wav, options) -> None:
    created = client.create_json({"model": MODEL, "url": URL, **options})
    assert created.status_code == 200, created.text
    form = {name: str(value) for name, value in options.items()}
    uploaded = client.create_upload(MODEL, make_wav(1.0), data=form)
    assert uploaded.status_code == 200, uploaded.text
    assert client.result_of(uploaded)["status"] == "completed"


@pytest.mark.parametrize(("option", "value", "emulator_line", "_"), BAD)
def test_the_emulator_refuses_a_bad_value_naming_the_field(client, option, value, emulator_line, _) -> None:
    answer = client.create_json({"model": MODEL, "url": URL, **GOOD, option: value})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert message.startswith("Body validation error!\n")
    assert emulator_line in message.splitlines()


@pytest.mark.parametrize("options", [GOOD, EDGES], ids=["typical", "bounds"])
def test_the_provider_accepts_the_four_options(options) -> None:
    request = TranscriptionRequest.build(model=MODEL, audio_url=URL, options=options)
    assert request.api_options() == options


@pytest.mark.parametrize(("option", "value", "_", "provider_line"), BAD)
def test_the_provider_refuses_a_bad_value_naming_the_field(option, value, _, provider_line) -> None:
    message = provider_error({**GOOD, option: value})
    assert f"  - {provider_line} (got {value!r})" in message.splitlines()


def test_an_option_of_another_model_is_still_refused_by_both(client) -> None:
    listed = "(its options: max_tokens, temperature, top_p, max_completion_tokens)"
    assert listed in provider_error({"language": "en"})
    answer = client.create_json({"model": MODEL, "url": URL, "language": "en"})
    assert answer.status_code == 400 and "language: Unrecognized key" in answer.json()["message"]


def test_the_providers_create_calls_with_the_four_options_are_accepted_by_the_emulator(
    client, make_wav
) -> None:
    by_url = create_call(TranscriptionRequest.build(model=MODEL, audio_url=URL, options=GOOD))
    assert by_url.json_body == {"model": MODEL, "url": URL, **GOOD}
    assert client.session.post(f"{client.base_url}{by_url.path}", json=by_url.json_body).status_code == 200
    upload = create_call(TranscriptionRequest.build(model=MODEL, audio_path="speech.wav", options=GOOD))
    assert upload.upload_field is not None and dict(upload.form_fields).keys() >= GOOD.keys()
    files = {upload.upload_field: ("speech.wav", make_wav(1.0), "audio/wav")}
    sent = client.session.post(f"{client.base_url}{upload.path}", data=upload.form_fields, files=files)
    assert sent.status_code == 200, sent.text
