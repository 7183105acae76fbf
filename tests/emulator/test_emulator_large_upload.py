"""A large upload is streamed: the server's memory does not grow with the file."""

from __future__ import annotations

import hashlib
import http.client
import json
import tracemalloc

UPLOAD_BYTES = 50 * 1024 * 1024
PIECE = bytes(256 * 1024)


def test_50_mb_upload_does_not_grow_server_memory(emu_server, api_key, make_wav_header, emu_config) -> None:
    header = make_wav_header(UPLOAD_BYTES, channels=1, rate=16000, sample_width=2)
    boundary = "large-upload-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_nova-2-general\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="long.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    digest = hashlib.sha256(header)

    def body():
        yield head
        yield header
        for _ in range(UPLOAD_BYTES // len(PIECE)):
            digest.update(PIECE)
            yield PIECE
        yield tail

    length = len(head) + len(header) + UPLOAD_BYTES + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", emu_server.port, timeout=60)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        connection.request(
            "POST",
            "/v1/stt/create",
            body=body(),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(length),
            },
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 201, answer
    assert peak - baseline < 8 * 1024 * 1024, f"memory grew by {(peak - baseline) / 1e6:.1f} MB"

    connection.request(
        "GET", f"/v1/stt/{answer['generation_id']}", headers={"Authorization": f"Bearer {api_key}"}
    )
    metadata = json.loads(connection.getresponse().read())["result"]["metadata"]
    connection.close()
    assert metadata["sha256"] == digest.hexdigest()
    assert metadata["duration"] == UPLOAD_BYTES / (16000 * 2)
    assert list(emu_config.temp_dir.iterdir()) == []
