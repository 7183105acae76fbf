"""``GET /v2/logs`` (the usage-logs page and its logs-v2 schema), over real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from jsonschema import Draft202012Validator

from aimlstt_emulator.openapi import SERVICE_DOCUMENTS, load_document, to_json_schema

URL = "https://example.com/hello.mp3"
ROW_KEYS = {
    "created", "status", "origin", "model", "cost", "tokens",
    "request_id", "inference_id", "client_request_id",
}  # fmt: skip


def logs_schema() -> dict:
    document = load_document(SERVICE_DOCUMENTS, "service-endpoints_logs-v2.json")
    answer = document["paths"]["/v2/logs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return to_json_schema(answer, document)


@pytest.fixture
def logs(emu_server, client):
    """``GET /v2/logs`` with the test key; rows show at once unless a test sets a delay."""
    emu_server.config.usage_log_delay_seconds = 0.0

    def get(**params) -> requests.Response:
        return client.session.get(f"{client.base_url}/v2/logs", params={"period": "1h", **params}, timeout=30)

    return get


def create(client, model: str = "nova-3", client_id: str | None = None, **options) -> requests.Response:
    headers = {"X-Client-Request-Id": client_id} if client_id else {}
    return client.session.post(
        f"{client.base_url}/v1/stt/create", json={"model": model, "url": URL, **options}, headers=headers
    )


def rows(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_the_key_is_needed(emu_server, logs) -> None:
    assert requests.get(f"{emu_server.base_url}/v2/logs", params={"period": "1h"}).status_code == 401
    wrong = requests.get(
        f"{emu_server.base_url}/v2/logs", params={"period": "1h"}, headers={"Authorization": "Bearer no"}
    )
    assert wrong.status_code == 401
    assert logs().status_code == 200


def test_rows_are_exactly_the_schemas_newest_first(emu_server, client, logs, make_wav) -> None:
    emu_server.config.prices_per_second = {"microsoft": 0.0003}
    first = create(client, "openai/gpt-4o-transcribe", client_id="job-1").json()["generation_id"]
    refused = create(client, "nova-3", client_id="job-2", bogus=True)
    third = client.create_upload("microsoft/mai-transcribe-1.5", make_wav(4.0))
    answer = logs().json()
    Draft202012Validator(logs_schema()).validate(answer)
    data = answer["data"]
    assert [set(row) for row in data] == [ROW_KEYS] * 3
    assert [row["inference_id"] for row in data] == [
        third.json()["generation_id"],
        refused.headers["x-inference-id"],
        first,
    ]
    newest = data[0]
    assert newest["status"] == "succeeded" and newest["model"] == "microsoft/mai-transcribe-1.5"
    assert newest["cost"] == {"usd": 0.0012, "credits": 2400} and newest["origin"] == "api"
    assert newest["tokens"] == {"input": 0, "output": 0, "total": 0}
    assert newest["client_request_id"] is None and newest["request_id"]
    failed = data[1]
    assert failed["status"] == "failed" and failed["cost"] == {"usd": 0.0, "credits": 0}
    assert failed["model"] == "nova-3" and failed["client_request_id"] == "job-2"
    assert failed["request_id"] == refused.json()["requestId"]
    assert data[2]["client_request_id"] == "job-1"
    created = [datetime.fromisoformat(row["created"].replace("Z", "+00:00")) for row in data]
    assert created == sorted(created, reverse=True) and all(row["created"].endswith("Z") for row in data)
    assert answer["pagination"] == {"limit": 50, "offset": 0, "total": 3, "has_more": False}


def test_polls_are_not_logged(client, logs) -> None:
    generation_id = create(client).json()["generation_id"]
    for _ in range(3):
        assert client.fetch(generation_id).status_code == 200
    client.fetch("RlLz0hRdAs9voL5Qi1Pzr")
    assert [row["inference_id"] for row in rows(logs())] == [generation_id]


def test_pagination(client, logs) -> None:
    ids = [create(client).json()["generation_id"] for _ in range(5)]
    page = logs(limit=2, offset=1).json()
    assert [row["inference_id"] for row in page["data"]] == [ids[3], ids[2]]
    assert page["pagination"] == {"limit": 2, "offset": 1, "total": 5, "has_more": True}
    last = logs(limit=2, offset=4).json()
    assert [row["inference_id"] for row in last["data"]] == [ids[0]]
    assert last["pagination"]["has_more"] is False
    assert logs(offset=9).json()["data"] == [] and len(rows(logs(limit=100))) == 5
    assert len(rows(logs(limit=1))) == 1


def test_model_and_status_filters(client, logs) -> None:
    create(client, "openai/gpt-4o-transcribe")
    create(client, "#g1_nova-2-general")
    create(client, "nova-2-general")
    create(client, "aai/universal", bogus=1)  # failed

    def models(**params) -> list[str]:
        return [row["model"] for row in rows(logs(**params))]

    assert models(model="openai/gpt-4o-transcribe") == ["openai/gpt-4o-transcribe"]
    assert models(model="gpt-4o-transcribe") == ["openai/gpt-4o-transcribe"]  # the part after the first /
    assert models(model="gpt-4o") == []
    assert models(model="nova-2-general") == ["nova-2-general"]  # not #g1_nova-2-general: no /
    assert models(model=["universal", "#g1_nova-2-general"]) == ["aai/universal", "#g1_nova-2-general"]
    assert models(model="openai/gpt-4o-transcribe,aai/universal") == []  # one name, literally
    assert models(status="failed") == ["aai/universal"]
    assert len(models(status="succeeded")) == 3
    assert len(models(status=["succeeded", "failed"])) == 4
    assert models(status="failed", model="nova-2-general") == []


def test_the_window_by_start_and_end(client, logs) -> None:
    create(client)
    now = datetime.now(timezone.utc)
    naive = {
        "start": (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat(),
        "end": now.replace(tzinfo=None).isoformat(),
    }
    assert len(rows(logs(period=None, **naive))) == 1  # no offset: read as UTC
    shifted = timezone(timedelta(hours=2))
    with_offset = {
        "start": (now - timedelta(minutes=5)).astimezone(shifted).isoformat(),
        "end": now.astimezone(shifted).isoformat(),
    }
    assert len(rows(logs(period=None, **with_offset))) == 1
    earlier = {"start": (now - timedelta(days=3)).isoformat(), "end": (now - timedelta(days=2)).isoformat()}
    assert rows(logs(period=None, **earlier)) == []
    assert len(rows(logs(period="1d"))) == 1 and len(rows(logs(period="92d"))) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": None}, "Provide either period or both start and end"),
        ({"start": "2026-07-01T00:00:00Z", "end": "2026-07-02T00:00:00Z"}, "not both"),
        ({"period": None, "start": "2026-07-01T00:00:00Z"}, "start and end must be given together"),
        ({"period": None, "end": "2026-07-01T00:00:00Z"}, "start and end must be given together"),
        ({"period": "7w"}, "period: expected a positive integer followed by h or d"),
        ({"period": "0d"}, "period: expected a positive integer"),
        ({"period": "-1h"}, "period: expected a positive integer"),
        ({"period": ""}, "period: expected a positive integer"),
        ({"period": "93d"}, "must not exceed 92 days"),
        ({"period": "2209h"}, "must not exceed 92 days"),
        ({"period": None, "start": "yesterday", "end": "2026-07-02"}, "start: expected an ISO-8601"),
        ({"period": None, "start": "2026-07-01", "end": "2026-13-02"}, "end: expected an ISO-8601"),
        ({"period": None, "start": "2026-07-02", "end": "2026-07-01"}, "end must not be earlier than start"),
        ({"period": None, "start": "2026-01-01", "end": "2026-04-03T00:00:01"}, "must not exceed 92 days"),
        ({"status": "succeeded,failed"}, "status: expected succeeded or failed"),
        ({"status": "ok"}, "status: expected succeeded or failed"),
        ({"limit": "0"}, "limit: expected an integer from 1 to 100"),
        ({"limit": "101"}, "limit: expected an integer from 1 to 100"),
        ({"limit": "ten"}, "limit: expected an integer from 1 to 100"),
        ({"offset": "-1"}, "offset: expected an integer of 0 or more"),
        ({"model": [f"m{index}" for index in range(51)]}, "model: at most 50 values"),
    ],
)
def test_bad_queries_are_400_with_the_error_body(logs, params, message) -> None:
    response = logs(**params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert body["statusCode"] == 400 and body["path"] == "/v2/logs" and message in body["message"]


def test_a_92_day_window_is_allowed(logs) -> None:
    assert logs(period=None, start="2026-01-01", end="2026-04-03").status_code == 200
    assert logs(period="2208h").status_code == 200


def test_key_prefix_of_the_own_key_or_another(logs, api_key) -> None:
    assert logs(key_prefix=api_key[:8]).status_code == 200
    other = logs(key_prefix="zzzz")
    assert other.status_code == 403 and other.json()["statusCode"] == 403


def test_a_row_shows_only_after_the_delay_on_the_emulators_clock(emu_server, client, logs) -> None:
    emu_server.config.usage_log_delay_seconds = 2.0
    generation_id = create(client).json()["generation_id"]
    assert rows(logs()) == []
    assert [row.inference_id for row in emu_server.usage_log.rows()] == [generation_id]  # recorded already
    emu_server.clock.advance(1.9)
    assert rows(logs()) == []
    emu_server.clock.advance(0.1)
    assert [row["inference_id"] for row in rows(logs())] == [generation_id]


@pytest.mark.parametrize(
    ("settings", "status"),
    [({"rate_limit": 1}, 429), ({"server_error": 1, "server_error_codes": [503]}, 503)],
)
def test_a_create_refused_by_a_fault_is_a_failed_row(
    emu_server, faults, client, logs, settings, status
) -> None:
    faults.set(settings, routes=["create"])
    refused = create(client, client_id="try-1")
    assert refused.status_code == status
    (row,) = rows(logs())
    assert row["status"] == "failed" and row["cost"] == {"usd": 0.0, "credits": 0}
    assert row["inference_id"] == refused.headers["x-inference-id"] and row["client_request_id"] == "try-1"
    assert row["request_id"] == refused.json()["requestId"] and len(emu_server.jobs) == 0


def test_a_create_over_the_size_limit_is_a_failed_row(emu_config, client, logs, make_wav) -> None:
    emu_config.max_upload_bytes = 1000
    assert client.create_upload("nova-3", make_wav(1.0)).status_code == 413
    assert [row["status"] for row in rows(logs())] == ["failed"]


def test_a_create_without_a_valid_key_is_not_logged(emu_server, logs) -> None:
    assert (
        requests.post(
            f"{emu_server.base_url}/v1/stt/create", json={"model": "nova-3", "url": URL}
        ).status_code
        == 401
    )
    assert rows(logs()) == [] and emu_server.usage_log.rows() == []


@pytest.mark.parametrize(
    "settings",
    [{"drop_connection": 1}, {"server_error": 1, "server_error_codes": [500]}, {"malformed_json": 1}],
)
def test_a_create_whose_answer_was_lost_has_its_succeeded_row(
    emu_server, faults, client, logs, settings
) -> None:
    emu_server.config.prices_per_second = {"nova-3": 0.001}
    faults.set(settings, routes=["create"])
    try:
        lost = create(client, client_id="nightly-2026-07-01-file-3")
        assert "x-inference-id" not in lost.headers
    except requests.ConnectionError:
        pass
    faults.clear()
    (row,) = rows(logs())  # a careful client looks its request up by its own id
    assert row["status"] == "succeeded" and row["client_request_id"] == "nightly-2026-07-01-file-3"
    job = emu_server.jobs.get(row["inference_id"])
    assert job is not None and client.fetch(job.generation_id).json()["status"] == "completed"
    assert (
        row["cost"]
        == {"usd": 0.01, "credits": 20000}
        == {"usd": float(job.cost.usd), "credits": job.cost.credits}
    )


def test_the_logs_route_is_never_faulted(faults, logs) -> None:
    faults.set(rate_limit=1, server_error=1, drop_connection=1, malformed_json=1)
    assert logs().status_code == 200 and faults.counts() == {}


def test_the_cli_sets_the_delay_and_the_prices(run_cli, api_key) -> None:
    _, base = run_cli(
        "--usage-log-delay-seconds", "0", "--price", "nova-3=0.002", "--price", "assemblyai=0.001"
    )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_key}"
    created = session.post(f"{base}/v1/stt/create", json={"model": "nova-3", "url": URL})
    assert created.headers["x-aimlapi-usd-spent"] == "0.020000000"  # the nominal 10 s at 0.002 USD
    other = session.post(f"{base}/v1/stt/create", json={"model": "slam-1", "url": URL})
    assert other.headers["x-aimlapi-usd-spent"] == "0.010000000"
    listed = session.get(f"{base}/v2/logs", params={"period": "1h"}).json()["data"]  # no delay: at once
    assert [row["inference_id"] for row in listed] == [
        other.json()["generation_id"],
        created.json()["generation_id"],
    ]
