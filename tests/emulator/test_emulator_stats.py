"""Counters: creates per audio sha256 and requests per route, in Python and at /_emulator/stats."""

from __future__ import annotations

import hashlib

import requests


def test_creates_are_counted_per_audio_sha256(emu_server, client, make_wav) -> None:
    first, second = make_wav(1.0), make_wav(2.0)
    for _ in range(3):
        assert client.create_upload("#g1_nova-2-general", first).status_code == 201
    assert client.create_upload("aai/universal", second).status_code == 200
    url = "https://example.com/none.mp3"
    assert client.create_json({"model": "nova-3", "url": url}).status_code == 201
    assert client.create_json({"model": "nova-3", "url": url, "bogus": 1}).status_code == 400

    stats = emu_server.stats()
    assert stats["creates_by_sha256"] == {
        hashlib.sha256(first).hexdigest(): 3,
        hashlib.sha256(second).hexdigest(): 1,
        hashlib.sha256(url.encode()).hexdigest(): 1,
    }
    assert stats["creates_total"] == 5
    assert stats["requests_by_route"] == {"POST /v1/stt/create": 6}
    assert stats["responses_by_status"] == {"201": 4, "200": 1, "400": 1}


def test_stats_endpoint_needs_no_key_and_matches_the_python_view(emu_server, client, make_wav) -> None:
    generation_id = client.create_upload("nova-3", make_wav(0.5)).json()["generation_id"]
    client.fetch(generation_id)
    client.fetch("unknown")
    requests.get(f"{emu_server.base_url}/elsewhere")
    over_http = requests.get(f"{emu_server.base_url}/_emulator/stats").json()
    assert over_http["requests_by_route"] == {
        "POST /v1/stt/create": 1,
        "GET /v1/stt/{generation_id}": 2,
        "unmatched": 1,
        "GET /_emulator/stats": 1,
    }
    assert over_http["creates_by_sha256"] == emu_server.stats()["creates_by_sha256"]
    snapshot = emu_server.stats()
    snapshot["creates_by_sha256"].clear()
    assert emu_server.stats()["creates_total"] == 1  # a copy, not the live counters
    emu_server.reset_stats()
    assert emu_server.stats()["requests_total"] == 0
