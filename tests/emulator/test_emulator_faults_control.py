"""Switching faults: in-process, over HTTP at /_emulator/faults, on the command line; validation; seeds."""

from __future__ import annotations

import email.utils
import signal
import subprocess
import sys

import pytest
import requests

from aimlstt_emulator import FaultConfig, FaultInjector

MODEL = "#g1_nova-2-general"
DEFAULTS = {
    "rate_limit": 0.0,
    "retry_after_seconds": 1,
    "retry_after_format": "seconds",
    "server_error": 0.0,
    "server_error_burst": 3,
    "server_error_codes": [500, 502, 503, 504],
    "latency_seconds": 0.0,
    "latency_probability": 1.0,
    "drop_connection": 0.0,
    "malformed_json": 0.0,
    "job_error": 0.0,
    "job_never_finishes": 0.0,
    "routes": ["create", "fetch"],
    "seed": None,
}


def test_switching_in_process(emu_server, faults, client) -> None:
    assert faults.config.to_dict() == DEFAULTS and emu_server.faults is faults
    assert client.fetch("x").status_code == 404
    faults.set(FaultConfig(rate_limit=1, retry_after_seconds=4))
    assert client.fetch("x").headers["Retry-After"] == "4"
    faults.update(retry_after_seconds=9)
    assert faults.config.rate_limit == 1 and client.fetch("x").headers["Retry-After"] == "9"
    faults.set(retry_after_seconds=2)  # set replaces everything: rate_limit is back to 0
    assert faults.config.rate_limit == 0 and client.fetch("x").status_code == 404
    faults.set({"server_error": 1}, server_error_codes=[504])
    assert client.fetch("x").status_code == 504
    assert faults.clear() == FaultConfig() and client.fetch("x").status_code == 404
    copy = faults.config
    copy.rate_limit = 1.0  # a copy: changing it changes nothing
    assert client.fetch("x").status_code == 404


def test_a_fault_config_given_at_start(emu_config, make_wav) -> None:
    from aimlstt_emulator import EmulatorServer

    with EmulatorServer(emu_config, faults=FaultConfig(rate_limit=1, routes=["fetch"])) as server:
        headers = {"Authorization": f"Bearer {emu_config.api_key}"}
        assert requests.get(f"{server.base_url}/v1/stt/x", headers=headers).status_code == 429
        assert server.faults.config.routes == ["fetch"]


def test_bad_runtime_changes_name_the_field_and_keep_the_settings(faults) -> None:
    faults.set(rate_limit=0.5)
    with pytest.raises(ValueError, match=r"^drop_connection: must be between 0 and 1"):
        faults.update(drop_connection=2)
    with pytest.raises(ValueError, match=r"^bogus: not a fault setting"):
        faults.update(bogus=1)
    with pytest.raises(ValueError, match=r"^routes:"):
        faults.set(routes=["create", "delete"])
    assert faults.config.rate_limit == 0.5 and faults.config.drop_connection == 0


def test_the_http_endpoint_reads_replaces_changes_and_clears(emu_server, client) -> None:
    url = f"{emu_server.base_url}/_emulator/faults"
    assert requests.get(url).json() == DEFAULTS  # no key needed
    put = requests.put(url, json={"rate_limit": 1, "routes": ["fetch"], "seed": 3})
    assert put.status_code == 200 and put.json() == {
        **DEFAULTS,
        "rate_limit": 1.0,
        "routes": ["fetch"],
        "seed": 3,
    }
    assert client.fetch("x").status_code == 429
    assert emu_server.faults.config.seed == 3
    patched = requests.patch(url, json={"retry_after_seconds": 6}).json()
    assert patched["rate_limit"] == 1.0 and patched["retry_after_seconds"] == 6
    assert requests.get(url).json() == patched
    assert client.fetch("x").headers["Retry-After"] == "6"
    assert requests.delete(url).json() == DEFAULTS
    assert client.fetch("x").status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"rate_limit": "often"}, "rate_limit: must be a number"),
        ({"server_error_codes": [404]}, "server_error_codes: must be 5xx codes"),
        ({"retry_after_format": "rfc"}, "retry_after_format: must be one of seconds, http-date"),
        ({"routes": "create"}, "routes: must be a list"),
        ({"latency_secs": 1}, "latency_secs: not a fault setting"),
        ([1, 2], "body: expected a JSON object"),
        (b"{nope", "body: not valid JSON"),
    ],
)
def test_the_http_endpoint_refuses_bad_settings(emu_server, body, named) -> None:
    url = f"{emu_server.base_url}/_emulator/faults"
    requests.put(url, json={"malformed_json": 0.25})
    sent = requests.put(url, data=body) if isinstance(body, bytes) else requests.put(url, json=body)
    assert sent.status_code == 400
    assert sent.json()["statusCode"] == 400 and named in sent.json()["message"]
    assert requests.get(url).json() == {**DEFAULTS, "malformed_json": 0.25}  # unchanged


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"rate_limit": -0.1}, "rate_limit"),
        ({"server_error": 1.5}, "server_error"),
        ({"latency_probability": float("nan")}, "latency_probability"),
        ({"job_error": True}, "job_error"),
        ({"job_never_finishes": "1"}, "job_never_finishes"),
        ({"retry_after_seconds": 1.5}, "retry_after_seconds"),
        ({"retry_after_seconds": -1}, "retry_after_seconds"),
        ({"server_error_burst": 0}, "server_error_burst"),
        ({"server_error_codes": []}, "server_error_codes"),
        ({"server_error_codes": [600]}, "server_error_codes"),
        ({"latency_seconds": -1}, "latency_seconds"),
        ({"seed": "abc"}, "seed"),
    ],
)
def test_fault_config_validation_names_the_field(settings, field) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        FaultConfig(**settings)


def test_a_seed_gives_a_reproducible_sequence(emu_server, client) -> None:
    url = f"{emu_server.base_url}/_emulator/faults"
    settings = {"rate_limit": 0.3, "server_error": 0.2, "server_error_burst": 2, "seed": 11}

    def run() -> list[int]:
        requests.put(url, json=settings)
        return [client.fetch("x").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert {404, 429} <= set(first) and set(first) & {500, 502, 503, 504}
    settings["seed"] = 12
    assert run() != first
    injectors = [
        FaultInjector(FaultConfig(job_error=0.5, latency_seconds=1, latency_probability=0.5, seed=1))
    ]
    injectors.append(FaultInjector(injectors[0].config))
    plans = [[injector.plan("create") for _ in range(30)] for injector in injectors]
    assert plans[0] == plans[1] and len(set(plans[0])) > 2


def test_faults_by_kind_and_create_attempts_are_counted(emu_server, faults, client, make_wav) -> None:
    faults.set(rate_limit=1, latency_seconds=0.01, routes=["create"])
    client.create_upload(MODEL, make_wav(0.5))
    faults.set(malformed_json=1, job_error=1)
    client.create_upload(MODEL, make_wav(0.5))
    faults.set(server_error=1, server_error_codes=[503], server_error_burst=2)
    client.create_upload(MODEL, make_wav(0.5))
    client.fetch("x")
    faults.set(job_never_finishes=1)
    client.create_upload(MODEL, make_wav(0.5))
    stats = emu_server.stats()
    assert stats["faults_by_kind"] == {
        "rate_limit": 1,
        "latency": 1,
        "malformed_json": 1,
        "job_error": 1,
        "server_error_503": 2,
        "job_never_finishes": 1,
    }
    assert stats["create_attempts"] == 4 and stats["creates_total"] == 2
    assert (
        stats["faults_by_kind"]
        == requests.get(f"{emu_server.base_url}/_emulator/stats").json()["faults_by_kind"]
    )
    emu_server.reset_stats()
    assert emu_server.stats()["faults_by_kind"] == {} and emu_server.stats()["create_attempts"] == 0
    assert faults.config.job_never_finishes == 1  # resetting counters leaves the settings


def test_cli_flags_set_every_field_and_http_switches_the_other_process(run_cli, api_key, make_wav) -> None:
    process, base = run_cli(
        "--fault-rate-limit", "1", "--fault-retry-after-seconds", "30",
        "--fault-retry-after-format", "http-date", "--fault-server-error", "0.5",
        "--fault-server-error-burst", "2", "--fault-server-error-codes", "500,502",
        "--fault-latency-seconds", "0.01", "--fault-latency-probability", "0.5",
        "--fault-drop-connection", "0.25", "--fault-malformed-json", "0.75", "--fault-job-error", "0.1",
        "--fault-job-never-finishes", "0.2", "--fault-routes", "create", "--fault-seed", "42",
    )  # fmt: skip
    assert requests.get(f"{base}/_emulator/faults").json() == {
        "rate_limit": 1.0, "retry_after_seconds": 30, "retry_after_format": "http-date",
        "server_error": 0.5, "server_error_burst": 2, "server_error_codes": [500, 502],
        "latency_seconds": 0.01, "latency_probability": 0.5, "drop_connection": 0.25,
        "malformed_json": 0.75, "job_error": 0.1, "job_never_finishes": 0.2, "routes": ["create"], "seed": 42,
    }  # fmt: skip
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_key}"
    created = session.post(f"{base}/v1/stt/create", data={"model": MODEL}, files={"audio": make_wav(0.5)})
    assert created.status_code == 429 and email.utils.parsedate_to_datetime(created.headers["Retry-After"])
    assert session.get(f"{base}/v1/stt/x").status_code == 404  # fetch is not among the routes
    assert requests.put(f"{base}/_emulator/faults", json={"drop_connection": 1}).status_code == 200
    with pytest.raises(requests.ConnectionError):
        session.get(f"{base}/v1/stt/x")
    assert requests.delete(f"{base}/_emulator/faults").json() == DEFAULTS
    assert session.get(f"{base}/v1/stt/x").status_code == 404
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "POST /v1/stt/create 429 (fault: rate_limit)" in stderr
    assert "GET /v1/stt/x dropped (fault: drop_connection)" in stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fault-drop-connection", "1.5"], "--fault-drop-connection: must be between 0 and 1"),
        (["--fault-routes", "create,delete"], "--fault-routes: must be a subset of create, fetch"),
        (["--fault-server-error-codes", "500,x"], "--fault-server-error-codes"),
        (["--fault-retry-after-format", "soon"], "--fault-retry-after-format: must be one of"),
    ],
)
def test_cli_refuses_bad_fault_flags(flags, message) -> None:
    command = [sys.executable, "-m", "aimlstt_emulator", "--port", "0", *flags]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=20)
    assert finished.returncode == 2 and message in finished.stderr
