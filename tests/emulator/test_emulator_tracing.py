"""Request tracing and cost headers (the request-tracing-and-cost page), over real HTTP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

URL = "https://example.com/hello.mp3"
EXPOSED = {"x-inference-id", "x-client-request-id", "x-aimlapi-credits-used", "x-aimlapi-usd-spent"}
SHORT_ID = re.compile(r"[A-Za-z0-9_-]{21}")
USD = re.compile(r"[0-9]+\.[0-9]{9}")


def exposed(response: requests.Response) -> set[str]:
    return {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}


def assert_free(response: requests.Response) -> None:
    assert response.headers["x-aimlapi-credits-used"] == "0"
    assert response.headers["x-aimlapi-usd-spent"] == "0.000000000"


@pytest.mark.parametrize(("model", "status"), [("nova-3", 201), ("aai/universal", 200)])
def test_a_create_answers_its_job_id_and_its_cost(emu_server, client, make_wav, model, status) -> None:
    emu_server.config.prices_per_second = {model: 0.0004}
    response = client.create_upload(model, make_wav(11.0))
    assert response.status_code == status
    generation_id = response.json()["generation_id"]
    assert response.headers["x-inference-id"] == generation_id
    assert response.headers["x-aimlapi-usd-spent"] == "0.004400000"  # 11 s at 0.0004 USD
    assert response.headers["x-aimlapi-credits-used"] == "8800"  # 2,000,000 credits per USD
    assert exposed(response) == EXPOSED
    cost = emu_server.jobs.get(generation_id).cost
    assert (cost.seconds, cost.usd, cost.credits) == (11, Decimal("0.004400000"), 8800)


def test_prices_come_from_the_model_then_the_family_then_the_defaults(emu_server, client, make_wav) -> None:
    audio = make_wav(2.4)  # billed as 2 whole seconds
    emu_server.config.prices_per_second = {"deepgram": 0.001, "#g1_nova-2-general": 0.5}
    assert client.create_upload("#g1_nova-2-general", audio).headers["x-aimlapi-usd-spent"] == "1.000000000"
    assert client.create_upload("nova-3", audio).headers["x-aimlapi-usd-spent"] == "0.002000000"
    default = client.create_upload("aai/universal", audio)  # the assemblyai default, 0.00006 USD
    assert default.headers["x-aimlapi-usd-spent"] == "0.000120000"
    assert default.headers["x-aimlapi-credits-used"] == "240"
    again = client.create_upload("aai/universal", audio)
    assert again.headers["x-aimlapi-usd-spent"] == default.headers["x-aimlapi-usd-spent"]  # deterministic


def test_microsofts_usage_reports_what_was_billed(emu_server, client, make_wav) -> None:
    emu_server.config.prices_per_second = {"microsoft": 0.0002}
    created = client.create_upload("microsoft/mai-transcribe-1.5", make_wav(5.6))
    assert created.headers["x-aimlapi-usd-spent"] == "0.001200000"
    assert client.result_of(created)["result"]["usage"] == {"seconds": 6, "cost": 0.0012}


def test_a_poll_is_free_and_names_the_polled_id(client, make_wav) -> None:
    generation_id = client.create_upload("nova-3", make_wav(1.0)).json()["generation_id"]
    fetched = client.fetch(generation_id)
    assert fetched.status_code == 200 and fetched.headers["x-inference-id"] == generation_id
    assert_free(fetched)
    assert exposed(fetched) == EXPOSED
    unknown = client.fetch("RlLz0hRdAs9voL5Qi1Pzr")  # a well-formed id that was never issued
    assert unknown.status_code == 404 and unknown.headers["x-inference-id"] == "RlLz0hRdAs9voL5Qi1Pzr"


@pytest.mark.parametrize(
    "polled", ["some-id", "RlLz0hRdAs9voL5Qi1Pz", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "a%20b"]
)
def test_a_poll_of_an_id_the_emulator_could_not_issue_has_no_inference_id(client, polled) -> None:
    response = client.fetch(polled)
    assert response.status_code == 404
    assert "x-inference-id" not in response.headers
    assert_free(response)


def test_a_valid_client_request_id_is_stored_and_echoed(emu_server, client, make_wav) -> None:
    client_id = "order-8f21c4:retry.2_A"
    created = client.session.post(
        f"{client.base_url}/v1/stt/create",
        json={"model": "nova-3", "url": URL},
        headers={"X-Client-Request-Id": client_id},
    )
    assert created.status_code == 201 and created.headers["x-client-request-id"] == client_id
    generation_id = created.json()["generation_id"]
    assert emu_server.jobs.get(generation_id).client_request_id == client_id
    polled = client.session.get(
        f"{client.base_url}/v1/stt/{generation_id}", headers={"X-Client-Request-Id": "p-1"}
    )
    assert polled.headers["x-client-request-id"] == "p-1"
    assert "x-client-request-id" not in client.fetch(generation_id).headers


@pytest.mark.parametrize(
    ("client_id", "kept"),
    [
        ("a" * 128, True),
        ("a" * 129, False),
        ("order 1", False),
        ("order/1", False),
        ("bestellung-ü", False),
        ("", False),
        ("A-Za-z0-9._:-", True),
    ],
)
def test_an_invalid_client_request_id_is_dropped_silently(emu_server, client, client_id, kept) -> None:
    response = client.session.post(
        f"{client.base_url}/v1/stt/create",
        json={"model": "aai/universal", "url": URL},
        headers={"X-Client-Request-Id": client_id.encode("utf-8")},
    )
    assert response.status_code == 200  # the request runs either way
    assert response.headers.get("x-client-request-id") == (client_id if kept else None)
    job = emu_server.jobs.get(response.json()["generation_id"])
    assert job.client_request_id == (client_id if kept else None)
    assert emu_server.usage_log.rows()[0].client_request_id == (client_id if kept else None)


def test_a_refused_create_gets_a_fresh_inference_id_at_no_cost(client) -> None:
    refused = client.session.post(
        f"{client.base_url}/v1/stt/create",
        json={"model": "nova-3", "url": URL, "bogus": 1},
        headers={"X-Client-Request-Id": "c-400"},
    )
    assert refused.status_code == 400
    assert SHORT_ID.fullmatch(refused.headers["x-inference-id"])
    assert refused.headers["x-client-request-id"] == "c-400"
    assert_free(refused)
    unauthorized = requests.post(f"{client.base_url}/v1/stt/create", json={"model": "nova-3", "url": URL})
    assert unauthorized.status_code == 401 and SHORT_ID.fullmatch(unauthorized.headers["x-inference-id"])
    assert_free(unauthorized)


def test_faults_before_processing_keep_the_headers_and_lost_answers_carry_none(
    emu_server, faults, client, make_wav
) -> None:
    faults.set(rate_limit=1)
    limited = client.session.post(
        f"{client.base_url}/v1/stt/create",
        json={"model": "nova-3", "url": URL},
        headers={"X-Client-Request-Id": "r"},
    )
    assert limited.status_code == 429 and SHORT_ID.fullmatch(limited.headers["x-inference-id"])
    assert limited.headers["x-client-request-id"] == "r"
    assert_free(limited)
    for settings, status in (
        ({"server_error": 1, "server_error_codes": [502]}, 502),
        ({"malformed_json": 1}, 201),
    ):
        faults.set(settings, routes=["create"])
        lost = client.create_upload("nova-3", make_wav(1.0))
        assert lost.status_code == status
        assert EXPOSED.isdisjoint(name.lower() for name in lost.headers)  # nothing tells the job's id
        assert exposed(lost) == EXPOSED
    assert len(emu_server.jobs) == 2  # both lost answers' jobs exist
    faults.set(server_error=1, server_error_codes=[504], routes=["fetch"])
    generation_id = next(iter(emu_server.usage_log.rows())).inference_id
    assert "x-inference-id" not in client.fetch(generation_id).headers


def test_control_routes_and_the_usage_logs_carry_no_tracing_headers(emu_server, client) -> None:
    stats = requests.get(f"{emu_server.base_url}/_emulator/stats")
    logs = client.session.get(f"{client.base_url}/v2/logs", params={"period": "1h"})
    for response in (stats, logs):
        assert response.status_code == 200
        assert EXPOSED.isdisjoint(name.lower() for name in response.headers)


def test_cost_headers_are_formatted_as_documented(client, make_wav) -> None:
    response = client.create_upload("openai/gpt-4o-transcribe", make_wav(3.0))
    assert USD.fullmatch(response.headers["x-aimlapi-usd-spent"])
    assert response.headers["x-aimlapi-credits-used"].isdigit()
    usd = Decimal(response.headers["x-aimlapi-usd-spent"])
    assert int(response.headers["x-aimlapi-credits-used"]) == usd * 2_000_000 == 600
