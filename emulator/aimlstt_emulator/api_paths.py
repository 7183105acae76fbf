"""The API's speech-to-text paths, spelled as the API's own documents spell them.

``POST /v1/stt/create`` is the path of every create schema in ``api_schemas/create/``;
``GET /v1/stt/{generation_id}`` is the path of both fetch schemas in ``api_schemas/fetch/``. They
are written here, not taken from the provider, so the emulator checks the provider's paths instead
of sharing them (the tests compare both with the documents).
"""

from __future__ import annotations

CREATE_PATH = "/v1/stt/create"
FETCH_PATH = "/v1/stt/{generation_id}"
